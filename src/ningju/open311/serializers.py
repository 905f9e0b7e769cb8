"""Open311 GeoReport v2 documents in XML (required by the spec) and JSON.

Each document is first built as plain records (dicts in the spec's element order), then written by
:func:`render`: XML through ElementTree (which escapes markup in text) with the UTF-8 declaration the spec asks
for, JSON as a list or object of the same records. Datetimes are W3C (ISO 8601) in Beijing time (+08:00).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

from ningju.cases.models import Case, Category

from .selectors import open311_status

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# XML element of one item inside a list-valued element.
_ITEM = {"attributes": "attribute", "values": "value"}
# Characters XML 1.0 does not allow in text (ElementTree writes them as they are, which no parser reads).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value, timezone.get_default_timezone()).isoformat(timespec="seconds")


# --- records -------------------------------------------------------------------------------------------------

def service_record(category: Category) -> dict:
    keywords = ",".join(k for k in re.split(r"[\s,,、;;]+", category.keywords or "") if k)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,  # every service has the attributes of definition_record
        "type": "realtime",  # the request is a case at once: its number is the answer's service_request_id
        "keywords": keywords,
        "group": category.parent.name if category.parent_id else "",
    }


def definition_record(category: Category) -> dict:
    return {
        "service_code": category.code,
        "attributes": [
            {"variable": True, "code": "division_code", "datatype": "string", "required": False,
             "datatype_description": "12位统计用区划代码(县、乡镇/街道或村/社区;网格15位),如 410882003002。"
                                     "不填时按 lat/long 确定所在县(市、区);两者都填时须一致",
             "order": 1, "description": "事发地区划代码"},
            {"variable": True, "code": "request_key", "datatype": "string", "required": False,
             "datatype_description": "客户端为每个请求生成的唯一标识,最长64字符;同一 api_key 重发同一标识只立案一次",
             "order": 2, "description": "请求标识(可选,用于重试去重)"},
        ],
    }


PUBLIC_NOTICE = "公开查询只显示办理状态;用 api_key 查询(提交者本人或承办、管辖单位)可看到内容、地点和答复"


def request_record(case: Case, *, full: bool) -> dict:
    """One request. ``full`` (a caller with an api_key who may see the case) adds text, place and reply."""
    notes = case.get_status_display()
    if case.merged_into_id:
        notes += f":已并入事项 {case.merged_into.number}"
    elif full and case.reply:
        notes += f":{case.reply}"
    record = {
        "service_request_id": case.number,
        "status": open311_status(case),
        "status_notes": notes,
        "service_name": case.category.name,
        "service_code": case.category.code,
    }
    if full:
        record["description"] = case.text
    record["agency_responsible"] = case.organisation.name if case.organisation_id else ""
    if not full:
        record["service_notice"] = PUBLIC_NOTICE
    record["requested_datetime"] = w3c(case.submitted_at)
    record["updated_datetime"] = w3c(getattr(case, "updated_at", None) or case.submitted_at)
    record["expected_datetime"] = w3c(case.reply_due) if case.is_open else None
    if full:
        record["address"] = case.address
        record["address_id"] = case.division.code
        record["lat"] = float(case.lat) if case.lat is not None else None
        record["long"] = float(case.lng) if case.lng is not None else None
    return record


def submitted_record(case: Case, *, notice: str, account_id: str) -> dict:
    return {"service_request_id": case.number, "token": case.open311_token, "service_notice": notice,
            "account_id": account_id}


def token_record(case: Case) -> dict:
    return {"service_request_id": case.number, "token": case.open311_token}


def error_records(status: int, messages: list[str]) -> list[dict]:
    return [{"code": status, "description": m} for m in messages]


# --- writing -------------------------------------------------------------------------------------------------

def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(parent: ET.Element, name: str, value) -> None:
    el = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _element(el, key, item)
    elif isinstance(value, list):
        for item in value:
            _element(el, _ITEM[name], item)
    else:
        el.text = _text(value)


def to_xml(root: str, item: str | None, data) -> bytes:
    """``data`` is a list of records (each an ``item`` element under ``root``) or one record (``root`` itself)."""
    top = ET.Element(root)
    if isinstance(data, list):
        for record in data:
            _element(top, item, record)
    else:
        for key, value in data.items():
            _element(top, key, value)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode").encode("utf-8")


def render(fmt: str, root: str, item: str | None, data, *, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    else:
        body = to_xml(root, item, data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["xml"]))


def render_errors(fmt: str, status: int, messages: list[str]) -> HttpResponse:
    return render(fmt, "errors", "error", error_records(status, messages), status=status)
