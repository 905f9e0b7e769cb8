from django.urls import path

from . import views

app_name = "rosters"
urlpatterns = [
    path("", views.import_list_view, name="list"),
    path("upload/", views.upload, name="upload"),
    path("template.xlsx", views.template, name="template"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/errors.xlsx", views.import_errors_xlsx, name="errors"),
]
