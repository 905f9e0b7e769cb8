"""Pages of the five-star campaign (namespace "stars"): creation and awarding here, supervision in
``urls_supervision`` (its own module, included below)."""

from django.urls import include, path

from .views import creation as views

app_name = "stars"

urlpatterns = [
    path("", views.home, name="home"),
    path("standards/", views.standards, name="standards"),
    path("standards/<int:pk>/", views.standard_detail, name="standard_detail"),
    path("standards/<int:pk>/publish/", views.standard_publish, name="standard_publish"),
    path("standards/<int:pk>/copy/", views.standard_copy, name="standard_copy"),
    path("standards/stars/<int:star_pk>/items/new/", views.item_new, name="item_new"),
    path("standards/items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("plan/", views.plan_edit, name="plan"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/items/<int:item_pk>/assess/", views.assess, name="assess"),
    path("plans/<int:pk>/stars/<int:star_pk>/award/", views.award, name="award"),
    path("assessments/<int:pk>/review/", views.review_act, name="review_act"),
    path("assessments/<int:pk>/evaluate/", views.evaluate_act, name="evaluate_act"),
    path("review/", views.review_queue, name="review"),
    path("evaluate/", views.evaluate_queue, name="evaluate"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("awards/", views.awards, name="awards"),
    path("awards/<int:pk>/object/", views.award_object, name="award_object"),
    path("awards/<int:pk>/decide/", views.award_decide, name="award_decide"),
    path("awards/<int:pk>/withdraw/", views.award_withdraw, name="award_withdraw"),
    path("history/<int:branch_id>/", views.history, name="history"),
    path("projects/", views.projects, name="projects"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/decide/", views.project_decide, name="project_decide"),
    path("projects/<int:pk>/progress/", views.project_progress, name="project_progress"),
    path("", include("ningju.stars.urls_supervision")),
]
