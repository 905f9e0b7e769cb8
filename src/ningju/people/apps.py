from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "ningju.people"
    label = "people"
    verbose_name = "人员"
