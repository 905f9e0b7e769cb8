from django.db import migrations

def forwards(apps, schema_editor):
    from ningju.stars.migrations import SEED_YEAR
    from ningju.stars.seed import seed

    seed(apps.get_model("stars", "StandardSet"), apps.get_model("stars", "Star"),
         apps.get_model("stars", "StandardItem"), SEED_YEAR)


def backwards(apps, schema_editor):
    apps.get_model("stars", "StandardSet").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("stars", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
