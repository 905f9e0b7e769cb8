import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .models import Division


def division_list(*, user, parent_code: str | None = None, q: str | None = None, level: int | None = None):
    qs = Division.objects.visible_to(user)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(name__contains=q) if not q.isdigit() else qs.filter(code__startswith=q)
    return qs.order_by("code")


def division_roots(*, user):
    """The top divisions a user sees: those whose parent is outside the user's scope."""
    qs = Division.objects.visible_to(user)
    visible_paths = list(qs.values_list("path", flat=True))
    roots = [p for p in visible_paths if not any(p != o and p.startswith(o) for o in visible_paths)]
    return Division.objects.filter(path__in=roots).order_by("code")


def division_subtree(division):
    return Division.objects.filter(path__startswith=division.path)


# --- County boundaries of 焦作市 (shipped GeoJSON, pure Python: no database, GEOS or GDAL) -------------------

BOUNDARIES_FILE = Path(__file__).resolve().parent / "data" / "410800_counties.geojson"


@dataclass(frozen=True)
class Bounds:
    """A longitude/latitude box: ``(south, west)`` to ``(north, east)``."""

    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float

    def contains(self, lat: float, lng: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lng <= lng <= self.max_lng


@dataclass(frozen=True)
class _County:
    code: str  # 12-digit division code, e.g. "410882000000"
    name: str
    bounds: Bounds
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]  # polygon -> rings (outer, holes) -> points


def _bounds_of(points) -> Bounds:
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    return Bounds(min(lngs), min(lats), max(lngs), max(lats))


@functools.cache
def _counties() -> tuple[_County, ...]:
    collection = json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))
    counties = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        rings = tuple(tuple(tuple((float(x), float(y)) for x, y in ring) for ring in polygon) for polygon in polygons)
        outer_points = [p for polygon in rings for p in polygon[0]]
        counties.append(_County(code=f"{feature['properties']['adcode']}000000", name=feature["properties"]["name"],
                                bounds=_bounds_of(outer_points), polygons=rings))
    return tuple(counties)


def _ring_contains(ring, lng: float, lat: float) -> bool:
    """Even-odd ray casting: does a horizontal ray from the point cross the ring an odd number of times?"""
    inside = False
    x0, y0 = ring[-1]
    for x1, y1 in ring:
        if (y1 > lat) != (y0 > lat) and lng < (x0 - x1) * (lat - y1) / (y0 - y1) + x1:
            inside = not inside
        x0, y0 = x1, y1
    return inside


def _county_contains(county: _County, lat: float, lng: float) -> bool:
    if not county.bounds.contains(lat, lng):
        return False
    return any(_ring_contains(polygon[0], lng, lat) and not any(_ring_contains(hole, lng, lat) for hole in polygon[1:])
               for polygon in county.polygons)


def city_bounds() -> Bounds:
    """The bounding box of 焦作市's county boundaries."""
    boxes = [c.bounds for c in _counties()]
    return Bounds(min(b.min_lng for b in boxes), min(b.min_lat for b in boxes),
                  max(b.max_lng for b in boxes), max(b.max_lat for b in boxes))


def county_code_at(lat: float, lng: float) -> str | None:
    """The 12-digit code of the county (district, county-level city) containing the point, or None outside 焦作市."""
    for county in _counties():
        if _county_contains(county, lat, lng):
            return county.code
    return None


def point_in_city(lat: float, lng: float) -> bool:
    """Whether a WGS-84-style point (as browsers report it) lies inside 焦作市."""
    return county_code_at(lat, lng) is not None


@functools.cache
def boundaries_geojson() -> tuple[bytes, str]:
    """The shipped GeoJSON as served to the map picker, with its ETag (sha256 of the content)."""
    content = BOUNDARIES_FILE.read_bytes()
    return content, hashlib.sha256(content).hexdigest()
