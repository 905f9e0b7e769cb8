"""Seed the holiday table with every year chinesecalendar knows (2004–2026 for version 1.11): bulk inserts."""

from django.db import migrations


def seed(apps, schema_editor):
    from ningju.workdays.seed import seed_tables

    seed_tables(apps.get_model("workdays", "Holiday"), apps.get_model("workdays", "YearPlan"),
                apps.get_model("workdays", "Revision"))


def unseed(apps, schema_editor):
    from ningju.workdays.library import library_years

    apps.get_model("workdays", "Holiday").objects.filter(source="seed").delete()
    apps.get_model("workdays", "YearPlan").objects.filter(year__in=library_years()).delete()
    apps.get_model("workdays", "Revision").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
