from django.urls import path

from . import views

app_name = "coverage"
urlpatterns = [
    path("", views.campaign_list_view, name="home"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/qr.png", views.campaign_qr_png, name="qr_png"),
    path("campaigns/<int:pk>/qr.svg", views.campaign_qr_svg, name="qr_svg"),
    path("campaigns/<int:pk>/match/", views.campaign_match, name="match"),
    path("campaigns/<int:pk>/units/add/", views.unit_add, name="unit_add"),
    path("campaigns/<int:pk>/referral/", views.staff_referral, name="staff_referral"),
    path("campaign-units/<int:pk>/remove/", views.unit_remove, name="unit_remove"),
    path("campaign-units/<int:pk>/check/", views.unit_check, name="unit_check"),
    path("findings/", views.finding_list_view, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/verify/", views.finding_verify, name="verify"),
    path("findings/<int:pk>/reject/", views.finding_reject, name="reject"),
    path("members/", views.member_list, name="members"),
    path("members/import/", views.member_import, name="member_import"),
    path("build/", views.build_view, name="build"),
    path("build/<int:pk>/found-branch/", views.found_branch, name="found_branch"),
    path("build/<int:pk>/joint-branch/", views.joint_branch, name="joint_branch"),
    path("figures/", views.figures_view, name="figures"),
    path("figures/export.xlsx", views.figures_export, name="figures_export"),
    path("figures/<str:code>/", views.figures_view, name="figures_division"),
    path("join/<str:token>/", views.join, name="join"),
    path("refer/", views.refer, name="refer"),
]
