from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "ningju.workdays"
    label = "workdays"
    verbose_name = "节假日与工作日"

    def ready(self):
        from ningju.core import reference

        reference.register(self, _fill_reference)


def _fill_reference():
    from .models import Holiday, Revision, YearPlan
    from .seed import seed_tables

    if not Holiday.objects.exists():
        seed_tables(Holiday, YearPlan, Revision)
