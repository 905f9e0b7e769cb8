"""Who sees which instructor, assignment and visit: lists, details, API, and 404 on id guessing."""

import datetime as dt

import pytest

from ningju.instructors import services
from ningju.instructors.models import Instructor

from .helpers import PASSWORD, assign, instructor_login, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(world):
    """甲: appointed by 沁阳, guides S2 (外卖覃怀站, under 市场监管局, 覃怀街道), with a visit.
    乙: appointed by 沁阳, guides S1 (网约车太行服务点, under 交通运输局, 太行街道).
    丙: appointed by 山阳, no assignment."""
    account = instructor_login(world)
    a = register(world, name="甲指导员", user=account)
    a_s2 = assign(world, a, "s2", assigned_on=dt.date(2026, 1, 5))
    visit = services.visit_create(actor=account, instructor=a, organisation=world.org["s2"],
                                  visited_on=dt.date(2026, 1, 9), notes="甲的走访")
    b = register(world, name="乙指导员")
    assign(world, b, "s1")
    c = register(world, actor="sy_org", name="丙指导员", appointed_by="sy_org")
    return {"a": a, "b": b, "c": c, "a_s2": a_s2, "visit": visit, "account": account}


EXPECTED = {
    "admin": {"甲指导员", "乙指导员", "丙指导员"},
    "city_org": {"甲指导员", "乙指导员", "丙指导员"},
    "qy_org": {"甲指导员", "乙指导员"},
    "sy_org": {"丙指导员"},
    "transport": {"乙指导员"},   # oversees S1 through its enterprise
    "town": {"乙指导员"},        # S1 lies in 太行街道
    # The world's instructor login belongs to 沁阳市委组织部 (its appointing department): it sees that
    # department's instructor team (phones masked), as any login sees its organisation's subtree.
    "instructor": {"甲指导员", "乙指导员"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_list_page_and_api_agree_with_scope(world, login, team, role):
    client = login(world.user[role])
    expected = EXPECTED[role]
    api = client.get("/api/v1/instructors?page_size=200").json()
    assert {i["name"] for i in api["items"]} == expected
    assert api["count"] == len(expected)
    if role != "instructor":  # the instructor role's page lists their own units instead
        page = client.get("/instructors/").content.decode()
        for name in {"甲指导员", "乙指导员", "丙指导员"}:
            assert (name in page) == (name in expected), (role, name)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_id_guessing_outside_scope_is_404(world, login, team, role):
    client = login(world.user[role])
    for key in ("a", "b", "c"):
        instructor = team[key]
        page = client.get(f"/instructors/{instructor.pk}/")
        api = client.get(f"/api/v1/instructors/{instructor.pk}")
        if instructor.name in EXPECTED[role]:
            assert page.status_code == 200 and api.status_code == 200, (role, key)
        else:
            assert page.status_code == 404 and api.status_code == 404, (role, key)
            assert api.json()["error"]["code"] == "not_found"
    assert client.get("/instructors/999999/").status_code == 404
    assert client.get("/api/v1/instructors/999999").status_code == 404


def test_writes_on_guessed_ids_are_404_and_change_nothing(world, login, team):
    client = login(world.user["sy_org"])
    a, a_s2 = team["a"], team["a_s2"]
    assert client.get(f"/instructors/{a.pk}/edit/").status_code == 404
    assert client.post(f"/instructors/{a.pk}/edit/", {"name": "改名"}).status_code == 404
    assert client.post(f"/instructors/{a.pk}/assign/", {"organisation": 1}).status_code == 404
    assert client.post(f"/instructors/{a.pk}/deactivate/", {"ended_on": "2026-02-01"}).status_code == 404
    assert client.post(f"/instructors/assignments/{a_s2.pk}/end/", {"ended_on": "2026-02-01"}).status_code == 404
    assert client.post(f"/instructors/assignments/{a_s2.pk}/visit/", {"visited_on": "2026-02-01",
                                                                     "notes": "x"}).status_code == 404
    assert client.get(f"/instructors/visits/{team['visit'].pk}/photo/").status_code == 404
    a.refresh_from_db()
    a_s2.refresh_from_db()
    assert a.name == "甲指导员" and a.active and a_s2.ended_on is None


def test_visits_are_scoped(world, login, team):
    def seen(client):
        return {v["notes"] for v in client.get("/api/v1/visits?page_size=200").json()["items"]}

    assert seen(login(world.user["qy_org"])) == {"甲的走访"}
    assert seen(login(world.user["city_org"])) == {"甲的走访"}
    assert seen(login(team["account"], PASSWORD)) == {"甲的走访"}
    for role in ("sy_org", "transport", "town", "instructor"):
        assert seen(login(world.user[role])) == set(), role
        assert login(world.user[role]).get(f"/api/v1/visits/{team['visit'].pk}").status_code == 404


def test_detail_shows_only_visible_assignments_and_counts(world, login, team):
    a = team["a"]
    assign(world, a, "s1")
    # 交通运输局 sees 甲 now (S1), but only the S1 assignment and no visit at S2.
    client = login(world.user["transport"])
    page = client.get(f"/instructors/{a.pk}/").content.decode()
    assert "网约车太行服务点" in page and "外卖覃怀站" not in page and "甲的走访" not in page
    row = next(i for i in client.get("/api/v1/instructors").json()["items"] if i["name"] == "甲指导员")
    assert row["active_assignments"] == 1 and row["last_visit_on"] is None
    # The appointing department sees both, and the last visit.
    row = next(i for i in login(world.user["qy_org"]).get("/api/v1/instructors").json()["items"]
               if i["name"] == "甲指导员")
    assert row["active_assignments"] == 2 and row["last_visit_on"] == "2026-01-09"


def test_search_and_status_filter(world, login, team):
    client = login(world.user["city_org"])
    assert {i["name"] for i in client.get("/api/v1/instructors?q=甲").json()["items"]} == {"甲指导员"}
    assert {i["name"] for i in client.get("/api/v1/instructors?q=山阳").json()["items"]} == {"丙指导员"}
    services.instructor_deactivate(actor=world.user["sy_org"], instructor=team["c"])
    assert {i["name"] for i in client.get("/api/v1/instructors?active=false").json()["items"]} == {"丙指导员"}
    page = client.get("/instructors/?q=乙", HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert page.status_code == 200 and "<html" not in body  # the htmx partial only
    assert "乙指导员" in body and "甲指导员" not in body
    assert "丙指导员" in client.get("/instructors/?status=0").content.decode()
    assert "丙指导员" not in client.get("/instructors/?status=1").content.decode()


def test_instructor_without_profile_is_told_so(world, login):
    page = login(world.user["instructor"]).get("/instructors/").content.decode()
    assert "尚未关联党建指导员档案" in page
    assert not Instructor.objects.exists()
