from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ningju.core"
    label = "core"
    verbose_name = "基础"
