"""Filing an Open311 service request as a case of the engine (``cases.services.case_file``, source "open311").

* The filer is the login of the ``api_key`` (an API token of ``accounts``); the case is its own ("我的诉求").
* Where: ``attribute[division_code]`` (or ``address_id``), a 12- or 15-digit division code below the city; else
  the county (district, county-level city) containing ``lat``/``long``. Coordinates outside the city, a code we
  do not know, or neither → refused. Both given must agree (the point lies in the division's county).
* A retried POST files once. With ``attribute[request_key]`` the key is the client's: the same key from the same
  login always answers the first case. Without it, the same login posting the same service, place, description,
  phone and device_id again within 10 to 20 minutes (the current and the previous 10-minute period) gets the
  first case back. Either way the engine's unique ``client_key`` settles a race between two identical requests.
* ``media`` (one image, multipart; mySociety's extension) is cleaned by ``core.uploads`` and attached.
  ``email``, ``first_name``, ``last_name``, ``account_id`` and ``media_url`` are not kept (we keep no contact
  data but the phone, and fetch nothing from outside); the answer's ``service_notice`` says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from ningju.cases import services as case_services
from ningju.cases.models import Case, Category
from ningju.cases.states import Source
from ningju.core.uploads import clean_upload
from ningju.geo import selectors as geo_selectors
from ningju.geo.models import Division, Level

from .selectors import SERVICE_KIND

DEDUP_PERIOD = 600  # seconds: a retry within this period (or the one before) answers the first case
NOT_KEPT = ("email", "first_name", "last_name", "account_id", "media_url")


@dataclass(frozen=True)
class Submitted:
    case: Case
    created: bool
    notice: str


def _division(*, code: str, lat: float | None, lng: float | None) -> Division:
    county_code = geo_selectors.county_code_at(lat, lng) if lat is not None else None
    if lat is not None and county_code is None:
        raise ValidationError({"lat/long": "位置不在本市范围内(lat/long 为WGS-84经纬度)"})
    if code:
        division = Division.objects.filter(code=code).first()
        if division is None:
            raise ValidationError({"attribute[division_code]": f"区划代码 {code} 不存在"})
        if division.level < Level.COUNTY:
            raise ValidationError({"attribute[division_code]": "请提供县(市、区)及以下的区划代码"})
        if county_code and f"{county_code}/" not in division.path:
            raise ValidationError({"lat/long": f"不在区划“{division.name}”所属县(市、区)内"})
        return division
    if county_code is None:
        raise ValidationError("请提供事发地:lat/long 或 attribute[division_code](仅有地址文字 address_string 无法定位)")
    division = Division.objects.filter(code=county_code).first()
    if division is None:
        raise ValidationError({"lat/long": "该位置所在县(市、区)尚未开通,请提供 attribute[division_code]"})
    return division


def _keys(*, user, request_key: str, parts: dict, at: dt.datetime) -> tuple[str, list[str]]:
    """The client key to file with, and every key under which an earlier copy of this request would be."""
    def digest(*items) -> str:
        return hashlib.sha256("|".join(["open311", str(user.pk), *items]).encode()).hexdigest()

    if request_key:
        key = digest("key", request_key)
        return key, [key]
    content = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    period = int(at.timestamp()) // DEDUP_PERIOD
    key = digest(str(period), content)
    return key, [key, digest(str(period - 1), content)]


def request_submit(*, user, service: Category, description: str, lat: float | None = None,
                   lng: float | None = None, division_code: str = "", address_string: str = "", phone: str = "",
                   device_id: str = "", request_key: str = "", media=None, ignored: tuple[str, ...] = (),
                   at: dt.datetime | None = None) -> Submitted:
    """File the request (or answer the earlier copy of a retried one). Refusals: ValidationError with fields
    named after the Open311 parameters, PermissionDenied."""
    at = at or timezone.now()
    request_key = (request_key or "").strip()
    if len(request_key) > 64:
        raise ValidationError({"attribute[request_key]": "不能超过64个字符"})
    division = _division(code=(division_code or "").strip(), lat=lat, lng=lng)
    parts = {"service": service.code, "division": division.code, "lat": lat, "long": lng,
             "description": " ".join((description or "").split()), "address": (address_string or "").strip(),
             "phone": (phone or "").strip(), "device": (device_id or "").strip()}
    key, earlier_keys = _keys(user=user, request_key=request_key, parts=parts, at=at)
    earlier = Case.objects.filter(client_key__in=earlier_keys, filer=user).first()
    if earlier is not None:
        return Submitted(case=earlier, created=False,
                         notice=f"该请求已提交过,返回原事项 {earlier.number},未重复立案")
    attachments = []
    if media is not None:
        try:
            clean = clean_upload(media, label="图片")
        except ValidationError as exc:
            raise ValidationError({"media": exc.messages}) from None
        attachments.append(clean)
    try:
        filed = case_services.case_file(
            actor=user, kind=SERVICE_KIND, category=service, text=description, division=division,
            lat=lat, lng=lng, address=address_string, filer_phone=phone, source=Source.OPEN311, client_key=key,
            attachments=attachments, at=at, audit_source="api")
    except ValidationError as exc:
        raise _renamed(exc) from None
    case = filed.case
    notice = (f"已受理,事项编号 {case.number},由{case.organisation.name}办理" if case.organisation_id
              else f"已受理,事项编号 {case.number},等待分派承办单位")
    notice += ";可凭编号或 token 查询办理进度"
    if not filed.created:
        notice = f"该请求已提交过,返回原事项 {case.number},未重复立案"
    elif ignored:
        notice += f"。以下字段本平台不保存:{'、'.join(ignored)}"
    return Submitted(case=case, created=filed.created, notice=notice)


# The engine's field names → the Open311 parameters a client sent.
PARAMS = {"text": "description", "title": "description", "lat": "lat/long", "division": "attribute[division_code]",
          "category": "service_code", "filer_phone": "phone", "address": "address_string", "kind": "service_code"}


def _renamed(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({PARAMS.get(field, field): errors for field, errors in exc.error_dict.items()})
