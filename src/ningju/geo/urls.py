from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<str:code>/children/", views.children, name="children"),
]
