"""Open311 GeoReport v2 (mounted at /open311/v2/). Every resource answers in XML or JSON by its suffix."""

from django.urls import re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.request_list, name="requests"),
    re_path(r"^requests/(?P<number>\w+)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>\w+)" + FMT, views.token_detail, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not_found"),
]
