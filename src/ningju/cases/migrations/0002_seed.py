from django.db import migrations


def forwards(apps, schema_editor):
    from ningju.cases.seed import seed

    seed(apps.get_model("cases", "Category"), apps.get_model("cases", "DeadlineRule"))


def backwards(apps, schema_editor):
    apps.get_model("cases", "DeadlineRule").objects.all().delete()
    Category = apps.get_model("cases", "Category")
    Category.objects.exclude(parent=None).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
