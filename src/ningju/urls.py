from django.contrib import admin
from django.urls import include, path

from ningju.api.urls import api

admin.site.site_header = "凝聚 · 系统管理"

urlpatterns = [
    path("", include("ningju.web.urls")),
    path("accounts/", include("ningju.accounts.urls")),
    path("geo/", include("ningju.geo.urls")),
    path("orgs/", include("ningju.orgs.urls")),
    path("people/", include("ningju.people.urls")),
    path("rosters/", include("ningju.rosters.urls")),
    path("coverage/", include("ningju.coverage.urls")),
    path("instructors/", include("ningju.instructors.urls")),
    path("workdays/", include("ningju.workdays.urls")),
    path("cases/", include("ningju.cases.urls")),
    path("stars/", include("ningju.stars.urls")),
    path("points/", include("ningju.points.urls")),
    path("open311/v2/", include("ningju.open311.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = "ningju.web.errors.forbidden"
handler404 = "ningju.web.errors.not_found"
