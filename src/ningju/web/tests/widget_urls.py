"""A test-only URLconf for the map picker and chart includes (test_widgets_browser.py sets it as ROOT_URLCONF).

One page with a form holding a picker, a read-only map of two points and a chart; an htmx fragment with
another picker and chart; the form's POST answers with the county the server finds for the picked point.
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from ningju.geo.selectors import county_code_at

PAGE = engines["django"].from_string("""{% load static django_htmx %}<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>
<title>地图与图表</title><link rel="stylesheet" href="{% static 'ningju/app.css' %}">
<link rel="icon" href="{% static 'ningju/favicon.svg' %}" type="image/svg+xml">{% htmx_script %}</head>
<body hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'><main class="content">
<form method="post" action="/widgets/" id="pick-form">{% csrf_token %}
{% include "web/_map_picker.html" with map_id="picker" %}
<button type="submit" class="btn">保存</button></form>
{% include "web/_map_picker.html" with map_id="stations" readonly=True points=points %}
{% include "web/_echart.html" with chart_id="chart" options=options label="各县区站点数" %}
<button type="button" class="btn secondary" id="load-more" hx-get="/widgets/fragment/"
        hx-target="#slot">加载更多</button>
<div id="slot"></div>
</main></body></html>""")

ANSWER = engines["django"].from_string("""{% load static %}<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<title>已保存</title><link rel="icon" href="{% static 'ningju/favicon.svg' %}" type="image/svg+xml"></head>
<body><p id="county">{{ code }}</p></body></html>""")

FRAGMENT = engines["django"].from_string("""
{% include "web/_map_picker.html" with map_id="picker2" lat_name="lat2" lng_name="lng2" lat=35.2 lng=113.24 %}
{% include "web/_echart.html" with chart_id="chart2" options=options %}""")

OPTIONS = {
    "tooltip": {"trigger": "axis"},
    "xAxis": {"type": "category", "data": ["沁阳市", "孟州市", "温县"]},
    "yAxis": {"type": "value"},
    "series": [{"type": "bar", "name": "站点数", "data": [15, 6, 4]}],
}
POINTS = [{"lat": 35.09, "lng": 112.95, "label": "沁阳市覃怀站"}, {"lat": 34.91, "lng": 112.79, "label": "孟州市站"}]


def page(request):
    if request.method == "POST":
        code = county_code_at(float(request.POST["lat"]), float(request.POST["lng"]))
        return HttpResponse(ANSWER.render({"code": code}, request))
    return HttpResponse(PAGE.render({"points": POINTS, "options": OPTIONS}, request))


def fragment(request):
    return HttpResponse(FRAGMENT.render({"options": OPTIONS}, request))


urlpatterns = [
    path("widgets/", page),
    path("widgets/fragment/", fragment),
    path("geo/", include("ningju.geo.urls")),
]
