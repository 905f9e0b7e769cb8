"""The API: a year's holidays and a working-day due time, for any login; the one error shape."""

import datetime as dt

import pytest
from django.test import Client

from ningju.testing.api import bearer
from ningju.workdays import services
from ningju.workdays.models import Kind

from .helpers import API

pytestmark = pytest.mark.django_db


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_any_login_reads_a_years_holidays(world):
    for key in ("worker", "town", "city_org"):
        body = bearer(world.user[key]).get(f"{API}/workdays/holidays?year=2026").json()
        assert body["year"] == 2026 and body["known"] and body["notice"] is None
        days = {d["date"]: d for d in body["holidays"]}
        assert len([d for d in days.values() if d["kind"] == "holiday"]) == 33
        assert days["2026-10-10"] == {"date": "2026-10-10", "weekday": "周六", "kind": "workday",
                                      "kind_label": "调休上班日", "name": "国庆节", "source": "seed"}
    _error(Client().get(f"{API}/workdays/holidays?year=2026"), 401)


def test_an_unknown_year_says_so(world):
    client = bearer(world.user["town"])
    body = client.get(f"{API}/workdays/holidays?year=2027").json()
    assert body == {"year": 2027, "known": False, "note": "", "notice": "2027年节假日安排尚未录入,按周末计算",
                    "holidays": []}
    services.holiday_set(actor=world.user["city_org"], date=dt.date(2027, 1, 1),
                         kind=Kind.HOLIDAY, name="元旦")
    body = client.get(f"{API}/workdays/holidays?year=2027").json()
    assert [d["name"] for d in body["holidays"]] == ["元旦"] and "已录入的1天" in body["notice"]
    err = _error(client.get(f"{API}/workdays/holidays?year=1999"), 400)
    assert err["fields"][0]["field"] == "year"


def test_due_time(world):
    client = bearer(world.user["worker"])
    body = client.get(f"{API}/workdays/add", {"start": "2026-09-30T10:00:00+08:00", "days": 1}).json()
    assert body == {"start": "2026-09-30T10:00:00+08:00", "days": 1, "due": "2026-10-08T10:00:00+08:00",
                    "unknown_years": [], "notice": None}
    body = client.get(f"{API}/workdays/add", {"start": "2026-10-09T06:00:00Z", "days": 1}).json()
    assert body["start"] == "2026-10-09T14:00:00+08:00" and body["due"] == "2026-10-10T14:00:00+08:00"
    body = client.get(f"{API}/workdays/add", {"start": "2026-12-31T09:00:00", "days": 5}).json()  # naive: Beijing
    assert body["due"] == "2027-01-07T09:00:00+08:00"
    assert body["unknown_years"] == [2027] and body["notice"] == "2027年节假日安排尚未录入,按周末计算"

    err = _error(client.get(f"{API}/workdays/add", {"start": "1900-01-01T00:00:00Z", "days": 1}), 400)
    assert err["fields"] == [{"field": "start", "message": "开始时间须在 2000–2100 年之间"}]
    err = _error(client.get(f"{API}/workdays/add", {"start": "2026-09-30T10:00:00Z", "days": -1}), 400)
    assert err["fields"][0]["field"] == "days"
    _error(client.get(f"{API}/workdays/add", {"start": "明天", "days": 1}), 400)


def test_openapi_describes_the_endpoints(world):
    paths = Client().get(f"{API}/openapi.json").json()["paths"]
    assert "get" in paths[f"{API}/workdays/holidays"] and "get" in paths[f"{API}/workdays/add"]
