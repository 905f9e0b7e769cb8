"""Each role sees its subtree only: page, API and export alike, and id-guessing gets 404."""

import io

import openpyxl
import pytest

from ningju.people.models import Person
from ningju.testing.world import EXPECTED_PEOPLE

pytestmark = pytest.mark.django_db


def _names(world, keys):
    return {world.person[k].name for k in keys}


@pytest.mark.parametrize("role", sorted(EXPECTED_PEOPLE))
def test_queryset_scope_matches_expectation(world, role):
    user = world.user[role]
    seen = set(Person.objects.visible_to(user).values_list("name", flat=True))
    assert seen == _names(world, EXPECTED_PEOPLE[role])


@pytest.mark.parametrize("role", sorted(set(EXPECTED_PEOPLE) - {"worker"}))
def test_people_page_api_and_export_agree_with_scope(world, login, role):
    client = login(world.user[role])
    expected = _names(world, EXPECTED_PEOPLE[role])
    others = {p.name for p in world.person.values()} - expected

    page = client.get("/people/").content.decode()
    for name in expected:
        assert name in page
    for name in others:
        assert name not in page

    api = client.get("/api/v1/people?page_size=200").json()
    assert {item["name"] for item in api["items"]} == expected
    assert api["count"] == len(expected)

    export = client.get("/people/export.xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == expected


@pytest.mark.parametrize("role", sorted(EXPECTED_PEOPLE))
def test_id_guessing_outside_scope_is_404(world, login, role):
    client = login(world.user[role])
    may_use_people = world.user[role].can("people")
    for key, person in world.person.items():
        page = client.get(f"/people/{person.pk}/")
        api = client.get(f"/api/v1/people/{person.pk}")
        if not may_use_people:
            assert page.status_code == 403 and api.status_code == 403
        elif key in EXPECTED_PEOPLE[role]:
            assert page.status_code == 200 and api.status_code == 200
        else:
            assert page.status_code == 404, (role, key)
            assert api.status_code == 404
            assert api.json()["error"]["code"] == "not_found"
    missing = client.get("/api/v1/people/999999")
    assert missing.status_code in (403, 404)


def test_organisation_scope_and_404(world, login):
    client = login(world.user["transport"])
    items = client.get("/api/v1/organisations?page_size=200").json()["items"]
    assert {i["name"] for i in items} == {"沁阳市交通运输局", "网约车平台沁阳站", "网约车太行服务点"}
    outside = world.org["s2"]
    assert client.get(f"/orgs/{outside.pk}/").status_code == 404
    assert client.get(f"/api/v1/organisations/{outside.pk}").status_code == 404
    # Editing an object outside scope is refused the same way, and changes nothing.
    client_org = login(world.user["sy_org"])
    r = client_org.patch(f"/api/v1/organisations/{outside.pk}", data={"name": "改名"},
                         content_type="application/json", HTTP_X_CSRFTOKEN=client_org.cookies["csrftoken"].value
                         if "csrftoken" in client_org.cookies else "")
    assert r.status_code in (403, 404)
    outside.refresh_from_db()
    assert outside.name == "外卖覃怀站"


def test_district_sees_its_own_division_tree_only(world, login):
    client = login(world.user["sy_org"])
    codes = {i["code"] for i in client.get("/api/v1/divisions?page_size=200").json()["items"]}
    assert codes == {"410811000000", "410811008000", "410811008202"}
    assert client.get("/api/v1/divisions/410882000000").status_code == 404


def test_worker_sees_only_own_record(world, login):
    client = login(world.user["worker"])
    home = client.get("/").content.decode()
    assert world.person["worker"].name in home
    assert world.person["rider"].name not in home
    assert client.get("/people/").status_code == 403
    assert client.get("/api/v1/people").status_code == 403
