from django.urls import include, path

app_name = "cases"

# Pages for filers (workers, anonymous filers, grid members) and for staff live in two modules.
urlpatterns = [
    path("", include("ningju.cases.urls_filer")),
    path("", include("ningju.cases.urls_staff")),
]
