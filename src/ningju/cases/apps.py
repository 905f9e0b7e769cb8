from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "ningju.cases"
    label = "cases"
    verbose_name = "闭环事项"
