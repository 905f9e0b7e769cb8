from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_GET

from ningju.core import roles
from ningju.core.scoping import get_visible_or_404
from ningju.web.access import module_required

from .models import Division
from .selectors import boundaries_geojson, division_list, division_roots


@module_required(roles.M_GEO)
def tree(request):
    q = request.GET.get("q", "").strip()
    qs = division_list(user=request.user, q=q) if q else division_roots(user=request.user)
    nodes = list(qs.annotate(n_children=Count("children"))[:100])
    searching = bool(q)
    ctx = {"nodes": nodes, "q": q, "searching": searching}
    if request.htmx and not request.htmx.boosted:
        return render(request, "geo/_nodes.html", ctx)
    return render(request, "geo/tree.html", ctx)


@module_required(roles.M_GEO)
def children(request, code):
    parent = get_visible_or_404(Division, request.user, code=code)
    nodes = (Division.objects.visible_to(request.user).filter(parent=parent)
             .annotate(n_children=Count("children")).order_by("code"))
    return render(request, "geo/_nodes.html", {"nodes": nodes})


@require_GET
@cache_control(public=True, max_age=24 * 3600)
@etag(lambda request: boundaries_geojson()[1])
def counties_geojson(request):
    """County boundaries of 焦作市 for the map picker. Published map data, no personal data: no login needed,
    so public pages (the coverage join page) can show a map too."""
    return HttpResponse(boundaries_geojson()[0], content_type="application/geo+json")
