"""Spreadsheets the roster pages hand out: the blank template and a refused import's errors."""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter

from ningju.core.excel import xlsx_bytes

from .parsing import COLUMNS, MAX_ROWS
from .validation import EXAMPLE_ID, EXAMPLE_NAME, OCCUPATIONS, POLITICAL_STATUSES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "花名册"
VALUES_SHEET = "可选值"


def template_bytes() -> bytes:
    """The roster template: header row and one example row, the allowed values on a second sheet.

    The ID number, phone and division code columns are formatted as text, so Excel keeps every digit;
    职业 and 政治面貌 offer drop-down lists of the allowed values.
    """
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                     "strings_to_urls": False})
    sheet = book.add_worksheet(DATA_SHEET)
    values = book.add_worksheet(VALUES_SHEET)
    required = book.add_format({"bold": True, "bg_color": "#FDE7E7", "font_color": "#8E1414", "border": 1})
    optional = book.add_format({"bold": True, "bg_color": "#F0F2F5", "border": 1})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    example = book.add_format({"font_color": "#656D76", "italic": True, "num_format": "@"})
    example_date = book.add_format({"font_color": "#656D76", "italic": True, "num_format": "yyyy-mm-dd"})

    widths = {"姓名": 14, "身份证号": 22, "手机号": 15, "职业": 18, "政治面貌": 14, "入职日期": 13,
              "居住地区划代码": 18}
    last = MAX_ROWS  # the data rows the formats and drop-downs cover (0-based last row index)
    for col, column in enumerate(COLUMNS):
        fmt = date if column.name == "入职日期" else text
        sheet.set_column(col, col, widths[column.name], fmt)
        sheet.write_string(0, col, column.name, required if column.required else optional)
        sheet.write_comment(0, col, ("必填。" if column.required else "选填。") + column.hint,
                            {"x_scale": 1.6, "y_scale": 0.8})
    occupations, statuses = list(OCCUPATIONS), list(POLITICAL_STATUSES)
    sample = [EXAMPLE_NAME, EXAMPLE_ID, "13800138000", occupations[0], statuses[-1]]
    for col, value in enumerate(sample):
        sheet.write_string(1, col, value, example)
    sheet.write_datetime(1, 5, dt.datetime(2023, 5, 1), example_date)
    sheet.write_string(1, 6, "410882001001", example)
    names = [c.name for c in COLUMNS]
    sheet.data_validation(1, names.index("职业"), last, names.index("职业"), {
        "validate": "list", "source": f"={VALUES_SHEET}!$A$2:$A${len(occupations) + 1}",
        "error_title": "职业", "error_message": "请从下拉列表中选择职业"})
    sheet.data_validation(1, names.index("政治面貌"), last, names.index("政治面貌"), {
        "validate": "list", "source": f"={VALUES_SHEET}!$B$2:$B${len(statuses) + 1}",
        "error_title": "政治面貌", "error_message": "请从下拉列表中选择政治面貌"})
    sheet.freeze_panes(1, 0)

    values.write_string(0, 0, "职业", optional)
    values.write_string(0, 1, "政治面貌", optional)
    values.write_string(0, 3, "填写说明", optional)
    for row, label in enumerate(occupations, start=1):
        values.write_string(row, 0, label)
    for row, label in enumerate(statuses, start=1):
        values.write_string(row, 1, label)
    notes = [
        "1. 第1行是表头,请勿修改列名;第2行是示例,填写前请删除。",
        "2. 每行一名人员;必填:姓名、身份证号、手机号、职业、政治面貌。",
        "3. 身份证号、手机号、区划代码列已设为“文本”格式,请勿改为数字,否则身份证号后几位会丢失。",
        "4. 入职日期可写 2023-05-01、2023/5/1、2023年5月1日 或 20230501。",
        "5. 居住地区划代码为12位统计用区划代码(村/社区),可不填;可选列空着时不会清除已登记的内容。",
        f"6. 每个文件最多 {MAX_ROWS:,} 行;保存为 .xlsx(或 CSV UTF-8)后上传。",
        "7. 已登记的人员(按身份证号)会被更新而不会重复登记;其他单位登记的人员不能通过本单位花名册导入。",
    ]
    for row, note in enumerate(notes, start=1):
        values.write_string(row, 3, note)
    values.set_column(0, 1, 18)
    values.set_column(3, 3, 90)
    book.close()
    return buf.getvalue()


def errors_bytes(errors: list[dict]) -> bytes:
    """A refused import's errors as a sheet (row, column, problem); cells are escaped by ``xlsx_bytes``."""
    rows = [[e["row"] if e["row"] is not None else "文件", e["column"] or "—", e["message"]] for e in errors]
    return xlsx_bytes("错误清单", ["行号", "列", "问题"], rows)
