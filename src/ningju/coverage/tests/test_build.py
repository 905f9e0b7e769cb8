"""应建尽建: three or more formal members → found a branch; fewer → a joint branch or an instructor."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from ningju.core.models import AuditEntry
from ningju.coverage import services
from ningju.coverage.models import JointBranchLink, UnitCoverage
from ningju.orgs.models import Industry, Kind, Organisation
from ningju.people.models import Occupation, PoliticalStatus
from ningju.testing.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def big_station(world):
    """A courier station in 覃怀街道 with three formal members, one probationary and one mobile member."""
    station = OrganisationFactory(name="快递覃怀网点", kind=Kind.STATION, industry=Industry.EXPRESS,
                                  division=world.div["qzs"], parent=world.org["market"])
    for i in range(3):
        PersonFactory(name=f"快递员{i}", occupation=Occupation.COURIER, employer=station,
                      political_status=PoliticalStatus.MEMBER, is_mobile_member=(i == 0),
                      party_org_text="河南省博爱县某村党支部" if i == 0 else "")
    PersonFactory(name="快递员预备", occupation=Occupation.COURIER, employer=station,
                  political_status=PoliticalStatus.PROBATIONARY)
    return station


def categories(client, **params):
    items = client.get(f"{API}/coverage/should-build", params).json()["items"]
    return {i["name"]: i["category"] for i in items}


def test_listing_applies_the_rule(world, login, big_station):
    client = login(world.user["qy_org"])
    found = categories(client)
    assert found["快递覃怀网点"] == "should_found"
    assert found["网约车太行服务点"] == "needs_cover"  # one formal member (司机甲), not covered
    assert found["外卖覃怀站"] == "needs_cover"
    page = client.get("/coverage/build/").content.decode()
    assert "应单独建立党支部" in page and "建立“快递覃怀网点党支部”" in page
    assert "流动党员" in page and "快递员0" in page and "河南省博爱县某村党支部" in page
    should = client.get("/coverage/build/?category=should_found").content.decode()
    assert "快递覃怀网点" in should and "外卖覃怀站" not in should
    assert categories(client, category="should_found") == {"快递覃怀网点": "should_found"}


def test_found_branch_action_turns_the_unit_covered(world, login, big_station):
    client = login(world.user["qy_org"])
    assert not UnitCoverage.objects.get(organisation=big_station).covered
    response = client.post(f"/coverage/build/{big_station.pk}/found-branch/", follow=True)
    assert "已建立“快递覃怀网点党支部”" in response.content.decode()
    branch = Organisation.objects.get(parent=big_station)
    assert (branch.kind, branch.name, branch.division) == (Kind.BRANCH, "快递覃怀网点党支部", big_station.division)
    uc = UnitCoverage.objects.get(organisation=big_station)
    assert uc.covered and uc.has_branch
    assert categories(client)["快递覃怀网点"] == "covered"
    assert AuditEntry.objects.filter(action="coverage.branch.founded", object_id=str(big_station.pk)).exists()
    # Twice: refused, nothing created.
    again = client.post(f"{API}/coverage/units/{big_station.pk}/found-branch")
    assert again.status_code == 400 and "已建立党组织" in again.json()["error"]["message"]
    assert Organisation.objects.filter(parent=big_station).count() == 1
    call_command("check_coverage")


def test_found_branch_refused_below_three_formal_members(world, login):
    client = login(world.user["qy_org"])
    response = client.post(f"{API}/coverage/units/{world.org['s1'].pk}/found-branch")
    assert response.status_code == 400 and "不足3名" in response.json()["error"]["message"]
    assert not Organisation.objects.filter(parent=world.org["s1"]).exists()
    assert client.post(f"{API}/coverage/units/{world.org['luozhuang'].pk}/found-branch").status_code == 404
    # Out of scope and without the manage module.
    assert login(world.user["sy_org"]).post(f"/coverage/build/{world.org['s1'].pk}/found-branch/").status_code == 404
    assert login(world.user["town"]).post(f"/coverage/build/{world.org['s1'].pk}/found-branch/").status_code == 403


def test_attach_to_an_existing_joint_branch(world, login):
    joint = OrganisationFactory(name="覃怀街道新就业群体联合党支部", kind=Kind.JOINT_BRANCH,
                                division=world.div["qinhuai"], parent=world.org["qy"])
    client = login(world.user["qy_org"])
    page = client.get(f"/coverage/build/{world.org['s2'].pk}/joint-branch/")
    assert page.status_code == 200 and "覃怀街道新就业群体联合党支部" in page.content.decode()
    response = client.post(f"/coverage/build/{world.org['s2'].pk}/joint-branch/", {"joint_branch": joint.pk})
    assert response.status_code == 302
    link = JointBranchLink.objects.get(organisation=world.org["s2"])
    assert link.joint_branch == joint
    uc = UnitCoverage.objects.get(organisation=world.org["s2"])
    assert uc.covered and uc.has_joint_branch
    assert categories(client)["外卖覃怀站"] == "covered"
    assert AuditEntry.objects.filter(action="coverage.joint_branch.attached").exists()
    with pytest.raises(ValidationError):
        services.joint_branch_attach(actor=None, organisation=world.org["s2"], joint_branch=joint)


def test_create_a_joint_branch_on_the_spot(world, login):
    client = login(world.user["qy_org"])
    bad = client.post(f"/coverage/build/{world.org['s1'].pk}/joint-branch/", {"new_name": "", "new_parent": ""})
    assert bad.status_code == 400 and not JointBranchLink.objects.exists()
    api = client.post(f"{API}/coverage/units/{world.org['s1'].pk}/joint-branch",
                      {"new_name": "太行街道新就业群体联合党支部", "new_parent_id": world.org["taihang"].pk},
                      content_type="application/json")
    assert api.status_code == 201, api.content
    joint = Organisation.objects.get(name="太行街道新就业群体联合党支部")
    assert joint.kind == Kind.JOINT_BRANCH and joint.parent == world.org["taihang"]
    assert api.json()["joint_branch"]["id"] == joint.pk
    assert UnitCoverage.objects.get(organisation=world.org["s1"]).covered
    # Not a joint branch, or a parent that cannot hold one: field errors.
    wrong = client.post(f"{API}/coverage/units/{world.org['s2'].pk}/joint-branch",
                        {"joint_branch_id": world.org["luozhuang"].pk}, content_type="application/json")
    assert wrong.status_code == 400
    call_command("check_coverage")


def test_enterprise_branch_covers_its_stations(world, login):
    for i in range(3):
        PersonFactory(name=f"外卖党员{i}", employer=world.org["s2"], political_status=PoliticalStatus.MEMBER)
    client = login(world.user["qy_org"])
    found = categories(client)
    assert found["外卖平台沁阳站"] == "should_found" and found["外卖覃怀站"] == "should_found"
    client.post(f"/coverage/build/{world.org['e2'].pk}/found-branch/")
    found = categories(client)
    assert found["外卖平台沁阳站"] == "covered" and found["外卖覃怀站"] == "covered"
