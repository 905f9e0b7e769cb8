from django.apps import AppConfig


class StarsConfig(AppConfig):
    name = "ningju.stars"
    label = "stars"
    verbose_name = "五星支部创建"

    def ready(self):
        from ningju.core import hooks

        from .services.supervision import sync_finding

        hooks.subscribe("cases.changed", sync_finding)

        from ningju.core import reference

        reference.register(self, _fill_reference)


def _fill_reference():
    from .migrations import SEED_YEAR
    from .models import StandardItem, StandardSet, Star
    from .seed import seed

    if not StandardSet.objects.exists():
        seed(StandardSet, Star, StandardItem, SEED_YEAR)
