from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "ningju.points"
    label = "points"
    verbose_name = "积分"
