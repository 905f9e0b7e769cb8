from django.urls import path

from . import views

app_name = "instructors"
urlpatterns = [
    path("", views.instructor_list_view, name="list"),
    path("new/", views.instructor_create, name="create"),
    path("<int:pk>/", views.instructor_detail, name="detail"),
    path("<int:pk>/edit/", views.instructor_edit, name="edit"),
    path("<int:pk>/assign/", views.instructor_assign, name="assign"),
    path("<int:pk>/deactivate/", views.instructor_deactivate, name="deactivate"),
    path("<int:pk>/reactivate/", views.instructor_reactivate, name="reactivate"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("assignments/<int:pk>/visit/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/photo/", views.visit_photo, name="visit_photo"),
]
