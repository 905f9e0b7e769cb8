from django.apps import AppConfig


class StarsConfig(AppConfig):
    name = "ningju.stars"
    label = "stars"
    verbose_name = "五星支部创建"

    def ready(self):
        from ningju.core import hooks

        from .services.supervision import sync_finding

        hooks.subscribe("cases.changed", sync_finding)
