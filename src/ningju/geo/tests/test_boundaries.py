"""焦作市's county boundaries: the bounding box, which county a point lies in (pure Python, no GEOS),
and the GeoJSON the map picker draws, served without login and cacheable."""

import json

import pytest
from django.test import Client

from ningju.geo.models import Division
from ningju.geo.selectors import BOUNDARIES_FILE, city_bounds, county_code_at, point_in_city

COUNTY_CODES = {"410802000000", "410803000000", "410804000000", "410811000000", "410821000000",
                "410822000000", "410823000000", "410825000000", "410882000000", "410883000000"}


def test_city_bounds_cover_jiaozuo():
    box = city_bounds()
    assert 112.5 < box.min_lng < 112.6 and 113.6 < box.max_lng < 113.7
    assert 34.8 < box.min_lat < 34.85 and 35.45 < box.max_lat < 35.55
    assert box.contains(35.2, 113.2) and not box.contains(39.9, 116.4)


@pytest.mark.parametrize(("lat", "lng", "code"), [
    (35.09, 112.95, "410882000000"),   # 沁阳市 city centre
    (35.24, 113.22, "410802000000"),   # 解放区, the city's centre
    (34.93, 113.05, "410825000000"),   # 温县
    (35.00, 113.40, "410823000000"),   # 武陟县
    (34.92, 112.79, "410883000000"),   # 孟州市
    (35.25, 113.42, "410821000000"),   # 修武县
])
def test_county_code_at_names_the_county(lat, lng, code):
    assert county_code_at(lat, lng) == code
    assert point_in_city(lat, lng)


@pytest.mark.parametrize(("lat", "lng"), [
    (39.9042, 116.4074),  # Beijing
    (34.75, 113.63),      # Zhengzhou, just south-east of the city
    (35.09, -112.95),     # a sign error in the longitude
    (-35.09, 112.95),     # a sign error in the latitude
    (0.0, 0.0),
])
def test_points_outside_the_city(lat, lng):
    assert county_code_at(lat, lng) is None
    assert not point_in_city(lat, lng)


def test_every_feature_is_a_county_of_the_shipped_divisions():
    collection = json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))
    codes = {f"{f['properties']['adcode']}000000" for f in collection["features"]}
    assert codes == COUNTY_CODES
    csv_codes = {line.split(",")[0] for line in (BOUNDARIES_FILE.parent / "jiaozuo.csv").read_text("utf-8").splitlines()
                 if line.split(",")[2:3] == ["county"]}
    assert codes <= csv_codes  # every boundary names a division the platform knows


@pytest.mark.django_db
def test_county_code_matches_a_division_row():
    from ningju.testing.world import build_world

    build_world()
    code = county_code_at(35.09, 112.95)
    assert Division.objects.get(code=code).name == "沁阳市"


@pytest.mark.django_db
def test_geojson_is_served_to_anyone_and_cacheable():
    client = Client()
    response = client.get("/geo/boundaries/410800.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "max-age=86400" in response["Cache-Control"] and "public" in response["Cache-Control"]
    names = {f["properties"]["name"] for f in json.loads(response.content)["features"]}
    assert {"沁阳市", "孟州市", "解放区"} <= names
    again = client.get("/geo/boundaries/410800.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.post("/geo/boundaries/410800.geojson").status_code == 405
