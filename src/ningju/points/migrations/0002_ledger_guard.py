"""Refuse UPDATE and DELETE of ledger entries in the database itself, on SQLite and PostgreSQL alike."""

from django.db import migrations

MESSAGE = "积分流水只能追加,不能修改或删除"

SQLITE = [
    f"CREATE TRIGGER points_entry_no_update BEFORE UPDATE ON points_entry BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER points_entry_no_delete BEFORE DELETE ON points_entry BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS points_entry_no_update", "DROP TRIGGER IF EXISTS points_entry_no_delete"]

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION points_entry_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_entry_append_only()""",
]
POSTGRES_DROP = ["DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry",
                 "DROP FUNCTION IF EXISTS points_entry_append_only()"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                                       _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}))]
