"""Assignments: they give the instructor's login the unit's scope, count for coverage, and take both back."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from ningju.accounts.models import ScopeGrant
from ningju.core.models import AuditEntry
from ningju.coverage.models import UnitCoverage
from ningju.instructors import services
from ningju.instructors.models import Assignment
from ningju.people.models import Person

from .helpers import PASSWORD, assign, fresh, instructor_login, register

pytestmark = pytest.mark.django_db


def _people_seen(client) -> set[str]:
    return {p["name"] for p in client.get("/api/v1/people?page_size=200").json()["items"]}


def test_assignment_grants_the_station_and_ending_takes_it_back(world, login):
    account = instructor_login(world)
    instructor = register(world, phone="13977778888", user=account)
    rider, worker = world.person["rider"].name, world.person["worker"].name

    before = login(account, PASSWORD)
    assert _people_seen(before) == set()
    assert before.get(f"/people/{world.person['rider'].pk}/").status_code == 404

    staff = login(world.user["qy_org"])
    form = staff.get(f"/instructors/{instructor.pk}/assign/").content.decode()
    assert "外卖覃怀站(站点(网点))" in form and "沁阳市委组织部" not in form.split("<select")[1]
    response = staff.post(f"/instructors/{instructor.pk}/assign/", {"organisation": world.org["s2"].pk,
                                                                    "assigned_on": "2026-01-05"})
    assert response.status_code == 302
    assignment = Assignment.objects.get(instructor=instructor)
    assert assignment.organisation == world.org["s2"] and assignment.assigned_on == dt.date(2026, 1, 5)
    assert assignment.assigned_by == world.user["qy_org"]

    during = login(account, PASSWORD)
    assert _people_seen(during) == {rider, worker}
    page = during.get("/people/").content.decode()
    assert rider in page and worker in page
    assert during.get(f"/people/{world.person['rider'].pk}/").status_code == 200
    mine = during.get("/instructors/").content.decode()
    assert "外卖覃怀站" in mine and f"/instructors/assignments/{assignment.pk}/visit/" in mine

    assert staff.post(f"/instructors/assignments/{assignment.pk}/end/", {"ended_on": "2026-02-01"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.ended_on == dt.date(2026, 2, 1)
    after = login(account, PASSWORD)
    assert _people_seen(after) == set()
    assert after.get(f"/people/{world.person['rider'].pk}/").status_code == 404
    assert "外卖覃怀站" not in after.get("/instructors/").content.decode().split("我的走访记录")[0]

    grant = ScopeGrant.objects.get(user=account, organisation=world.org["s2"])
    assert not grant.active  # kept for the record, no longer effective
    assert AuditEntry.objects.filter(action="accounts.grant.created", object_id=str(grant.pk)).exists()
    assert AuditEntry.objects.filter(action="accounts.grant.revoked", object_id=str(grant.pk)).exists()
    assert AuditEntry.objects.filter(action="instructors.assignment.created", object_id=str(assignment.pk)).exists()
    ended = AuditEntry.objects.get(action="instructors.assignment.ended", object_id=str(assignment.pk))
    assert ended.changes == {"ended_on": [None, "2026-02-01"]}


def test_reassignment_grants_again(world):
    account = instructor_login(world)
    instructor = register(world, user=account)
    first = assign(world, instructor, "s2")
    services.assignment_end(actor=world.user["qy_org"], assignment=first)
    assign(world, instructor, "s2")
    assert ScopeGrant.objects.get(user=account, organisation=world.org["s2"]).active
    seen = {p.name for p in Person.objects.visible_to(fresh(account))}
    assert seen == {world.person["rider"].name, world.person["worker"].name}


def test_ending_one_unit_keeps_the_others(world):
    account = instructor_login(world)
    instructor = register(world, user=account)
    s1 = assign(world, instructor, "s1")
    assign(world, instructor, "s2")
    services.assignment_end(actor=world.user["qy_org"], assignment=s1)
    grants = dict(ScopeGrant.objects.filter(user=account).values_list("organisation__name", "active"))
    assert grants == {"网约车太行服务点": False, "外卖覃怀站": True}


def test_linking_a_login_later_grants_the_current_units(world, login):
    instructor = register(world)
    assign(world, instructor, "s2")
    ended = assign(world, instructor, "s1")
    services.assignment_end(actor=world.user["qy_org"], assignment=ended)
    account = instructor_login(world)
    response = login(world.user["qy_org"]).post(f"/instructors/{instructor.pk}/edit/", {
        "name": instructor.name, "phone": "", "title": "", "appointed_by": world.org["qy_org"].pk,
        "account": "link", "existing_user": account.pk})
    assert response.status_code == 302
    assert set(ScopeGrant.objects.filter(user=account, active=True).values_list("organisation__name", flat=True)) \
        == {"外卖覃怀站"}


def test_coverage_row_turns_covered_when_assigned_and_back_when_ended(world, login):
    row = UnitCoverage.objects.get(organisation=world.org["s2"])
    assert not row.covered and row.instructors == 0
    instructor = register(world)
    client = login(world.user["qy_org"])
    client.post(f"/instructors/{instructor.pk}/assign/", {"organisation": world.org["s2"].pk,
                                                          "assigned_on": "2026-01-05"})
    row.refresh_from_db()
    assert row.covered and row.instructors == 1
    # The enterprise above is not covered by an instructor at one of its stations.
    assert not UnitCoverage.objects.get(organisation=world.org["e2"]).covered
    assignment = Assignment.objects.get()
    client.post(f"/instructors/assignments/{assignment.pk}/end/", {"ended_on": "2026-02-01"})
    row.refresh_from_db()
    assert not row.covered and row.instructors == 0


def test_instructor_at_enterprise_covers_its_stations_and_leaving_uncovers_them(world):
    instructor = register(world)
    assign(world, instructor, "e1")
    assert UnitCoverage.objects.get(organisation=world.org["e1"]).covered
    assert UnitCoverage.objects.get(organisation=world.org["s1"]).covered
    services.instructor_deactivate(actor=world.user["qy_org"], instructor=instructor)
    assert not UnitCoverage.objects.get(organisation=world.org["e1"]).covered
    assert not UnitCoverage.objects.get(organisation=world.org["s1"]).covered


def test_leaving_revokes_every_grant(world):
    account = instructor_login(world)
    instructor = register(world, user=account)
    assign(world, instructor, "s1")
    assign(world, instructor, "s2")
    services.instructor_deactivate(actor=world.user["qy_org"], instructor=instructor)
    assert not ScopeGrant.objects.filter(user=account, active=True).exists()
    assert not Assignment.objects.filter(ended_on__isnull=True).exists()


@pytest.mark.parametrize(("unit", "assigned_on", "message"), [
    ("qy_org", None, "请选择管辖范围内的平台企业或站点"),        # not an enterprise or station
    ("luozhuang", None, "请选择管辖范围内的平台企业或站点"),
    ("s2", dt.date(2999, 1, 1), "选派日期不能晚于今天"),
])
def test_bad_assignment_is_refused(world, unit, assigned_on, message):
    instructor = register(world)
    with pytest.raises(ValidationError, match=message):
        assign(world, instructor, unit, assigned_on=assigned_on)
    assert not Assignment.objects.exists()
    assert not UnitCoverage.objects.get(organisation=world.org["s2"]).covered


def test_unit_outside_scope_is_refused(world, login):
    instructor = register(world, actor="sy_org", appointed_by="sy_org")
    client = login(world.user["sy_org"])
    assert "外卖覃怀站" not in client.get(f"/instructors/{instructor.pk}/assign/").content.decode()
    response = client.post(f"/instructors/{instructor.pk}/assign/", {"organisation": world.org["s2"].pk,
                                                                     "assigned_on": "2026-01-05"})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    with pytest.raises(ValidationError, match="管辖范围内"):
        assign(world, instructor, "s2", actor="sy_org")
    assert not Assignment.objects.exists()


def test_duplicate_active_assignment_is_refused(world, login):
    instructor = register(world)
    assign(world, instructor, "s2")
    response = login(world.user["qy_org"]).post(f"/instructors/{instructor.pk}/assign/", {
        "organisation": world.org["s2"].pk, "assigned_on": "2026-01-05"})
    assert response.status_code == 400 and "该指导员已在指导“外卖覃怀站”" in response.content.decode()
    assert Assignment.objects.count() == 1


def test_end_before_start_or_twice_is_refused(world, login):
    instructor = register(world)
    assignment = assign(world, instructor, "s2", assigned_on=dt.date(2026, 3, 1))
    client = login(world.user["qy_org"])
    response = client.post(f"/instructors/assignments/{assignment.pk}/end/", {"ended_on": "2026-02-01"})
    assert response.status_code == 400 and "结束日期不能早于选派日期(2026-03-01)" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.ended_on is None
    services.assignment_end(actor=world.user["qy_org"], assignment=assignment)
    with pytest.raises(ValidationError, match="该选派已结束"):
        services.assignment_end(actor=world.user["qy_org"], assignment=assignment)


@pytest.mark.parametrize("role", ["transport", "town", "instructor"])
def test_read_only_roles_cannot_assign_or_end(world, login, role):
    instructor = register(world)
    assignment = assign(world, instructor, "s1")
    client = login(world.user[role])
    assert client.get(f"/instructors/{instructor.pk}/assign/").status_code == 403
    assert client.post(f"/instructors/{instructor.pk}/assign/", {"organisation": world.org["s1"].pk}).status_code == 403
    assert client.post(f"/instructors/assignments/{assignment.pk}/end/", {"ended_on": "2026-02-01"}).status_code == 403
    assignment.refresh_from_db()
    assert assignment.ended_on is None
