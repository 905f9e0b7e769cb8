"""Staff pages of the case engine: inbox, case page with its actions, queue, list, supervision, figures,
routing rules, seminars, duty. Included by ``cases/urls.py`` (namespace "cases").

The page names agreed with the filer side are fixed (list, detail, inbox, queue, supervision, figures, rules,
seminars, seminar_detail, duty); helpers of these pages are named ``staff_*``.
"""

from django.urls import path

from .views import staff as views

urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("export/", views.case_export, name="staff_export"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.case_act, name="staff_act"),
    path("inbox/", views.inbox_view, name="inbox"),
    path("queue/", views.queue_view, name="queue"),
    path("supervision/", views.supervision_view, name="supervision"),
    path("figures/", views.figures_view, name="figures"),
    path("figures/export/", views.figures_export, name="staff_figures_export"),
    path("organisations/", views.organisation_options, name="staff_org_options"),
    path("users/", views.user_options, name="staff_user_options"),
    path("rules/", views.rules_view, name="rules"),
    path("rules/new/", views.rule_edit, name="staff_rule_new"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="staff_rule_edit"),
    path("rules/<int:pk>/off/", views.rule_off, name="staff_rule_off"),
    path("rules/deadlines/", views.deadline_save, name="staff_deadline_save"),
    path("seminars/", views.seminars_view, name="seminars"),
    path("seminars/<int:pk>/", views.seminar_detail, name="seminar_detail"),
    path("duty/", views.duty_view, name="duty"),
    path("duty/shifts/<int:pk>/delete/", views.duty_shift_delete, name="staff_duty_delete"),
    path("duty/grid/<int:pk>/end/", views.grid_member_end, name="staff_grid_end"),
]
