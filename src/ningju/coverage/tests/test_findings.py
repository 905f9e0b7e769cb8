"""Finding members three ways (组织找党员、党员找组织、党员找党员), verification and rejection."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client

from ningju.core import hooks
from ningju.core.crypto import keyed_hash
from ningju.core.models import AuditEntry
from ningju.coverage import services
from ningju.coverage.models import Campaign, CampaignUnit, Finding, MemberRecord, UnitCoverage
from ningju.people import services as people_services
from ningju.people.models import Person, PoliticalStatus
from ningju.testing.factories import OrganisationFactory, PersonFactory, make_id

from .helpers import add_member_record

pytestmark = pytest.mark.django_db

API = "/api/v1"
Channel = Finding.Channel


def join_data(world, campaign, **overrides):
    data = {"name": "王党员", "id_number": make_id("410882", 1991), "phone": "13811112222",
            "employer": world.org["s2"].pk, "member_status": "formal", "relation_org": world.org["luozhuang"].pk,
            "relation_text": ""}
    data.update(overrides)
    return data


# --- 组织找党员 -------------------------------------------------------------------------------------------------

def test_match_finds_registry_members_among_the_units_workers(world, campaign):
    rider, driver, villager = world.person["rider"], world.person["driver"], world.person["villager"]
    add_member_record(rider, division=world.div["qy"], status=MemberRecord.Status.PROBATIONARY,
                      relation_text="山西省晋城市某村党支部")
    add_member_record(driver, division=world.div["qy"], relation_org=world.org["luozhuang"])
    add_member_record(villager, division=world.div["sy"])  # no employer: not in any unit
    outsider = PersonFactory(name="山阳骑手", employer=OrganisationFactory(
        name="山阳站", kind="station", industry="food_delivery", division=world.div["zhongxing"],
        parent=world.org["sy_org"]))
    add_member_record(outsider, division=world.div["sy"])  # employed outside the campaign's units

    assert services.match_campaign(campaign, actor=world.user["qy_org"]) == 2
    found = {f.person.name: f for f in Finding.objects.filter(campaign=campaign)}
    assert set(found) == {"骑手乙", "司机甲"}
    assert all(f.channel == Channel.ORG_FINDS and f.status == Finding.Status.PENDING for f in found.values())
    assert found["骑手乙"].member_status == MemberRecord.Status.PROBATIONARY
    assert found["骑手乙"].relation_text == "山西省晋城市某村党支部"
    assert found["骑手乙"].employer == world.org["s2"] and found["骑手乙"].member_record.name == "骑手乙"
    # Run again: nothing new (already found), and the registry is untouched.
    assert services.match_campaign(campaign) == 0
    assert Finding.objects.count() == 2
    assert AuditEntry.objects.filter(action="coverage.finding.created").count() == 2
    assert Person.objects.get(pk=rider.pk).political_status == PoliticalStatus.MASSES  # not until verified


def test_match_button_on_the_campaign_page(world, login, campaign):
    add_member_record(world.person["rider"], division=world.div["qy"])
    client = login(world.user["qy_org"])
    response = client.post(f"/coverage/campaigns/{campaign.pk}/match/", follow=True)
    assert "新发现 1 条党员线索" in response.content.decode()
    assert login(world.user["town"]).post(f"/coverage/campaigns/{campaign.pk}/match/").status_code == 403
    api = client.post(f"{API}/coverage/campaigns/{campaign.pk}/match")
    assert api.status_code == 200 and api.json() == {"new_findings": 0}


def test_roster_import_hook_matches_in_active_campaigns_only(world, campaign, today):
    ended = Campaign.objects.create(name="去年排查", organiser=world.org["qy_org"], public_token="old-token-123",
                                    starts_on=today - dt.timedelta(days=400), ends_on=today - dt.timedelta(days=340))
    CampaignUnit.objects.create(campaign=ended, organisation=world.org["s2"])
    rider = world.person["rider"]
    add_member_record(rider, division=world.div["qy"])
    hooks.emit("rosters.imported", org_ids=[world.org["s2"].pk], person_ids=[rider.pk])
    assert list(Finding.objects.values_list("campaign_id", "channel", "person_id")) == [
        (campaign.pk, Channel.ORG_FINDS, rider.pk)]
    # A roster of another station (not covered by these campaigns) finds nothing.
    hooks.emit("rosters.imported", org_ids=[world.org["luozhuang"].pk], person_ids=[rider.pk])
    assert Finding.objects.count() == 1


# --- 党员找组织 -------------------------------------------------------------------------------------------------

def test_join_page_works_anonymously_and_registers_a_new_person(world, campaign):
    client = Client()
    url = f"/coverage/join/{campaign.public_token}/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "外卖覃怀站" in body and "罗庄社区党支部" in body and "身份证号" in body
    data = join_data(world, campaign)
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == f"{url}?done=1"
    assert "已收到您的登记信息" in client.get(response["Location"]).content.decode()
    person = Person.objects.get(id_hash=keyed_hash(data["id_number"]))
    assert person.name == "王党员" and person.employer == world.org["s2"]
    assert person.political_status == PoliticalStatus.MASSES  # a member only once verified
    finding = Finding.objects.get(person=person)
    assert finding.channel == Channel.SELF_DECLARED and finding.status == Finding.Status.PENDING
    assert finding.relation_org == world.org["luozhuang"] and finding.declared_phone == "13811112222"
    assert AuditEntry.objects.filter(action="coverage.finding.created", source="public").exists()


def test_join_page_never_duplicates_or_modifies_a_known_person(world, campaign):
    rider = world.person["rider"]
    url = f"/coverage/join/{campaign.public_token}/"
    before = Person.objects.count()
    response = Client().post(url, join_data(world, campaign, name="改了名字", id_number=rider.id_number,
                                            phone="13899998888"))
    assert response.status_code == 302
    assert Person.objects.count() == before
    rider = Person.objects.get(pk=rider.pk)
    assert rider.name == "骑手乙" and rider.phone != "13899998888"
    finding = Finding.objects.get(channel=Channel.SELF_DECLARED)
    assert finding.person == rider and finding.declared_name == "改了名字"
    # Declared again while pending: nothing new, the same answer.
    again = Client().post(url, join_data(world, campaign, id_number=rider.id_number))
    assert again.status_code == 302 and Finding.objects.filter(channel=Channel.SELF_DECLARED).count() == 1


def test_join_page_never_shows_whether_an_id_number_is_registered(world, campaign):
    url = f"/coverage/join/{campaign.public_token}/"
    known = Client().post(url, join_data(world, campaign, id_number=world.person["driver"].id_number))
    unknown = Client().post(url, join_data(world, campaign, id_number=make_id("410882", 1985)))
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    done_known = _without_csrf(Client().get(known["Location"]).content.decode())
    done_unknown = _without_csrf(Client().get(unknown["Location"]).content.decode())
    assert done_known == done_unknown
    assert "已登记" not in done_known and "已存在" not in done_known
    # A form error on the same (known) ID number says nothing about it either.
    known_bad = Client().post(url, join_data(world, campaign, id_number=world.person["rider"].id_number, phone="1"))
    unknown_bad = Client().post(url, join_data(world, campaign, id_number=make_id("410882", 1986), phone="1"))
    assert known_bad.status_code == unknown_bad.status_code == 400
    assert "已登记" not in known_bad.content.decode()
    strip = re.compile(r'value="[0-9X]{18}"')
    assert strip.sub("", _without_csrf(known_bad.content.decode())) == \
        strip.sub("", _without_csrf(unknown_bad.content.decode()))


def _without_csrf(html: str) -> str:
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', "", html)


def test_join_page_bad_input_gets_chinese_errors_and_changes_nothing(world, campaign):
    url = f"/coverage/join/{campaign.public_token}/"
    before = (Person.objects.count(), Finding.objects.count())
    valid = make_id("410882", 1990)
    wrong_check = valid[:17] + ("1" if valid[17] != "1" else "2")
    bad = Client().post(url, join_data(world, campaign, id_number=wrong_check, phone="123",
                                       relation_org="", relation_text=""))
    text = bad.content.decode()
    assert bad.status_code == 400
    assert "身份证号码校验位错误" in text and "手机号码应为11位" in text and "请选择组织关系所在" in text
    both = Client().post(url, join_data(world, campaign, relation_text="外地某支部"))
    assert both.status_code == 400 and "二选一" in both.content.decode()
    other = OrganisationFactory(name="山阳外卖站", kind="station", division=world.div["zhongxing"],
                                parent=world.org["sy_org"])
    outside = Client().post(url, join_data(world, campaign, employer=other.pk))
    assert outside.status_code == 400
    assert (Person.objects.count(), Finding.objects.count()) == before
    assert Client().get("/coverage/join/no-such-token/").status_code == 404


def test_join_page_is_rate_limited_per_address(world, campaign):
    url = f"/coverage/join/{campaign.public_token}/"
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(20):
        assert client.post(url, {"name": ""}).status_code == 400
    limited = client.post(url, join_data(world, campaign))
    assert limited.status_code == 429
    assert "提交太频繁" in limited.content.decode()
    assert not Finding.objects.exists()
    # Another address is not affected.
    assert Client(REMOTE_ADDR="10.9.9.9").post(url, join_data(world, campaign)).status_code == 302


def test_join_page_closed_outside_the_period(world, campaign, today):
    Campaign.objects.filter(pk=campaign.pk).update(ends_on=today - dt.timedelta(days=1))
    response = Client().post(f"/coverage/join/{campaign.public_token}/", join_data(world, campaign))
    assert response.status_code == 200 and "不在登记时间内" in response.content.decode()
    assert not Finding.objects.exists()


# --- 党员找党员 -------------------------------------------------------------------------------------------------

def make_worker_member(world):
    people_services.person_update(actor=None, person=world.person["worker"], political_status=PoliticalStatus.MEMBER)


def test_member_worker_refers_a_colleague(world, login, campaign):
    client = login(world.user["worker"])
    assert client.get("/coverage/refer/").status_code == 403  # 骑手丁 is not a member yet
    make_worker_member(world)
    client = login(world.user["worker"])
    page = client.get("/coverage/refer/")
    assert page.status_code == 200 and "外卖覃怀站" in page.content.decode()
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s2"])
    response = client.post("/coverage/refer/", {"unit": unit.pk, "name": "张同事", "phone": "13700001111",
                                                "note": "在老家村里入的党"})
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.channel == Channel.REFERRED and finding.referrer == world.person["worker"]
    assert finding.person is None and finding.employer == world.org["s2"]
    assert "张同事" in client.get("/coverage/refer/").content.decode()  # "我推荐的"
    # The worker cannot read the campaign pages.
    assert client.get(f"/coverage/campaigns/{campaign.pk}/").status_code == 403
    bad = client.post("/coverage/refer/", {"unit": unit.pk, "name": "", "phone": "1"})
    assert bad.status_code == 400 and Finding.objects.count() == 1


def test_referral_through_the_api_and_by_staff(world, login, campaign):
    make_worker_member(world)
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s1"])
    worker = login(world.user["worker"])
    created = worker.post(f"{API}/coverage/findings/referrals",
                          {"campaign_unit_id": unit.pk, "name": "李司机", "phone": "13700002222"},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["channel"] == "referred"
    staff = login(world.user["qy_org"])
    response = staff.post(f"/coverage/campaigns/{campaign.pk}/referral/", {
        "unit": unit.pk, "name": "赵司机", "phone": "13700003333",
        "referrer_id_number": world.person["driver"].id_number})
    assert response.status_code == 302
    assert Finding.objects.get(declared_name="赵司机").referrer == world.person["driver"]
    # A referrer who is not a member is refused.
    with pytest.raises(ValidationError):
        services.referral_create(actor=None, unit=unit, name="某人", phone="13700004444",
                                 referrer=world.person["rider"])


# --- verification ------------------------------------------------------------------------------------------

def test_verification_updates_the_person_and_the_rollup(world, login, campaign):
    rider = world.person["rider"]
    add_member_record(rider, division=world.div["qy"], relation_text="山西省晋城市某村党支部")
    services.match_campaign(campaign)
    finding = Finding.objects.get()
    client = login(world.user["qy_org"])
    response = client.post(f"/coverage/findings/{finding.pk}/verify/", {
        "verify-member_status": "formal", "verify-relation_org": "", "verify-relation_text": "山西省晋城市某村党支部",
        "verify-reason": "与党员信息库一致"})
    assert response.status_code == 302
    rider = Person.objects.get(pk=rider.pk)
    assert rider.political_status == PoliticalStatus.MEMBER
    assert rider.is_mobile_member and rider.party_org_text == "山西省晋城市某村党支部"
    finding.refresh_from_db()
    assert finding.status == Finding.Status.VERIFIED and finding.reviewed_by == world.user["qy_org"]
    uc = UnitCoverage.objects.get(organisation=world.org["s2"])
    assert (uc.formal_members, uc.mobile_members, uc.found_org, uc.found_total) == (1, 1, 1, 1)
    assert AuditEntry.objects.filter(action="coverage.finding.verified", object_id=str(finding.pk)).exists()
    assert AuditEntry.objects.filter(action="people.person.updated", object_id=str(rider.pk)).exists()
    # Once handled, it cannot be handled again.
    again = client.post(f"/coverage/findings/{finding.pk}/reject/", {"reject-reason": "重复"})
    assert again.status_code == 400 or "已处理" in client.get(f"/coverage/findings/{finding.pk}/").content.decode()
    assert Finding.objects.get(pk=finding.pk).status == Finding.Status.VERIFIED


def test_relation_in_the_county_is_not_mobile_outside_it_is(world, campaign):
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s1"])
    local = services.referral_create(actor=None, unit=unit, name="本地党员", phone="13700005555")
    services.finding_verify(actor=world.user["qy_org"], finding=local, id_number=make_id("410882", 1980),
                            relation_org=world.org["luozhuang"], relation_text="")
    person = Finding.objects.get(pk=local.pk).person
    assert person.political_status == PoliticalStatus.MEMBER and not person.is_mobile_member
    assert person.party_org == world.org["luozhuang"] and person.employer == world.org["s1"]
    far = services.referral_create(actor=None, unit=unit, name="外县党员", phone="13700006666")
    services.finding_verify(actor=world.user["qy_org"], finding=far, id_number=make_id("410811", 1981),
                            relation_org=world.org["zhongma"], relation_text="",
                            member_status=MemberRecord.Status.PROBATIONARY)
    person = Finding.objects.get(pk=far.pk).person
    assert person.political_status == PoliticalStatus.PROBATIONARY and person.is_mobile_member


def test_referral_verification_needs_the_id_number(world, login, campaign):
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s2"])
    finding = services.referral_create(actor=None, unit=unit, name="待核实", phone="13700007777")
    client = login(world.user["qy_org"])
    response = client.post(f"/coverage/findings/{finding.pk}/verify/", {
        "verify-member_status": "formal", "verify-relation_org": world.org["luozhuang"].pk})
    assert response.status_code == 400 and "请填写被推荐人的身份证号码" in response.content.decode()
    assert Finding.objects.get(pk=finding.pk).status == Finding.Status.PENDING
    number = make_id("410882", 1979)
    api = client.post(f"{API}/coverage/findings/{finding.pk}/verify",
                      {"id_number": number, "relation_org_id": world.org["luozhuang"].pk},
                      content_type="application/json")
    assert api.status_code == 200, api.content
    assert api.json()["status"] == "verified"
    person = Person.objects.get(id_hash=keyed_hash(number))
    assert person.name == "待核实" and person.phone == "13700007777" and person.employer == world.org["s2"]


def test_rejection_needs_a_reason(world, login, campaign):
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s2"])
    finding = services.referral_create(actor=None, unit=unit, name="不是党员", phone="13700008888")
    client = login(world.user["qy_org"])
    blank = client.post(f"/coverage/findings/{finding.pk}/reject/", {"reject-reason": "  "})
    assert blank.status_code == 400 and "请填写核实不属实的原因" in blank.content.decode()
    api_blank = client.post(f"{API}/coverage/findings/{finding.pk}/reject", {"reason": ""},
                            content_type="application/json")
    assert api_blank.status_code == 400 and api_blank.json()["error"]["fields"][0]["field"] == "reason"
    assert Finding.objects.get(pk=finding.pk).status == Finding.Status.PENDING
    ok = client.post(f"/coverage/findings/{finding.pk}/reject/", {"reject-reason": "本人确认不是党员"})
    assert ok.status_code == 302
    finding.refresh_from_db()
    assert finding.status == Finding.Status.REJECTED and finding.review_reason == "本人确认不是党员"
    assert AuditEntry.objects.filter(action="coverage.finding.rejected", object_id=str(finding.pk)).exists()


def test_a_person_found_by_two_channels_counts_once(world, login, campaign):
    rider = world.person["rider"]
    add_member_record(rider, division=world.div["qy"])
    services.match_campaign(campaign)
    Client().post(f"/coverage/join/{campaign.public_token}/",
                  join_data(world, campaign, name="骑手乙", id_number=rider.id_number))
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s2"])
    referral = services.referral_create(actor=None, unit=unit, name="骑手乙", phone="13700009999")
    qy = world.user["qy_org"]
    for f in Finding.objects.filter(channel__in=[Channel.ORG_FINDS, Channel.SELF_DECLARED]):
        services.finding_verify(actor=qy, finding=f)
    services.finding_verify(actor=qy, finding=referral, id_number=rider.id_number)
    assert set(Finding.objects.values_list("channel", "person_id", "status")) == {
        (c, rider.pk, Finding.Status.VERIFIED) for c in Channel.values}
    assert Person.objects.filter(id_hash=rider.id_hash).count() == 1

    figures = login(qy).get(f"{API}/coverage/figures").json()["totals"]
    assert (figures["found_org"], figures["found_self"], figures["found_referred"]) == (1, 1, 1)
    assert figures["found_total"] == 1
    assert figures["formal"] == 2  # 司机甲 and now 骑手乙
    summary = login(qy).get(f"{API}/coverage/campaigns/{campaign.pk}").json()["progress"]
    assert summary["found"] == 1 and {c["channel"]: c["found"] for c in summary["by_channel"]} == {
        "org_finds": 1, "self_declared": 1, "referred": 1}
    page = login(qy).get(f"/coverage/findings/{referral.pk}/").content.decode()
    assert "同一人员的其他线索" in page


def test_who_may_verify(world, login, campaign):
    s1_unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s1"])
    s2_unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s2"])
    at_s1 = services.referral_create(actor=None, unit=s1_unit, name="甲", phone="13700000001")
    at_s2 = services.referral_create(actor=None, unit=s2_unit, name="乙", phone="13700000002")
    instructor = login(world.user["instructor"])  # instructor of s1
    assert instructor.get(f"/coverage/findings/{at_s2.pk}/").status_code == 404
    response = instructor.post(f"/coverage/findings/{at_s1.pk}/reject/", {"reject-reason": "查无此人"})
    assert response.status_code == 302
    # The transport department sees the finding at its station but may not verify it.
    transport = login(world.user["transport"])
    assert transport.get(f"/coverage/findings/{at_s1.pk}/").status_code == 200
    with pytest.raises(PermissionDenied):
        services.finding_reject(actor=world.user["transport"], finding=at_s2, reason="x")
    assert transport.post(f"{API}/coverage/findings/{at_s1.pk}/reject", {"reason": "x"},
                          content_type="application/json").status_code in (400, 403)
    api = transport.post(f"{API}/coverage/findings/{at_s2.pk}/reject", {"reason": "x"},
                         content_type="application/json")
    assert api.status_code == 404  # 外卖 is not the transport department's
    # Another district: 404 on the list and the detail.
    sy = login(world.user["sy_org"])
    assert sy.get(f"/coverage/findings/{at_s2.pk}/").status_code == 404
    assert sy.get(f"{API}/coverage/findings").json()["count"] == 0


def test_finding_list_filters_and_masks_phones(world, login, campaign):
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s1"])
    services.referral_create(actor=None, unit=unit, name="甲推荐", phone="13712345678")
    add_member_record(world.person["driver"], division=world.div["qy"])
    services.match_campaign(campaign)
    qy = login(world.user["qy_org"])
    items = qy.get(f"{API}/coverage/findings?channel=referred").json()["items"]
    assert [i["declared_name"] for i in items] == ["甲推荐"] and items[0]["declared_phone"] == "13712345678"
    town = login(world.user["town"])  # sees s1, phones masked
    items = town.get(f"{API}/coverage/findings?channel=referred").json()["items"]
    assert items[0]["declared_phone"] == "137****5678"
    assert town.get("/coverage/findings/?q=甲").status_code == 200
    assert qy.get(f"{API}/coverage/findings?channel=bogus").status_code == 400


def test_check_coverage_passes_after_the_survey(world, campaign, capsys):
    rider = world.person["rider"]
    add_member_record(rider, division=world.div["qy"])
    services.match_campaign(campaign)
    services.finding_verify(actor=world.user["qy_org"], finding=Finding.objects.get())
    Client().post(f"/coverage/join/{campaign.public_token}/", join_data(world, campaign))
    services.finding_verify(actor=world.user["qy_org"], finding=Finding.objects.get(channel=Channel.SELF_DECLARED))
    call_command("check_coverage")
    assert "一致" in capsys.readouterr().out
