"""Supervision pages of the five-star campaign (督导→整改→再督导). Included by ``stars/urls.py`` (namespace
"stars"); every page sits under ``supervision/``."""

from django.urls import path

from .views import supervision as views

urlpatterns = [
    path("supervision/", views.supervision_home, name="supervision_home"),
    path("supervision/new/", views.supervision_create, name="supervision_create"),
    path("supervision/new/people/", views.group_people, name="supervision_group_people"),
    path("supervision/<int:pk>/", views.supervision_plan, name="supervision_plan"),
    path("supervision/<int:pk>/export/", views.findings_export, name="supervision_export"),
    path("supervision/<int:pk>/post-evaluation/", views.post_evaluate, name="supervision_post_evaluate"),
    path("supervision/visits/<int:pk>/", views.visit, name="visit"),
    path("supervision/visits/<int:pk>/finding-row/", views.visit_finding_row, name="visit_finding_row"),
    path("supervision/findings/", views.findings, name="findings"),
]
