"""Campaigns (全覆盖排查): creation fills the units in scope, units edited, progress per unit, the QR code,
who sees what."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from ningju.core.models import AuditEntry
from ningju.coverage import services
from ningju.coverage.models import Campaign, CampaignUnit
from ningju.orgs.models import Industry, Kind
from ningju.rosters.models import RosterImport
from ningju.testing.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def unit_names(campaign):
    return set(CampaignUnit.objects.filter(campaign=campaign).values_list("organisation__name", flat=True))


def test_campaign_creation_fills_units_of_the_divisions_and_industries(world, today):
    qy_org = world.user["qy_org"]
    OrganisationFactory(name="停用站点", kind=Kind.STATION, industry=Industry.RIDE_HAILING,
                        division=world.div["taihang"], parent=world.org["e1"], is_active=False)
    ride = services.campaign_create(actor=qy_org, name="网约车排查", starts_on=today, ends_on=today,
                                    divisions=[world.div["qy"]], industries=[Industry.RIDE_HAILING])
    assert unit_names(ride) == {"网约车平台沁阳站", "网约车太行服务点"}  # the inactive station is left out

    town = services.campaign_create(actor=qy_org, name="太行街道排查", starts_on=today, ends_on=today,
                                    divisions=[world.div["taihang"]], industries=[])
    assert unit_names(town) == {"网约车太行服务点"}

    everything = services.campaign_create(actor=qy_org, name="全部", starts_on=today, ends_on=today,
                                          divisions=[world.div["qy"]], industries=[])
    assert unit_names(everything) == {"网约车平台沁阳站", "网约车太行服务点", "外卖平台沁阳站", "外卖覃怀站"}
    assert everything.organiser == world.org["qy_org"]
    assert len(everything.public_token) >= 20
    assert AuditEntry.objects.filter(action="coverage.campaign.created", object_id=str(everything.pk)).exists()


def test_campaign_needs_a_period_and_divisions_within_scope(world, today):
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(actor=world.user["qy_org"], name="倒序", starts_on=today,
                                 ends_on=today - dt.timedelta(days=1), divisions=[world.div["qy"]], industries=[])
    assert "ends_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(actor=world.user["sy_org"], name="越界", starts_on=today, ends_on=today,
                                 divisions=[world.div["qy"]], industries=[])
    assert "管辖范围" in exc.value.message_dict["divisions"][0]
    with pytest.raises(ValidationError):
        services.campaign_create(actor=world.user["qy_org"], name="坏行业", starts_on=today, ends_on=today,
                                 divisions=[world.div["qy"]], industries=["spaceships"])
    assert not Campaign.objects.exists()


def test_campaign_form_page_creates_and_bad_input_changes_nothing(world, login, today):
    client = login(world.user["qy_org"])
    assert client.get("/coverage/campaigns/new/").status_code == 200
    bad = client.post("/coverage/campaigns/new/", {"name": "x", "starts_on": "2026-03-01", "ends_on": "2026-01-01",
                                                   "divisions": [world.div["qy"].pk]})
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    assert not Campaign.objects.exists()
    ok = client.post("/coverage/campaigns/new/", {
        "name": "覃怀街道外卖排查", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
        "divisions": [world.div["qinhuai"].pk], "industries": [Industry.FOOD_DELIVERY]})
    campaign = Campaign.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/coverage/campaigns/{campaign.pk}/"
    assert unit_names(campaign) == {"外卖覃怀站"}


def test_units_can_be_added_and_removed(world, login, campaign):
    e3 = OrganisationFactory(name="快递网点", kind=Kind.STATION, industry=Industry.EXPRESS,
                             division=world.div["qinhuai"], parent=world.org["market"])
    client = login(world.user["qy_org"])
    client.post(f"/coverage/campaigns/{campaign.pk}/units/add/", {"organisation": e3.pk})
    assert "快递网点" in unit_names(campaign)
    unit = CampaignUnit.objects.get(campaign=campaign, organisation=e3)
    client.post(f"/coverage/campaign-units/{unit.pk}/remove/")
    assert "快递网点" not in unit_names(campaign)
    # A unit that already has findings stays.
    s2_unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s2"])
    services.referral_create(actor=world.user["qy_org"], unit=s2_unit, name="某骑手", phone="13912345678")
    response = client.post(f"/coverage/campaign-units/{s2_unit.pk}/remove/", follow=True)
    assert "不能移出" in response.content.decode()
    assert CampaignUnit.objects.filter(pk=s2_unit.pk).exists()
    # Not a unit: refused.
    with pytest.raises(ValidationError):
        services.campaign_unit_add(actor=None, campaign=campaign, organisation=world.org["luozhuang"])


def test_progress_per_unit_roster_workers_check_and_members(world, login, campaign):
    s1, s2 = world.org["s1"], world.org["s2"]
    RosterImport.objects.create(organisation=s2, file_name="花名册.xlsx", file_sha256="0" * 64,
                                status=RosterImport.Status.SUCCEEDED, rows_total=2)
    RosterImport.objects.create(organisation=s1, file_name="坏.xlsx", file_sha256="1" * 64,
                                status=RosterImport.Status.FAILED)
    PersonFactory(name="新骑手", employer=s2)
    client = login(world.user["qy_org"])
    unit_s2 = CampaignUnit.objects.get(campaign=campaign, organisation=s2)
    assert client.post(f"/coverage/campaign-units/{unit_s2.pk}/check/").status_code == 302

    items = {u["organisation_name"]: u for u in
             client.get(f"{API}/coverage/campaigns/{campaign.pk}/units").json()["items"]}
    assert items["外卖覃怀站"]["roster_received_at"] is not None
    assert items["网约车太行服务点"]["roster_received_at"] is None  # only a failed import
    assert items["外卖平台沁阳站"]["roster_received_at"] is None  # progress is per organisation itself
    assert items["外卖覃怀站"]["workers"] == 3 and items["外卖平台沁阳站"]["workers"] == 0
    assert items["外卖覃怀站"]["checked_at"] is not None and items["网约车太行服务点"]["checked_at"] is None
    no_roster = client.get(f"{API}/coverage/campaigns/{campaign.pk}/units?state=no_roster").json()["items"]
    assert {u["organisation_name"] for u in no_roster} == {"网约车平台沁阳站", "网约车太行服务点", "外卖平台沁阳站"}

    detail = client.get(f"{API}/coverage/campaigns/{campaign.pk}").json()
    assert detail["progress"]["units"] == 4
    assert detail["progress"]["rosters"] == 1
    assert detail["progress"]["checked"] == 1
    assert detail["progress"]["workers"] == 4  # driver, rider, worker, 新骑手 (the villager has no employer)
    page = client.get(f"/coverage/campaigns/{campaign.pk}/").content.decode()
    assert "已报送花名册" in page and "外卖覃怀站" in page
    # Checked twice: refused with a message.
    with pytest.raises(ValidationError):
        services.campaign_unit_check(actor=world.user["qy_org"], unit=unit_s2)


def test_qr_code_png_and_svg_generated_locally(world, login, campaign):
    client = login(world.user["qy_org"])
    png = client.get(f"/coverage/campaigns/{campaign.pk}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    svg = client.get(f"/coverage/campaigns/{campaign.pk}/qr.svg?download=1")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert svg["Content-Disposition"].startswith("attachment")
    page = client.get(f"/coverage/campaigns/{campaign.pk}/").content.decode()
    assert f"/coverage/join/{campaign.public_token}/" in page


def test_scoping_of_campaign_pages_and_api(world, login, campaign):
    # Another district: 404 for the page, the QR code, a unit action and the API.
    sy = login(world.user["sy_org"])
    assert sy.get(f"/coverage/campaigns/{campaign.pk}/").status_code == 404
    assert sy.get(f"/coverage/campaigns/{campaign.pk}/qr.png").status_code == 404
    unit = CampaignUnit.objects.filter(campaign=campaign).first()
    assert sy.post(f"/coverage/campaign-units/{unit.pk}/check/").status_code == 404
    assert sy.get(f"{API}/coverage/campaigns/{campaign.pk}").status_code == 404
    assert sy.get(f"{API}/coverage/campaigns").json()["count"] == 0
    assert campaign.name not in sy.get("/coverage/").content.decode()

    # A station manager has no coverage module: 403 for the list and campaign management.
    station = login(world.user["station"])
    assert station.get("/coverage/").status_code == 403
    assert station.get("/coverage/campaigns/new/").status_code == 403
    assert station.get(f"/coverage/campaigns/{campaign.pk}/").status_code == 403
    assert station.get(f"{API}/coverage/campaigns").status_code == 403

    # The town secretary sees the campaign through the unit in the town, and only that unit.
    town = login(world.user["town"])
    assert town.get(f"/coverage/campaigns/{campaign.pk}/").status_code == 200
    names = [u["organisation_name"] for u in town.get(f"{API}/coverage/campaigns/{campaign.pk}/units").json()["items"]]
    assert names == ["网约车太行服务点"]
    assert town.get("/coverage/campaigns/new/").status_code == 403
    body = {"name": "x", "starts_on": "2026-01-01", "ends_on": "2026-02-01", "division_codes": ["410882003000"]}
    assert town.post(f"{API}/coverage/campaigns", body, content_type="application/json").status_code == 403

    # The transport department sees its own enterprises' units.
    transport = login(world.user["transport"])
    names = {u["organisation_name"] for u in
             transport.get(f"{API}/coverage/campaigns/{campaign.pk}/units").json()["items"]}
    assert names == {"网约车平台沁阳站", "网约车太行服务点"}


def test_instructor_checks_only_their_units(world, login, campaign):
    client = login(world.user["instructor"])  # granted s1
    s1_unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s1"])
    s2_unit = CampaignUnit.objects.get(campaign=campaign, organisation=world.org["s2"])
    assert client.post(f"/coverage/campaign-units/{s2_unit.pk}/check/").status_code == 404
    assert client.post(f"/coverage/campaign-units/{s1_unit.pk}/check/").status_code == 302
    assert CampaignUnit.objects.get(pk=s1_unit.pk).checked_by == world.user["instructor"]


def test_campaign_api_create_and_errors(world, login, today):
    client = login(world.user["qy_org"])
    body = {"name": "API排查", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
            "division_codes": ["410882001000"], "industries": ["food_delivery"]}
    created = client.post(f"{API}/coverage/campaigns", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "active" and data["division_codes"] == ["410882001000"]
    assert data["progress"]["units"] == 1
    assert data["join_path"].startswith("/coverage/join/")
    outside = client.post(f"{API}/coverage/campaigns", {**body, "division_codes": ["410811000000"]},
                          content_type="application/json")
    assert outside.status_code == 400 and outside.json()["error"]["fields"][0]["field"] == "division_codes"
    backwards = client.post(f"{API}/coverage/campaigns", {**body, "ends_on": "2000-01-01"},
                            content_type="application/json")
    assert backwards.status_code == 400
    assert Campaign.objects.count() == 1
    assert client.get(f"{API}/coverage/campaigns/999999").status_code == 404
