"""Roster files for the tests, written the way Excel and WPS users produce them."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter

from ningju.testing.factories import make_id

HEADER = ["姓名", "身份证号", "手机号", "职业", "政治面貌", "入职日期", "居住地区划代码"]


def row(name: str, id_number: str | None = None, phone="13912345678", occupation="外卖骑手", status="群众",
        since="", home="") -> list:
    return [name, make_id() if id_number is None else id_number, phone, occupation, status, since, home]


def xlsx(rows: list[list], header: list[str] | None = HEADER) -> bytes:
    """Strings as text cells, numbers as number cells, dates as date cells (like typing them in Excel)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet("花名册")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    lines = ([header] if header is not None else []) + rows
    for r, values in enumerate(lines):
        for c, v in enumerate(values):
            if isinstance(v, dt.date):
                sheet.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date)
            elif isinstance(v, int | float):
                sheet.write_number(r, c, v)
            elif v != "":
                sheet.write_string(r, c, str(v))
    book.close()
    return buf.getvalue()


def csv(rows: list[list], header: list[str] | None = HEADER, encoding: str = "utf-8") -> bytes:
    lines = ([header] if header is not None else []) + rows
    text = "\r\n".join(",".join(str(v) for v in line) for line in lines) + "\r\n"
    return text.encode(encoding)
