"""Reading the parameters of an Open311 GeoReport v2 call: W3C datetimes, comma lists, coordinates, attributes.

Anything malformed raises :class:`Open311Error`, which the views answer in the spec's error format.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from django.utils import timezone

from ningju.cases.models import parse_number

MAX_REQUESTS = 1000                 # the most requests one GET answers (the spec's default limit)
WINDOW = dt.timedelta(days=90)      # default and widest range of GET requests
STATUSES = ("open", "closed")
# The attributes of our service definitions (``attribute[code]=value`` in a POST).
ATTRIBUTES = ("division_code", "request_key")

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_OFFSET_LOST_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class Open311Error(Exception):
    """An answer in the spec's error format: HTTP ``status`` and one entry per message."""

    def __init__(self, status: int, *messages: str):
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = list(messages) or ["请求无法处理"]


def w3c_datetime(value: str, name: str) -> dt.datetime | None:
    """A W3C (ISO 8601 subset) date or date-time; without an offset it is Beijing time."""
    value = (value or "").strip()
    if not value:
        return None
    # "+08:00" sent unencoded in a query string arrives as " 08:00".
    value = _OFFSET_LOST_PLUS.sub(r"\1+\2", value)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, f"{name} 格式不正确,应为W3C日期时间,如 2026-11-18T10:00:00+08:00") from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


def comma_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@dataclass(frozen=True)
class RequestFilters:
    """GET requests: ``ids`` (case ids) overrides every other filter, as the spec says."""

    ids: tuple[int, ...] | None
    numbers: tuple[str, ...]
    codes: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    statuses: tuple[str, ...]


def request_filters(params, *, now: dt.datetime) -> RequestFilters:
    numbers = tuple(n.upper() for n in comma_list(params.get("service_request_id")))
    if len(numbers) > MAX_REQUESTS:
        raise Open311Error(400, f"service_request_id 一次最多{MAX_REQUESTS}个")
    statuses = tuple(s.lower() for s in comma_list(params.get("status")))
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise Open311Error(400, f"status 只能是 open 或 closed(收到:{','.join(bad)})")
    start = w3c_datetime(params.get("start_date"), "start_date")
    end = w3c_datetime(params.get("end_date"), "end_date")
    end = end or (start + WINDOW if start else now)
    start = start or end - WINDOW
    if end < start:
        raise Open311Error(400, "end_date 不能早于 start_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date 与 end_date 之间不能超过90天")
    ids = None
    if numbers:
        ids = tuple(pk for pk in (parse_number(n) for n in numbers) if pk)
    return RequestFilters(ids=ids, numbers=numbers, codes=tuple(comma_list(params.get("service_code"))),
                          start=start, end=end, statuses=statuses)


def coordinates(params) -> tuple[float | None, float | None]:
    """``lat`` and ``long`` as numbers (both or neither)."""
    lat, lng = (params.get("lat") or "").strip(), (params.get("long") or "").strip()
    if not lat and not lng:
        return None, None
    if not lat or not lng:
        raise Open311Error(400, "lat 与 long 需要同时提供")
    try:
        lat_f, lng_f = float(lat), float(lng)
    except ValueError:
        raise Open311Error(400, "lat/long 应为十进制度数,如 lat=35.1474&long=112.8863") from None
    if not (math.isfinite(lat_f) and math.isfinite(lng_f) and -90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        raise Open311Error(400, "lat/long 超出取值范围")
    return lat_f, lng_f


def attributes(params) -> dict[str, str]:
    """The ``attribute[code]`` values of a POST; an attribute our services do not define is refused."""
    found: dict[str, str] = {}
    unknown = []
    for key in params:
        m = _ATTRIBUTE.match(key)
        if not m:
            continue
        code = m.group(1)
        if code not in ATTRIBUTES:
            unknown.append(key)
            continue
        found[code] = (params.get(key) or "").strip()
    if unknown:
        raise Open311Error(400, f"不认识的属性:{'、'.join(unknown)}(可用属性见服务定义 services/{{service_code}})")
    return found
