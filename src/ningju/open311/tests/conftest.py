import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from django.test import Client

from ningju.accounts import services as account_services
from ningju.cases import services as case_services
from ningju.cases.models import Category

BASE = "/open311/v2/"
# Points (WGS-84) inside 沁阳市 (410882, in the test world), inside 博爱县 (410822, not in it) and in Beijing.
QINYANG = {"lat": "35.1474", "long": "112.8863"}
BOAI = {"lat": "35.2009", "long": "113.0600"}
BEIJING = {"lat": "39.9042", "long": "116.4074"}


@dataclass
class Keys:
    worker: str
    transport: str
    qy_org: str
    sy_org: str


@pytest.fixture
def o311(world):
    """The test world with traffic matters of 沁阳市 routed to 交通运输局, and an API token for four logins."""
    w = world
    case_services.routing_rule_save(actor=w.user["qy_org"], category=Category.objects.get(code="traffic"),
                                    division=w.div["qy"], organisation=w.org["transport"])
    w.keys = Keys(**{name: account_services.token_create(user=w.user[name], name="Open311")[1]
                     for name in ("worker", "transport", "qy_org", "sy_org")})
    return w


@pytest.fixture
def api():
    return Client()


def post(client, fmt="json", **data):
    return client.post(f"{BASE}requests.{fmt}", data)


def xml(response) -> ET.Element:
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), response.content[:80]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)


def body(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def errors_xml(response, status):
    """The spec's error document: <errors><error><code/><description/></error></errors>."""
    assert response.status_code == status, response.content.decode()
    root = xml(response)
    assert root.tag == "errors"
    found = [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]
    assert found and all(code == str(status) and text for code, text in found), found
    return " ".join(text for _, text in found)


def errors_json(response, status):
    assert response.status_code == status, response.content.decode()
    data = body(response)
    assert isinstance(data, list) and data
    assert all(e["code"] == status and e["description"] for e in data), data
    return " ".join(e["description"] for e in data)
