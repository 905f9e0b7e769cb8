"""Filer-side pages (workers, anonymous filers, grid members), the inbox and the scoped file download."""

from django.urls import path

from .views import filer

urlpatterns = [
    path("new/", filer.file, name="file"),
    path("new/villages/", filer.villages, name="villages"),
    path("anonymous/", filer.file_anonymous, name="file_anonymous"),
    path("filed/", filer.filed, name="filed"),
    path("track/", filer.track, name="track"),
    path("track/<int:pk>/", filer.track_case, name="track_case"),
    path("mine/", filer.mine, name="mine"),
    path("mine/<int:pk>/", filer.mine_detail, name="mine_detail"),
    path("report/", filer.report, name="report"),
    path("notifications/", filer.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", filer.notification_open, name="notification_open"),
    path("attachment/<int:pk>/", filer.attachment, name="attachment"),
]
