"""Reference data that data migrations seed (case categories and deadlines, holidays, star standards).

``flush`` empties every table, the seeded ones included (``load_demo --reset``, transactional tests). Each app
that seeds data registers a function here; after every ``migrate`` or ``flush`` (Django's ``post_migrate``
signal) the function runs and fills its tables again when they are empty. On a freshly migrated database it
finds the data already there and does nothing.
"""

from collections.abc import Callable

from django.db.models.signals import post_migrate


def register(app_config, fill: Callable[[], None]) -> None:
    """Run ``fill()`` after ``app_config``'s post_migrate (it must be idempotent: fill only what is missing)."""

    def _after_migrate(sender, using="default", **kwargs):
        fill()

    post_migrate.connect(_after_migrate, sender=app_config, weak=False,
                         dispatch_uid=f"ningju.reference.{app_config.label}")
