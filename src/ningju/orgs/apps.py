from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "ningju.orgs"
    label = "orgs"
    verbose_name = "组织"
