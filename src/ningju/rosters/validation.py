"""Checking every row of a roster: cell by cell, duplicates in the file, divisions, the registry.

Each problem is ``{"row", "column", "message"}`` with the spreadsheet row number. The checks read
the database (visible divisions, existing people by keyed hash) in batches, never one query per row,
and write nothing; :mod:`ningju.rosters.services` decides what to do with the result.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ningju.core import idcard
from ningju.core.crypto import keyed_hash
from ningju.geo.models import Division
from ningju.people.models import Occupation, Person, PoliticalStatus

from .parsing import Table, error

LOOKUP_BATCH = 10_000  # IN lists: fewer, larger lookups (PostgreSQL plans a hashed scan for them)

OCCUPATIONS = {label: value for value, label in Occupation.choices}
POLITICAL_STATUSES = {label: value for value, label in PoliticalStatus.choices}

# The example row of the template; uploading it unchanged would register a person who does not exist.
EXAMPLE_NAME = "张三(示例,请删除本行)"
EXAMPLE_ID = idcard.make("410882", dt.date(1995, 5, 1), 12)

_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_TEXT = re.compile(r"^\d{1,5}(\.\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EARLIEST_EMPLOYMENT = dt.date(1950, 1, 1)

LOST_DIGITS = ("身份证号被 Excel 存成了数字(如 4.10882E+17 这样的科学计数法),后几位已经丢失;"
               "请把“身份证号”列设为“文本”格式后重新输入")
PHONE_LOST_DIGITS = "手机号被 Excel 存成了科学计数法,数字已丢失;请设为“文本”格式后重新输入"
OUTSIDE_SCOPE = ("该身份证号已在其他单位登记,不在您的管辖范围内;花名册导入不跨单位调动人员,"
                 "请联系其所在单位或上级组织部门处理")


@dataclass(slots=True)
class CleanRow:
    row: int
    name: str
    id_number: str
    id_hash: str
    birth_date: dt.date
    gender: str
    phone: str
    phone_hash: str
    occupation: str
    political_status: str
    employed_since: dt.date | None       # None: not given, keep what the registry has
    home_division_code: str | None       # None: not given, keep what the registry has
    home_division_id: int | None = None


class _CellError(Exception):
    pass


def _ascii(value: str) -> str:
    return value if value.isascii() else unicodedata.normalize("NFKC", value)


def _text(value) -> str:
    if value is None:
        return ""
    if value.__class__ is str:
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _number_text(value, *, lost: str) -> str:
    """Text of a cell holding digits (ID number, phone, code) that Excel may have made a number."""
    if isinstance(value, bool):
        raise _CellError("应为文本,不能是“是/否”")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        raise _CellError(lost)
    text = _ascii(_text(value)).replace(" ", "").lstrip("'")
    if _SCIENTIFIC.match(text):
        raise _CellError(lost)
    return text


def parse_date(value, *, today: dt.date) -> dt.date:
    """A date given as a date cell, an Excel serial number, or text (2023-05-01, 2023/5/1, 2023年5月1日, 20230501)."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        day = _serial(value)
    elif isinstance(value, str):
        text = _ascii(value.strip())
        if m := _DATE_TEXT.match(text) or _DATE_COMPACT.match(text):
            try:
                day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError as exc:
                raise _CellError(f"日期“{text}”不存在") from exc
        elif _SERIAL_TEXT.match(text):
            day = _serial(float(text))
        else:
            raise _CellError(f"日期格式无法识别“{text[:20]}”,请写成 2023-05-01 这样的日期")
    else:
        raise _CellError("应为日期,如 2023-05-01")
    if day > today:
        raise _CellError(f"日期 {day.isoformat()} 晚于今天")
    if day < _EARLIEST_EMPLOYMENT:
        raise _CellError(f"日期 {day.isoformat()} 不合理(早于1950年)")
    return day


def _serial(number: float) -> dt.date:
    """An Excel date serial number (days since 1899-12-30 in the 1900 date system)."""
    if not 1 <= number < 2958466:
        raise _CellError(f"数字 {number:g} 不是有效的 Excel 日期")
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


@dataclass
class Checked:
    """The outcome of :func:`check_rows`, completed by :func:`check_divisions` and :func:`check_registry`."""

    clean: list[CleanRow]                 # rows without any problem so far
    errors: list[dict]
    id_hashes: list[tuple[int, str]]      # (row, keyed hash) of every well-formed, first-seen ID number
    home_codes: list[tuple[int, str]]     # (row, code) of every well-formed home division code


def check_rows(table: Table, *, today: dt.date | None = None,
               progress: Callable[[int], None] | None = None) -> Checked:
    """Check each row on its own and the duplicates inside the file (no database access)."""
    today = today or dt.date.today()
    pos = {name: i for i, name in enumerate(table.columns)}
    i_name, i_id, i_phone = pos["姓名"], pos["身份证号"], pos["手机号"]
    i_occ, i_pol = pos["职业"], pos["政治面貌"]
    i_since, i_home = pos.get("入职日期"), pos.get("居住地区划代码")
    occupations = "、".join(OCCUPATIONS)
    statuses = "、".join(POLITICAL_STATUSES)

    out = Checked(clean=[], errors=[], id_hashes=[], home_codes=[])
    errors = out.errors
    first_row_of: dict[str, int] = {}
    for n, (row, cells) in enumerate(table.rows, start=1):
        if progress is not None and n % 5000 == 0:
            progress(n)
        problems: list[tuple[str, str]] = []

        name = _text(cells[i_name])
        if not name:
            problems.append(("姓名", "姓名不能为空"))
        elif len(name) > 50:
            problems.append(("姓名", f"姓名过长({len(name)}个字,最多50个)"))
        elif name == EXAMPLE_NAME:
            problems.append(("姓名", "这是模板中的示例行,请删除后再上传"))

        parsed = id_hash = None
        try:
            raw_id = _number_text(cells[i_id], lost=LOST_DIGITS)
            if not raw_id:
                raise _CellError("身份证号不能为空")
            parsed = idcard.parse(raw_id, today=today)
        except _CellError as exc:
            problems.append(("身份证号", str(exc)))
        except ValidationError as exc:
            problems.append(("身份证号", exc.messages[0]))
        if parsed is not None:
            first = first_row_of.setdefault(parsed.value, row)
            if first != row:
                problems.append(("身份证号", f"身份证号与第{first}行重复"))
            elif parsed.value == EXAMPLE_ID:
                problems.append(("身份证号", "这是模板中示例行的身份证号,请删除示例行"))
            else:
                id_hash = keyed_hash(parsed.value)
                out.id_hashes.append((row, id_hash))

        phone = ""
        try:
            raw_phone = _number_text(cells[i_phone], lost=PHONE_LOST_DIGITS)
            if not raw_phone:
                raise _CellError("手机号不能为空")
            phone = idcard.validate_phone(raw_phone)
        except _CellError as exc:
            problems.append(("手机号", str(exc)))
        except ValidationError as exc:
            problems.append(("手机号", exc.messages[0]))

        occupation = OCCUPATIONS.get(_text(cells[i_occ]))
        if occupation is None:
            given = _text(cells[i_occ])
            message = f"职业“{given[:20]}”不在可选值中,应为:{occupations}" if given else "职业不能为空"
            problems.append(("职业", message))
        political = POLITICAL_STATUSES.get(_text(cells[i_pol]))
        if political is None:
            given = _text(cells[i_pol])
            message = f"政治面貌“{given[:20]}”不在可选值中,应为:{statuses}" if given else "政治面貌不能为空"
            problems.append(("政治面貌", message))

        since = None
        if i_since is not None and _text(cells[i_since]):
            try:
                since = parse_date(cells[i_since], today=today)
                if parsed is not None and since < parsed.birth_date:
                    raise _CellError("入职日期早于身份证号中的出生日期")
            except _CellError as exc:
                problems.append(("入职日期", str(exc)))

        home = None
        if i_home is not None and _text(cells[i_home]):
            try:
                home = _number_text(cells[i_home], lost="区划代码被 Excel 存成了科学计数法,数字已丢失")
                if not home.isdigit() or len(home) not in (12, 15):
                    raise _CellError(f"居住地区划代码“{home[:20]}”应为12位数字(网格为15位)")
                out.home_codes.append((row, home))
            except _CellError as exc:
                problems.append(("居住地区划代码", str(exc)))

        if problems:
            errors.extend(error(row, column, message) for column, message in problems)
        else:
            out.clean.append(CleanRow(row, name, parsed.value, id_hash, parsed.birth_date, parsed.gender, phone,
                                      keyed_hash(phone), occupation, political, since, home))
    if progress is not None:
        progress(len(table.rows))
    return out


def check_divisions(checked: Checked, *, actor) -> None:
    """Resolve home division codes; each must exist and be visible to ``actor`` (None: the system)."""
    codes = sorted({code for _, code in checked.home_codes})
    if not codes:
        return
    qs = Division.objects.all() if actor is None else Division.objects.visible_to(actor)
    found: dict[str, int] = {}
    for start in range(0, len(codes), LOOKUP_BATCH):
        found.update(qs.filter(code__in=codes[start:start + LOOKUP_BATCH]).order_by().values_list("code", "id"))
    for row, code in checked.home_codes:
        if code not in found:
            checked.errors.append(error(row, "居住地区划代码", f"区划代码“{code}”不存在或不在您的管辖范围内"))
    for r in checked.clean:
        if r.home_division_code:
            r.home_division_id = found.get(r.home_division_code)


# What the import compares and writes, read from the registry without decrypting anything.
REGISTRY_FIELDS = ("id", "id_hash", "name", "phone_hash", "occupation", "political_status", "employer_id",
                   "employed_since", "home_division_id")


def check_registry(checked: Checked, *, actor) -> dict[str, dict]:
    """People already registered under the file's ID numbers (by keyed hash, in batches).

    Returns the ones visible to ``actor`` (to be updated) by hash, and adds an error for every row whose
    ID number is registered but not visible: an import never moves a person across scopes.
    """
    hashes = [h for _, h in checked.id_hashes]
    existing: dict[str, dict] = {}
    visible_ids: set[int] = set()
    visible_qs = None if actor is None else Person.objects.visible_to(actor)
    for start in range(0, len(hashes), LOOKUP_BATCH):
        chunk = hashes[start:start + LOOKUP_BATCH]
        found = {v["id_hash"]: v
                 for v in Person.objects.filter(id_hash__in=chunk).order_by().values(*REGISTRY_FIELDS)}
        if not found:
            continue
        existing.update(found)
        if visible_qs is None:
            visible_ids.update(v["id"] for v in found.values())
        else:
            visible_ids.update(visible_qs.filter(id__in=[v["id"] for v in found.values()]).order_by()
                               .values_list("id", flat=True))
    visible: dict[str, dict] = {}
    for row, id_hash in checked.id_hashes:
        person = existing.get(id_hash)
        if person is None:
            continue
        if person["id"] in visible_ids:
            visible[id_hash] = person
        else:
            checked.errors.append(error(row, "身份证号", OUTSIDE_SCOPE))
    return visible
