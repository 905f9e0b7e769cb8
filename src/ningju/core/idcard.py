"""Resident ID numbers (GB 11643-1999): 17 digits and a checksum digit (0-9 or X)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[0-9X]$")


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    gender: str  # "M" or "F"


def checksum(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate an ID number and derive birth date and gender; raise ValidationError in Chinese."""
    value = normalise(raw)
    if len(value) != 18:
        raise ValidationError("身份证号码应为18位(当前%(n)s位)", code="id_length", params={"n": len(value)})
    if not _SHAPE.match(value):
        raise ValidationError("身份证号码格式不正确:前17位应为数字,最后一位为数字或X", code="id_format")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise ValidationError("身份证号码中的出生日期不存在", code="id_birth_date") from exc
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise ValidationError("身份证号码中的出生日期不合理", code="id_birth_date")
    if checksum(value[:17]) != value[17]:
        raise ValidationError("身份证号码校验位错误,请核对", code="id_checksum")
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value=value, birth_date=birth, gender=gender)


def make(area: str, birth: dt.date, sequence: int) -> str:
    """Build a valid ID number (used by the demo data and tests)."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + checksum(first17)


def mask_id(value: str | None) -> str:
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else value[:1] + "*" * (len(value) - 1)


_PHONE = re.compile(r"^1[3-9]\d{9}$")


def validate_phone(raw: str) -> str:
    value = (raw or "").strip().replace(" ", "").replace("-", "")
    if value.startswith("+86"):
        value = value[3:]
    if not _PHONE.match(value):
        raise ValidationError("手机号码应为11位,以1开头", code="phone_format")
    return value
