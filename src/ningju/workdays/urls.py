from django.urls import path

from . import views

app_name = "workdays"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("day/", views.day_save, name="day_save"),
    path("day/delete/", views.day_delete, name="day_delete"),
    path("year/load/", views.year_load, name="year_load"),
    path("year/publish/", views.year_publish, name="year_publish"),
]
