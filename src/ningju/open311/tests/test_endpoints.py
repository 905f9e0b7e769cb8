"""Every Open311 resource in XML and JSON, the spec's error documents, filters and who sees what."""

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from ningju.accounts.models import ApiToken
from ningju.cases import services as case_services
from ningju.cases.models import Attachment, Case, Category
from ningju.cases.states import CaseKind, Source, Status

from .conftest import BASE, BEIJING, BOAI, QINYANG, body, errors_json, errors_xml, post, xml

pytestmark = pytest.mark.django_db


def file_request(api, key, fmt="json", **extra):
    data = {"api_key": key, "service_code": "traffic-road", "description": "太行路与建设路口信号灯故障,骑手通行危险",
            **QINYANG, **extra}
    response = post(api, fmt, **data)
    assert response.status_code == 200, response.content.decode()
    if fmt == "json":
        return body(response)[0]
    return {el.tag: el.text for el in xml(response).find("request")}


# --- services --------------------------------------------------------------------------------------------------

def test_service_list_offers_public_grievance_leaves_in_xml_and_json(world, api):
    data = body(api.get(f"{BASE}services.json"))
    codes = [s["service_code"] for s in data]
    assert "traffic-road" in codes and "other" in codes
    assert "traffic" not in codes, "a category with sub-categories is a group, not a service"
    assert not any(c.startswith(("opinion", "warning", "emergency", "star")) for c in codes), \
        "incident reports and rectification items are not Open311 services"
    road = next(s for s in data if s["service_code"] == "traffic-road")
    assert road == {"service_code": "traffic-road", "service_name": "道路通行",
                    "description": "禁行路段、信号灯、道路设施", "metadata": True, "type": "realtime",
                    "keywords": "", "group": "交通安全"}
    assert next(s for s in data if s["service_code"] == "other")["group"] == ""

    root = xml(api.get(f"{BASE}services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == codes
    road_xml = next(s for s in services if s.findtext("service_code") == "traffic-road")
    assert [child.tag for child in road_xml] == ["service_code", "service_name", "description", "metadata", "type",
                                                 "keywords", "group"]
    assert road_xml.findtext("metadata") == "true" and road_xml.findtext("group") == "交通安全"


def test_a_category_made_non_public_or_inactive_is_no_longer_offered(world, api):
    actor = world.user["city_org"]
    case_services.category_update(actor=actor, category=Category.objects.get(code="life-housing"), public=False)
    case_services.category_update(actor=actor, category=Category.objects.get(code="life-education"), active=False,
                                  keywords="入学 托管")
    codes = {s["service_code"] for s in body(api.get(f"{BASE}services.json"))}
    assert "life-station" in codes and not {"life-housing", "life-education"} & codes
    assert errors_json(api.get(f"{BASE}services/life-housing.json"), 404)


def test_keywords_are_comma_separated(world, api):
    case_services.category_update(actor=world.user["city_org"], category=Category.objects.get(code="traffic-road"),
                                  keywords="红绿灯 信号灯、限行")
    road = next(s for s in body(api.get(f"{BASE}services.json")) if s["service_code"] == "traffic-road")
    assert road["keywords"] == "红绿灯,信号灯,限行"


def test_service_definition_in_xml_and_json(world, api):
    data = body(api.get(f"{BASE}services/traffic-road.json"))
    assert data["service_code"] == "traffic-road"
    attrs = {a["code"]: a for a in data["attributes"]}
    assert set(attrs) == {"division_code", "request_key"}
    assert attrs["division_code"]["datatype"] == "string" and attrs["division_code"]["required"] is False
    assert attrs["division_code"]["variable"] is True and attrs["division_code"]["order"] == 1

    root = xml(api.get(f"{BASE}services/traffic-road.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "traffic-road"
    first = root.find("attributes/attribute")
    assert [c.tag for c in first] == ["variable", "code", "datatype", "required", "datatype_description", "order",
                                      "description"]
    assert first.findtext("code") == "division_code" and first.findtext("required") == "false"


def test_unknown_service_and_group_are_404_in_the_spec_format(world, api):
    assert "service_code" in errors_xml(api.get(f"{BASE}services/nope.xml"), 404)
    errors_json(api.get(f"{BASE}services/traffic.json"), 404)


# --- POST requests ---------------------------------------------------------------------------------------------

def test_post_files_a_case_through_the_engine_in_json(o311, api):
    w = o311
    answer = file_request(api, w.keys.worker, phone="13912345678", account_id="A-9", email="x@example.com")
    case = Case.objects.get()
    assert answer["service_request_id"] == case.number and answer["token"] == case.open311_token
    assert answer["account_id"] == "A-9"
    assert case.number in answer["service_notice"] and "沁阳市交通运输局" in answer["service_notice"]
    assert "email" in answer["service_notice"], "a field we do not keep is named in the notice"
    assert case.source == Source.OPEN311 and case.kind == CaseKind.GRIEVANCE
    assert case.filer == w.user["worker"] and case.filer_phone == "13912345678"
    assert case.division == w.div["qy"], "the county is found from lat/long"
    assert str(case.lat) == "35.147400" and str(case.lng) == "112.886300"
    assert case.status == Status.DISPATCHED and case.organisation == w.org["transport"]


def test_post_in_xml_with_a_division_code_and_address(o311, api):
    w = o311
    answer = file_request(api, w.keys.worker, fmt="xml", **{"attribute[division_code]": "410882003002",
                                                            "address_string": "太行路与建设路口"})
    assert set(answer) == {"service_request_id", "token", "service_notice", "account_id"}
    case = Case.objects.get()
    assert answer["service_request_id"] == case.number
    assert case.division == w.div["luozhuang"] and case.address == "太行路与建设路口"


def test_address_id_is_taken_as_the_division_code(o311, api):
    file_request(api, o311.keys.worker, lat="", long="", address_id="410882003002")
    assert Case.objects.get().division == o311.div["luozhuang"]


def test_a_photo_is_attached_cleaned(o311, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    buf.seek(0)
    buf.name = "light.png"
    file_request(api, o311.keys.worker, media=buf)
    attachment = Attachment.objects.get()
    assert attachment.case == Case.objects.get() and attachment.content_type == "image/png"


def test_a_file_that_is_no_image_is_refused(o311, api):
    text = io.BytesIO(b"just text")
    text.name = "a.png"
    message = errors_json(post(api, api_key=o311.keys.worker, service_code="traffic-road", description="信号灯坏了",
                               media=text, **QINYANG), 400)
    assert "media" in message and not Case.objects.exists()


def test_post_needs_no_csrf_token(o311):
    strict = Client(enforce_csrf_checks=True)
    file_request(strict, o311.keys.worker)
    assert Case.objects.count() == 1


@pytest.mark.parametrize("extra, expected", [
    ({"service_code": ""}, "service_code"),
    ({"service_code": "traffic"}, "service_code traffic"),
    ({"service_code": "opinion-suggestion"}, "service_code"),
    ({"description": "  "}, "description"),
    ({"description": "长" * 2001}, "description"),
    (BEIJING, "本市范围"),
    (BOAI, "尚未开通"),
    ({"lat": "35.1", "long": ""}, "lat 与 long"),
    ({"lat": "北纬", "long": "112.9"}, "十进制"),
    ({"lat": "", "long": "", "address_string": "太行路"}, "事发地"),
    ({"attribute[division_code]": "410882999999"}, "410882999999 不存在"),
    ({"attribute[division_code]": "410800000000"}, "县(市、区)及以下"),
    ({"attribute[division_code]": "410811008202"}, "不在区划“中马村”"),
    ({"attribute[colour]": "red"}, "attribute[colour]"),
    ({"phone": "12345"}, "phone"),
])
def test_bad_posts_are_400_in_the_spec_format_and_file_nothing(o311, api, extra, expected):
    data = {"api_key": o311.keys.worker, "service_code": "traffic-road", "description": "信号灯坏了", **QINYANG,
            **extra}
    assert expected in errors_json(post(api, "json", **data), 400)
    assert expected in errors_xml(post(api, "xml", **data), 400)
    assert not Case.objects.exists()


def test_missing_invalid_or_revoked_api_key_is_403(o311, api):
    data = {"service_code": "traffic-road", "description": "信号灯坏了", **QINYANG}
    assert "api_key" in errors_xml(post(api, "xml", **data), 403)
    assert "api_key" in errors_json(post(api, "json", api_key="nj_not-a-token", **data), 403)
    ApiToken.objects.filter(user=o311.user["worker"]).update(revoked=True)
    errors_json(post(api, "json", api_key=o311.keys.worker, **data), 403)
    assert not Case.objects.exists()


def test_a_wrong_jurisdiction_is_404_and_ours_is_accepted(o311, api):
    assert "jiaozuo.gov.cn" in errors_xml(api.get(f"{BASE}services.xml", {"jurisdiction_id": "beijing.gov.cn"}), 404)
    errors_json(post(api, api_key=o311.keys.worker, service_code="traffic-road", description="信号灯坏了",
                     jurisdiction_id="beijing.gov.cn", **QINYANG), 404)
    assert api.get(f"{BASE}services.json", {"jurisdiction_id": "jiaozuo.gov.cn"}).status_code == 200
    file_request(api, o311.keys.worker, jurisdiction_id="jiaozuo.gov.cn")


def test_a_retried_post_files_once(o311, api):
    first = file_request(api, o311.keys.worker, device_id="phone-1")
    again = file_request(api, o311.keys.worker, device_id="phone-1")
    assert again["service_request_id"] == first["service_request_id"] and again["token"] == first["token"]
    assert "未重复立案" in again["service_notice"]
    other = file_request(api, o311.keys.worker, device_id="phone-2")
    assert other["service_request_id"] != first["service_request_id"], "another device is another request"
    assert Case.objects.count() == 2


def test_the_same_request_key_files_once_even_with_other_content(o311, api):
    first = file_request(api, o311.keys.worker, **{"attribute[request_key]": "r-1"})
    again = file_request(api, o311.keys.worker, description="另一段文字", **{"attribute[request_key]": "r-1"})
    assert again["service_request_id"] == first["service_request_id"]
    from_other_login = file_request(api, o311.keys.qy_org, **{"attribute[request_key]": "r-1"})
    assert from_other_login["service_request_id"] != first["service_request_id"]


def test_posting_is_rate_limited_per_key(o311, api, settings):
    settings.NINGJU_OPEN311_POST_RATE = "2/m"
    for n in range(2):
        file_request(api, o311.keys.worker, description=f"第{n}个问题")
    assert "频繁" in errors_json(post(api, api_key=o311.keys.worker, service_code="traffic-road",
                                      description="第三个问题", **QINYANG), 429)
    file_request(api, o311.keys.qy_org, description="另一把钥匙不受影响")


# --- GET requests ----------------------------------------------------------------------------------------------

def test_read_back_by_id_public_view_hides_personal_fields(o311, api):
    answer = file_request(api, o311.keys.worker, address_string="太行路与建设路口", phone="13912345678")
    number = answer["service_request_id"]
    public = body(api.get(f"{BASE}requests/{number}.json"))
    assert len(public) == 1
    record = public[0]
    assert record["service_request_id"] == number and record["status"] == "open"
    assert record["service_code"] == "traffic-road" and record["agency_responsible"] == "沁阳市交通运输局"
    assert record["status_notes"] == "待受理"
    assert record["requested_datetime"].endswith("+08:00") and record["expected_datetime"].endswith("+08:00")
    assert not {"description", "address", "address_id", "lat", "long"} & set(record), \
        "without an api_key the text and place (personal data) are not answered"
    assert "api_key" in record["service_notice"]
    assert "13912345678" not in api.get(f"{BASE}requests/{number}.xml").content.decode()


def test_read_back_with_the_key_shows_the_case(o311, api):
    answer = file_request(api, o311.keys.worker, address_string="太行路与建设路口")
    number = answer["service_request_id"]
    record = body(api.get(f"{BASE}requests/{number}.json", {"api_key": o311.keys.worker}))[0]
    assert record["description"] == "太行路与建设路口信号灯故障,骑手通行危险"
    assert record["address"] == "太行路与建设路口" and record["address_id"] == "410882000000"
    assert record["lat"] == 35.1474 and record["long"] == 112.8863
    root = xml(api.get(f"{BASE}requests/{number}.xml", {"api_key": o311.keys.worker}))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [c.tag for c in request] == [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "requested_datetime", "updated_datetime", "expected_datetime", "address",
        "address_id", "lat", "long"]
    assert request.findtext("lat") == "35.1474"


def test_scoping_of_keyed_reads(o311, api):
    number = file_request(api, o311.keys.worker)["service_request_id"]
    # The handling department and the county's dispatchers see it; another district does not.
    for key in (o311.keys.transport, o311.keys.qy_org):
        assert body(api.get(f"{BASE}requests/{number}.json", {"api_key": key}))[0]["description"]
        assert [r["service_request_id"] for r in body(api.get(f"{BASE}requests.json", {"api_key": key}))] == [number]
    errors_json(api.get(f"{BASE}requests/{number}.json", {"api_key": o311.keys.sy_org}), 404)
    assert body(api.get(f"{BASE}requests.json", {"api_key": o311.keys.sy_org})) == []
    errors_xml(api.get(f"{BASE}requests.xml", {"api_key": "nj_wrong"}), 403)


def test_public_view_leaves_out_non_public_categories_and_incidents(o311, api):
    w = o311
    number = file_request(api, w.keys.worker)["service_request_id"]
    case_services.grid_member_set(actor=w.user["qy_org"], user=w.user["worker"], division=w.div["luozhuang"])
    incident = case_services.case_file(actor=w.user["worker"], kind=CaseKind.INCIDENT,
                                       category=Category.objects.get(code="warning-hazard"), text="井盖缺失",
                                       division=w.div["luozhuang"]).case
    listed = [r["service_request_id"] for r in body(api.get(f"{BASE}requests.json"))]
    assert listed == [number]
    errors_json(api.get(f"{BASE}requests/{incident.number}.json"), 404)
    case_services.category_update(actor=w.user["city_org"], category=Category.objects.get(code="traffic-road"),
                                  public=False)
    assert body(api.get(f"{BASE}requests.json")) == []
    assert body(api.get(f"{BASE}requests.json", {"api_key": w.keys.worker}))[0]["service_request_id"] == number


def test_markup_in_the_description_is_escaped_in_xml(o311, api):
    text = "<script>alert('x')</script> & <b>\x0b信号灯</b>"
    number = file_request(api, o311.keys.worker, description=text)["service_request_id"]
    raw = api.get(f"{BASE}requests/{number}.xml", {"api_key": o311.keys.worker}).content.decode()
    assert "<script>" not in raw and "&lt;script&gt;" in raw and "&amp;" in raw
    parsed = ET.fromstring(raw.encode()).find("request").findtext("description")
    assert parsed == text.replace("\x0b", ""), "a character XML 1.0 cannot carry is dropped, the rest kept"
    assert body(api.get(f"{BASE}requests/{number}.json", {"api_key": o311.keys.worker}))[0]["description"] == text


def test_status_closed_after_the_reply_with_its_notes(o311, api):
    w = o311
    number = file_request(api, w.keys.worker)["service_request_id"]
    case = Case.objects.get()
    case = case_services.case_accept(actor=w.user["transport"], case=case)
    case = case_services.case_handle(actor=w.user["transport"], case=case, result="已联系交警维修")
    case_services.case_reply(actor=w.user["transport"], case=case, reply="信号灯已修复")
    keyed = body(api.get(f"{BASE}requests/{number}.json", {"api_key": w.keys.worker}))[0]
    assert keyed["status"] == "closed" and keyed["status_notes"] == "已答复待评价:信号灯已修复"
    assert keyed["expected_datetime"] is None
    public = body(api.get(f"{BASE}requests/{number}.json"))[0]
    assert public["status"] == "closed" and public["status_notes"] == "已答复待评价", "the reply text is not public"
    assert public["updated_datetime"] >= public["requested_datetime"]
    assert [r["service_request_id"] for r in body(api.get(f"{BASE}requests.json", {"status": "closed"}))] == [number]
    assert body(api.get(f"{BASE}requests.json", {"status": "open"})) == []
    assert len(body(api.get(f"{BASE}requests.json", {"status": "open,closed"}))) == 1


def test_list_filters_by_ids_service_code_and_dates(o311, api):
    w = o311
    road = file_request(api, w.keys.worker)["service_request_id"]
    pay = file_request(api, w.keys.worker, service_code="rights-pay", description="配送费被拖欠两个月")
    pay = pay["service_request_id"]
    old = case_services.case_file(actor=w.user["worker"], kind=CaseKind.GRIEVANCE,
                                  category=Category.objects.get(code="rights-pay"), text="半年前的拖欠",
                                  division=w.div["qzs"], at=timezone.now() - dt.timedelta(days=120)).case

    def listed(**query):
        return [r["service_request_id"] for r in body(api.get(f"{BASE}requests.json", query))]

    assert listed() == [pay, road], "the last 90 days, newest first"
    assert listed(service_code="rights-pay") == [pay]
    assert set(listed(service_code="rights-pay,traffic-road")) == {pay, road}
    assert listed(service_request_id=f"{road},{old.number.lower()},SQ20000101999999") == [road, old.number], \
        "ids override the date window; unknown ids are left out"
    start = (timezone.now() - dt.timedelta(days=125)).isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    assert listed(start_date=start, end_date=end) == [old.number]
    assert listed(start_date=start) == [old.number], "a start alone covers the 90 days from it"
    assert listed(start_date=(timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")) == [pay, road]
    # "+08:00" sent unencoded arrives as " 08:00" and is still understood.
    local = timezone.localtime(timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert listed(start_date=f"{local} 08:00") == [pay, road]
    xml_ids = [r.findtext("service_request_id")
               for r in xml(api.get(f"{BASE}requests.xml", {"service_code": "traffic-road"})).findall("request")]
    assert xml_ids == [road]


@pytest.mark.parametrize("query, expected", [
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-01"}, "end_date"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90天"),
    ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, "早于"),
    ({"status": "pending"}, "status"),
])
def test_bad_list_filters_are_400(o311, api, query, expected):
    assert expected in errors_xml(api.get(f"{BASE}requests.xml", query), 400)
    assert expected in errors_json(api.get(f"{BASE}requests.json", query), 400)


def test_unknown_request_is_404(o311, api):
    number = file_request(api, o311.keys.worker)["service_request_id"]
    errors_xml(api.get(f"{BASE}requests/SQ20000101999999.xml"), 404)
    other = number[:-1] + ("1" if number[-1] == "0" else "0")  # a number one digit off, never the case's own
    errors_json(api.get(f"{BASE}requests/{other}.json"), 404)
    errors_json(api.get(f"{BASE}requests/SJ{number[2:]}.json"), 404)  # the prefix must match too


# --- tokens and the rest -----------------------------------------------------------------------------------------

def test_token_gives_the_request_id(o311, api):
    answer = file_request(api, o311.keys.worker)
    data = body(api.get(f"{BASE}tokens/{answer['token']}.json"))
    assert data == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]
    request = xml(api.get(f"{BASE}tokens/{answer['token']}.xml")).find("request")
    assert request.findtext("service_request_id") == answer["service_request_id"]
    errors_xml(api.get(f"{BASE}tokens/0123456789abcdef0123456789abcdef.xml"), 404)


def test_unknown_paths_formats_and_methods(world, api):
    errors_xml(api.get(f"{BASE}services.html"), 404)
    errors_xml(api.get(BASE), 404)
    errors_json(api.get(f"{BASE}discovery/nothing.json"), 404)
    response = api.post(f"{BASE}services.xml")
    errors_xml(response, 405)
    assert response["Allow"] == "GET"
    errors_json(api.delete(f"{BASE}requests.json"), 405)


def test_public_reads_are_rate_limited_per_address(o311, api, settings):
    settings.NINGJU_OPEN311_READ_RATE = "3/m"
    for _ in range(3):
        assert api.get(f"{BASE}requests.json").status_code == 200
    errors_json(api.get(f"{BASE}requests.json"), 429)
    assert api.get(f"{BASE}requests.json", {"api_key": o311.keys.worker}).status_code == 200, \
        "a caller with a key is not held by the public limit"


def test_without_request_key_a_repeat_counts_as_a_retry_for_10_to_20_minutes(o311):
    from ningju.open311 import services as open311_services

    def submit(minutes):
        return open311_services.request_submit(
            user=o311.user["worker"], service=Category.objects.get(code="traffic-road"), description="信号灯坏了",
            lat=35.1474, lng=112.8863, at=start + dt.timedelta(minutes=minutes))

    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(minutes=5)
    first = submit(0)
    assert first.created
    assert submit(9).case == first.case and not submit(14).created, "the same period and the next one"
    later = submit(25)
    assert later.created and later.case != first.case, "two periods later it is a new request"
