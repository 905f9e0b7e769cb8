"""Spreadsheet output helpers shared by every export."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import xlsxwriter

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise formula injection: text starting with = + - @ (or tab/CR) gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def xlsx_bytes(sheet_name: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """Write one sheet; every cell is written as plain text or number, never as a formula."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet(sheet_name[:31])
    bold = book.add_format({"bold": True, "bg_color": "#F0F2F5"})
    for c, title in enumerate(header):
        sheet.write_string(0, c, title, bold)
        sheet.set_column(c, c, max(10, len(title) * 2 + 2))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            value = safe_cell(value)
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()
