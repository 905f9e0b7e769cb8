from django.apps import AppConfig


class InstructorsConfig(AppConfig):
    name = "ningju.instructors"
    label = "instructors"
    verbose_name = "党建指导员"
