from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<str:code>/children/", views.children, name="children"),
    path("boundaries/410800.geojson", views.counties_geojson, name="counties_geojson"),
]
