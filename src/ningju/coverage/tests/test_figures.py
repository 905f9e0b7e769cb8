"""Coverage figures per division (drill-down) and per industry, checked against counts computed here
straight from the records; the Excel export; scoping."""

import io

import openpyxl
import pytest
from django.core.management import call_command

from ningju.coverage import rollup, services
from ningju.coverage.models import Finding, JointBranchLink
from ningju.instructors.models import Assignment, Instructor
from ningju.orgs.models import PARTY_KINDS, Industry, Kind, Organisation
from ningju.people.models import Person, PoliticalStatus
from ningju.testing.factories import OrganisationFactory, PersonFactory

from .helpers import add_member_record

pytestmark = pytest.mark.django_db

API = "/api/v1"
UNIT_KINDS = (Kind.PLATFORM_ENTERPRISE, Kind.STATION)


@pytest.fixture
def city(world, campaign, today):
    """The world plus: a courier station with a branch, 外卖覃怀站 in a joint branch, an instructor at
    网约车太行服务点, a station in 山阳区, and 骑手乙 found and verified."""
    o, d = world.org, world.div
    courier = OrganisationFactory(name="快递覃怀网点", kind=Kind.STATION, industry=Industry.EXPRESS,
                                  division=d["qzs"], parent=o["market"])
    for i in range(3):
        PersonFactory(name=f"快递员{i}", employer=courier, political_status=PoliticalStatus.MEMBER,
                      is_mobile_member=(i == 0), party_org_text="外地" if i == 0 else "")
    PersonFactory(name="快递预备党员", employer=courier, political_status=PoliticalStatus.PROBATIONARY)
    services.branch_found(actor=None, organisation=courier)
    joint = OrganisationFactory(name="覃怀联合党支部", kind=Kind.JOINT_BRANCH, division=d["qinhuai"], parent=o["qy"])
    services.joint_branch_attach(actor=None, organisation=o["s2"], joint_branch=joint)
    teacher = Instructor.objects.create(name="马指导员", appointed_by=o["qy_org"])
    Assignment.objects.create(instructor=teacher, organisation=o["s1"], assigned_on=today)
    ended = Instructor.objects.create(name="已离岗指导员", appointed_by=o["qy_org"], active=False)
    Assignment.objects.create(instructor=ended, organisation=o["e2"], assigned_on=today)
    rollup.refresh_for([o["s1"].pk, o["e2"].pk])
    sy_station = OrganisationFactory(name="山阳外卖站", kind=Kind.STATION, industry=Industry.FOOD_DELIVERY,
                                     division=d["zhongma"], parent=o["sy_org"])
    PersonFactory(name="山阳党员", employer=sy_station, political_status=PoliticalStatus.MEMBER)
    add_member_record(world.person["rider"], division=d["qy"])
    services.match_campaign(campaign)
    services.finding_verify(actor=world.user["qy_org"], finding=Finding.objects.get())
    return world


def expected(division_path: str, industry: str | None = None) -> dict:
    """The figures computed here from the records: organisations, people, findings, links, assignments."""
    units = list(Organisation.objects.filter(kind__in=UNIT_KINDS, division__path__startswith=division_path)
                 .select_related("parent"))
    if industry is not None:
        units = [u for u in units if u.industry == industry]

    def chain(u):
        return [u] + ([u.parent] if u.parent and u.parent.kind == Kind.PLATFORM_ENTERPRISE else [])

    def covered(u):
        for x in chain(u):
            if Organisation.objects.filter(parent=x, kind__in=PARTY_KINDS, is_active=True).exists():
                return True
            if JointBranchLink.objects.filter(organisation=x).exists():
                return True
            if Assignment.objects.filter(organisation=x, ended_on__isnull=True, instructor__active=True).exists():
                return True
        return False

    people = Person.objects.filter(employer__in=units)
    verified = Finding.objects.filter(status=Finding.Status.VERIFIED, person__employer__in=units)
    n_covered = sum(1 for u in units if covered(u))
    return {
        "units": len(units),
        "covered": n_covered,
        "rate": round(100 * n_covered / len(units), 1) if units else None,
        "workers": people.count(),
        "formal": people.filter(political_status=PoliticalStatus.MEMBER).count(),
        "probationary": people.filter(political_status=PoliticalStatus.PROBATIONARY).count(),
        "mobile": people.filter(is_mobile_member=True).count(),
        "found_org": verified.filter(channel=Finding.Channel.ORG_FINDS).values("person").distinct().count(),
        "found_total": verified.values("person").distinct().count(),
        "instructors": Assignment.objects.filter(organisation__in=units, ended_on__isnull=True,
                                                 instructor__active=True).values("instructor").distinct().count(),
    }


def subset(row: dict) -> dict:
    return {k: row[k] for k in ("units", "covered", "rate", "workers", "formal", "probationary", "mobile",
                                "found_org", "found_total", "instructors")}


def test_city_figures_per_county_from_records(city, login):
    client = login(city.user["city_org"])
    data = client.get(f"{API}/coverage/figures").json()
    assert data["division_code"] == "410800000000"
    assert subset(data["totals"]) == expected(city.div["city"].path)
    by_code = {r["code"]: r for r in data["by_division"]}
    assert set(by_code) == {"410882000000", "410811000000"}
    assert subset(by_code["410882000000"]) == expected(city.div["qy"].path)
    assert subset(by_code["410811000000"]) == expected(city.div["sy"].path)
    # The numbers themselves, so that the test does not only compare two computations.
    qy = by_code["410882000000"]
    # Covered: 快递覃怀网点 (branch), 外卖覃怀站 (joint branch), 网约车太行服务点 (instructor); not the two
    # enterprises (外卖平台沁阳站's instructor is no longer active).
    assert (qy["units"], qy["covered"], qy["formal"], qy["found_total"], qy["instructors"]) == (5, 3, 5, 1, 1)
    assert qy["rate"] == 60.0


def test_county_drill_down_to_towns_and_units(city, login):
    client = login(city.user["qy_org"])
    data = client.get(f"{API}/coverage/figures?division=410882000000").json()
    rows = {r["code"]: r for r in data["by_division"]}
    assert set(rows) == {"", "410882003000", "410882001000"}  # "" = units placed at the county itself
    assert rows[""]["name"] == "沁阳市(本级)" and rows[""]["units"] == 2
    assert subset(rows["410882001000"]) == expected(city.div["qinhuai"].path)
    assert subset(rows["410882003000"]) == expected(city.div["taihang"].path)
    page = client.get("/coverage/figures/410882000000/").content.decode()
    assert 'href="/coverage/figures/410882001000/"' in page and "覃怀街道" in page
    town = client.get("/coverage/figures/410882001000/").content.decode()
    assert "快递覃怀网点" in town and "外卖覃怀站" in town and "网约车太行服务点" not in town
    assert client.get(f"{API}/coverage/figures?division=410882001000").json()["by_division"] is None


def test_figures_per_industry_from_records(city, login):
    client = login(city.user["qy_org"])
    data = client.get(f"{API}/coverage/figures").json()
    rows = {r["industry"]: r for r in data["by_industry"]}
    assert set(rows) == {"food_delivery", "express", "ride_hailing"}
    for code in rows:
        assert subset(rows[code]) == expected(city.div["qy"].path, code), code
    only = client.get(f"{API}/coverage/figures?industry=ride_hailing").json()
    assert subset(only["totals"]) == expected(city.div["qy"].path, "ride_hailing")
    assert only["uncovered_count"] == 1 and only["uncovered"][0]["name"] == "网约车平台沁阳站"
    assert "党建指导员" in only["uncovered"][0]["why"]
    assert client.get(f"{API}/coverage/figures?industry=boats").status_code == 400


def test_uncovered_units_listed_with_why(city, login):
    page = login(city.user["qy_org"]).get("/coverage/figures/").content.decode()
    assert "尚未覆盖的单位(2 个)" in page and "网约车平台沁阳站" in page and "外卖平台沁阳站" in page
    assert "60%" in page


def test_figures_export(city, login):
    response = login(city.user["qy_org"]).get("/coverage/figures/export.xlsx?division=410882000000")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    total = dict(zip(header, rows[1], strict=True))
    want = expected(city.div["qy"].path)
    assert total["分组"] == "合计" and total["企业/站点"] == want["units"] and total["已覆盖"] == want["covered"]
    assert total["正式党员"] == want["formal"] and total["发现党员(去重)"] == want["found_total"]
    units = [dict(zip(header, r, strict=True)) for r in rows if r[0] == "企业/站点"]
    assert {u["名称"] for u in units} == {"网约车平台沁阳站", "网约车太行服务点", "外卖平台沁阳站", "外卖覃怀站",
                                        "快递覃怀网点"}
    assert next(u for u in units if u["名称"] == "网约车平台沁阳站")["是否覆盖"] == "否"


def test_figures_scoping(city, login):
    qy = login(city.user["qy_org"])
    assert qy.get("/coverage/figures/410811000000/").status_code == 404  # another district
    assert qy.get("/coverage/figures/410800000000/").status_code == 404  # above the territory
    assert qy.get(f"{API}/coverage/figures?division=410811000000").status_code == 404
    assert qy.get("/coverage/figures/export.xlsx?division=410811000000").status_code == 404
    assert qy.get("/coverage/figures/999999999999/").status_code == 404
    sy = login(city.user["sy_org"]).get(f"{API}/coverage/figures").json()
    assert sy["division_code"] == "410811000000" and subset(sy["totals"]) == expected(city.div["sy"].path)
    # The transport department: its own enterprise and station only.
    transport = login(city.user["transport"]).get(f"{API}/coverage/figures").json()
    assert transport["totals"]["units"] == 2 and transport["totals"]["instructors"] == 1
    assert login(city.user["station"]).get("/coverage/figures/").status_code == 403
    call_command("check_coverage")
