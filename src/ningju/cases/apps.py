from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "ningju.cases"
    label = "cases"
    verbose_name = "闭环事项"

    def ready(self):
        from ningju.core import reference

        reference.register(self, _fill_reference)


def _fill_reference():
    from .models import Category, DeadlineRule
    from .seed import seed

    if not Category.objects.exists() and not DeadlineRule.objects.exists():
        seed(Category, DeadlineRule)
