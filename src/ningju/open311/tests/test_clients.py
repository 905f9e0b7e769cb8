"""Clients against the running app (pytest-django's ``live_server``): a published Open311 client — civicbot's
``Open311Client`` (PyPI ``civicbot``, JSON) — and a plain XML client written from the spec with ``urllib`` and
``xml.etree``. Each lists the services, posts a request and reads it back by id and by token."""

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from civicbot import Endpoint, HttpError, HttpTransport, Open311Client
from civicbot.http import RateLimiter

from ningju.cases.models import Case

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "太行路与建设路口信号灯故障,骑手通行危险"


def test_published_open311_client_lists_posts_and_reads_back(o311, live_server):
    endpoint = Endpoint(id="jiaozuo", name="焦作市", base_url=f"{live_server.url}/open311/v2/", write=True)
    client = Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0)),
                           jurisdiction_id="jiaozuo.gov.cn")

    services = client.list_services()
    road = next(s for s in services if s["service_code"] == "traffic-road")
    assert road["service_name"] == "道路通行" and road["group"] == "交通安全" and road["metadata"] is True
    definition = client.get_service_definition("traffic-road")
    assert [a["code"] for a in definition["attributes"]] == ["division_code", "request_key"]

    # validate_remote: the client checks its form against our service list and definition before sending.
    sent = client.create_request("traffic-road", dry_run=False, confirm="SEND", api_key=o311.keys.worker,
                                 validate_remote=True, lat=35.1474, lng=112.8863, description=TEXT,
                                 phone="13912345678", device_id="rider-app-1",
                                 attributes={"request_key": "app-req-0001"})
    answer = sent.response[0]
    case = Case.objects.get()
    assert answer["service_request_id"] == case.number and answer["token"] == case.open311_token
    assert case.filer == o311.user["worker"] and case.source == "open311" and case.division == o311.div["qy"]

    again = client.create_request("traffic-road", dry_run=False, confirm="SEND", api_key=o311.keys.worker,
                                  lat=35.1474, lng=112.8863, description=TEXT,
                                  attributes={"request_key": "app-req-0001"})
    assert again.response[0]["service_request_id"] == case.number and Case.objects.count() == 1

    got = client.get_request(case.number)
    assert got["service_request_id"] == case.number and got["status"] == "open"
    assert got["service_code"] == "traffic-road" and got["agency_responsible"] == "沁阳市交通运输局"
    assert "description" not in got, "the client reads without its key: the public view"
    assert client.get_token(answer["token"]) == [{"service_request_id": case.number, "token": answer["token"]}]
    listed = client.list_requests(service_code="traffic-road", status="open")
    assert [r["service_request_id"] for r in listed] == [case.number]

    with pytest.raises(HttpError) as refused:
        client.create_request("traffic-road", dry_run=False, confirm="SEND", api_key="nj_not-a-token",
                              lat=35.1474, lng=112.8863, description=TEXT)
    assert refused.value.status == 403 and json.loads(refused.value.body)[0]["code"] == 403
    with pytest.raises(HttpError) as outside:
        client.create_request("traffic-road", dry_run=False, confirm="SEND", api_key=o311.keys.worker,
                              lat=39.9042, lng=116.4074, description=TEXT)
    assert outside.value.status == 400 and "本市范围" in json.loads(outside.value.body)[0]["description"]


def _xml(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=20) as response:
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        return ET.fromstring(response.read())


def test_plain_xml_client_from_the_spec(o311, live_server):
    base = f"{live_server.url}/open311/v2/"
    codes = [s.findtext("service_code") for s in _xml(f"{base}services.xml").findall("service")]
    assert "traffic-road" in codes
    attribute = _xml(f"{base}services/traffic-road.xml").find("attributes/attribute")
    assert attribute.findtext("code") == "division_code"

    posted = _xml(f"{base}requests.xml", {"api_key": o311.keys.worker, "service_code": "traffic-road",
                                          "attribute[division_code]": "410882003002", "description": TEXT,
                                          "address_string": "太行路与建设路口"}).find("request")
    number, token = posted.findtext("service_request_id"), posted.findtext("token")
    assert Case.objects.get().number == number

    mine = _xml(f"{base}requests/{number}.xml?" + urllib.parse.urlencode({"api_key": o311.keys.worker}))
    request = mine.find("request")
    assert request.findtext("description") == TEXT and request.findtext("address_id") == "410882003002"
    assert _xml(f"{base}tokens/{token}.xml").find("request").findtext("service_request_id") == number

    with pytest.raises(urllib.error.HTTPError) as refused:
        _xml(f"{base}requests.xml", {"service_code": "traffic-road", "description": TEXT})
    assert refused.value.code == 403
    error = ET.fromstring(refused.value.read()).find("error")
    assert error.findtext("code") == "403" and "api_key" in error.findtext("description")
