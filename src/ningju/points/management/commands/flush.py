"""``flush`` that also works on SQLite once the points ledger holds entries.

The ledger's append-only triggers (migration 0002) refuse every DELETE on ``points_entry``. PostgreSQL flushes
with TRUNCATE, which row triggers do not see; SQLite flushes with ``DELETE FROM`` each table, which they refuse,
so ``load_demo --reset`` and the test runner's flush after a live-server test would fail. On SQLite this command
lifts the two triggers for the flush (which empties every table anyway) and puts them back afterwards, also when
the flush fails. Everywhere else it is Django's own command.
"""

import importlib

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections

GUARD = importlib.import_module("ningju.points.migrations.0002_ledger_guard")


def _guarded(connection) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'points_entry'")
        return cur.fetchone()[0] > 0


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        lifted = connection.vendor == "sqlite" and _guarded(connection)
        if lifted:
            with connection.cursor() as cur:
                for sql in GUARD.SQLITE_DROP:
                    cur.execute(sql)
        try:
            return super().handle(**options)
        finally:
            if lifted:
                with connection.cursor() as cur:
                    for sql in GUARD.SQLITE:
                        cur.execute(sql)
