"""Reading and checking a Party-member registry file (党员信息库), before anything is written.

Columns (first row, any order, extra columns ignored): 姓名, 身份证号, 党员类别 (正式党员/预备党员),
组织关系所在, 入党日期. ``.xlsx`` is read with python-calamine (first worksheet), ``.csv`` as UTF-8
(with or without BOM) or GBK. Row numbers are the spreadsheet's (1 = the header).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ningju.core import idcard

COLUMNS = ("姓名", "身份证号", "党员类别", "组织关系所在", "入党日期")
REQUIRED = ("姓名", "身份证号", "党员类别")
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
PARTY_FOUNDED = dt.date(1921, 7, 1)
STATUS_VALUES = {"正式党员": "formal", "正式": "formal", "预备党员": "probationary", "预备": "probationary"}
_SPACES = re.compile(r"[\s\u3000\ufeff]+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def error(row: int | None, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": message}


class MemberFileError(Exception):
    """The file as a whole cannot be read (format, encoding, header, size)."""

    def __init__(self, errors: list[dict]):
        super().__init__(";".join(e["message"] for e in errors))
        self.errors = errors


@dataclass
class MemberRow:
    row: int
    name: str
    id_number: str
    status: str
    relation: str
    joined_on: dt.date | None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", str(value)).strip()


def read_table(file_name: str, data: bytes) -> list[list]:
    """All rows of the file's first sheet, cells as read (str, int, float, date, datetime)."""
    name = (file_name or "").lower()
    if len(data) > MAX_BYTES:
        raise MemberFileError([error(None, "", f"文件过大(超过 {MAX_BYTES // 1024 // 1024} MB),请分批导入")])
    if not data:
        raise MemberFileError([error(None, "", "文件是空的")])
    if name.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            return [list(r) for r in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine raises several error types for damaged files
            raise MemberFileError([error(None, "", "无法读取该 Excel 文件,请确认是 .xlsx 格式且未加密")]) from exc
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes nearly any byte sequence
            raise MemberFileError([error(None, "", "无法识别文件编码,请另存为 UTF-8 或 GBK 编码的 CSV")])
        if "\x00" in text:
            raise MemberFileError([error(None, "", "文件含有空字符,不是有效的 CSV 文本文件")])
        return [list(r) for r in csv.reader(io.StringIO(text))]
    raise MemberFileError([error(None, "", "仅支持 .xlsx 或 .csv 文件")])


def _date(value, row: int, errors: list[dict]) -> dt.date | None:
    if value is None or value == "":
        return None
    day = None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 100_000:
        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # an Excel serial day
    else:
        text = _text(value)
        for fmt in _DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if day is None:
        errors.append(error(row, "入党日期", f"日期格式不正确:“{_text(value)}”,请写成 2010-07-01"))
        return None
    if day < PARTY_FOUNDED or day > dt.date.today():
        errors.append(error(row, "入党日期", f"入党日期 {day:%Y-%m-%d} 不合理"))
        return None
    return day


def check_rows(table: list[list]) -> tuple[list[MemberRow], list[dict]]:
    """Every data row checked; all errors returned together (row, column, message in Chinese)."""
    while table and not any(_text(c) for c in table[0]):
        table = table[1:]
    if not table:
        raise MemberFileError([error(None, "", "文件中没有数据")])
    header = [_text(c) for c in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise MemberFileError([error(1, c, f"缺少“{c}”列(第一行应为列名:{'、'.join(COLUMNS)})") for c in missing])
    index = {c: header.index(c) for c in COLUMNS if c in header}
    data = table[1:]
    if len(data) > MAX_ROWS:
        raise MemberFileError([error(None, "", f"一次最多导入 {MAX_ROWS} 行,请分批导入")])

    rows: list[MemberRow] = []
    errors: list[dict] = []
    seen: dict[str, int] = {}
    for offset, cells in enumerate(data):
        row = offset + 2
        values = {c: (cells[i] if i < len(cells) else None) for c, i in index.items()}
        if not any(_text(v) for v in values.values()):
            continue
        name = _text(values.get("姓名"))
        if not name:
            errors.append(error(row, "姓名", "姓名不能为空"))
        elif len(name) > 50:
            errors.append(error(row, "姓名", "姓名不能超过50个字"))
        raw_id = values.get("身份证号")
        number = ""
        if isinstance(raw_id, int | float) and not isinstance(raw_id, bool) and raw_id >= 1e15:
            errors.append(error(row, "身份证号",
                                "身份证号被保存成了数字,末几位已丢失;请将该列设为“文本”格式后重新填写"))
        else:
            try:
                number = idcard.parse(_text(raw_id)).value
            except ValidationError as exc:
                errors.append(error(row, "身份证号", exc.messages[0]))
        if number:
            if number in seen:
                errors.append(error(row, "身份证号", f"与第 {seen[number]} 行的身份证号重复"))
            else:
                seen[number] = row
        status_text = _text(values.get("党员类别"))
        status = STATUS_VALUES.get(status_text)
        if status is None:
            errors.append(error(row, "党员类别", f"党员类别应为“正式党员”或“预备党员”,当前为“{status_text}”"
                                if status_text else "党员类别不能为空"))
        relation = _text(values.get("组织关系所在"))
        if len(relation) > 200:
            errors.append(error(row, "组织关系所在", "组织关系所在不能超过200个字"))
        joined_on = _date(values.get("入党日期"), row, errors)
        rows.append(MemberRow(row=row, name=name, id_number=number, status=status or "", relation=relation,
                              joined_on=joined_on))
    if not rows and not errors:
        raise MemberFileError([error(None, "", "文件中没有数据行")])
    return rows, errors
