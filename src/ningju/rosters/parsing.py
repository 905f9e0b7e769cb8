"""Reading a roster file (花名册) into a header and data rows, before any row is checked.

* ``.xlsx`` is read with python-calamine (first visible worksheet); ``.csv`` is decoded as UTF-8
  (with or without BOM), UTF-16 (Excel's "Unicode text") or GBK/GB18030, comma, tab or semicolon
  separated.
* The header is the first non-blank row; data rows keep their spreadsheet row numbers (1 = the first
  row of the sheet), so the errors point at the cells the user sees. Completely blank rows are skipped.
* Problems of the file as a whole (not a spreadsheet, empty, no header row, unknown, duplicated or
  missing columns, too many rows) raise :class:`RosterFileError`; ``row`` is ``None`` for the file and
  the header's row number for column problems.

Cell values are returned as read (str, float, int, bool, date, datetime); turning them into registry
values is the job of :mod:`ningju.rosters.validation`.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass

MAX_ROWS = 100_000          # data rows per file
MAX_BYTES = 30 * 1024 * 1024  # a 100,000-row .xlsx is about 5 MB, the same as .csv about 8 MB


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    hint: str


COLUMNS: tuple[Column, ...] = (
    Column("姓名", True, "与身份证一致"),
    Column("身份证号", True, "18位,末位可为X;请保持“文本”格式"),
    Column("手机号", True, "11位手机号码"),
    Column("职业", True, "从“可选值”工作表中选择"),
    Column("政治面貌", True, "从“可选值”工作表中选择"),
    Column("入职日期", False, "如 2023-05-01,可不填"),
    Column("居住地区划代码", False, "12位统计用区划代码(村/社区),可不填"),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
OPTIONAL = tuple(c.name for c in COLUMNS if not c.required)


def error(row: int | None, column: str, message: str) -> dict:
    """One problem: spreadsheet row number (1 = header, None = the whole file), column name, message."""
    return {"row": row, "column": column, "message": message}


class RosterFileError(Exception):
    """The file cannot be read as a roster; ``errors`` says why (row None or the header row)."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


@dataclass
class Table:
    header_row: int
    columns: list[str]                        # known column names, in the order of ``rows``' values
    rows: list[tuple[int, tuple]]             # (spreadsheet row number, values of ``columns``)


_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls, .et, and password-protected .xlsx
_NOT_SHEETS = {
    b"%PDF": "PDF 文件", b"\x89PNG": "PNG 图片", b"\xff\xd8\xff": "JPEG 图片", b"GIF8": "GIF 图片",
    b"BM": "BMP 图片", b"Rar!": "RAR 压缩包", b"7z\xbc\xaf": "7z 压缩包", b"\x1f\x8b": "gzip 压缩包",
    b"RIFF": "音视频或图片文件",
}
_SPACES = re.compile(r"[\s\u3000\ufeff]+")
_SUPPORTED = "请上传 .xlsx(Excel 工作簿)或 .csv 文件,可先下载模板填写"


def _file_error(message: str) -> RosterFileError:
    return RosterFileError([error(None, "", message)])


def _suffix(file_name: str) -> str:
    name = (file_name or "").lower().strip()
    return name[name.rfind("."):] if "." in name else ""


def read_cells(content: bytes, file_name: str) -> list[tuple[int, list]]:
    """All non-blank rows of the file as (row number, cells); raises RosterFileError."""
    if not content:
        raise _file_error("文件是空的(0 字节),请选择填好的花名册文件")
    if len(content) > MAX_BYTES:
        raise _file_error(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB,请拆分为多个文件分别导入")
    suffix = _suffix(file_name)
    if content.startswith(_ZIP):
        return _read_xlsx(content)
    if content.startswith(_OLE):
        raise _file_error("这是旧版 Excel 97-2003(.xls)格式或设置了密码的文件,无法读取;请用 Excel 或 WPS 打开,"
                          "取消密码后“另存为” .xlsx 格式再上传")
    for magic, kind in _NOT_SHEETS.items():
        if content.startswith(magic):
            raise _file_error(f"文件内容是{kind},不是电子表格;{_SUPPORTED}")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise _file_error(f"文件扩展名是 {suffix},但内容不是 Excel 工作簿(可能是改了扩展名的其他文件);{_SUPPORTED}")
    if suffix != ".csv":
        raise _file_error(f"不支持 {suffix or '无扩展名'} 文件;{_SUPPORTED}")
    return _read_csv(content)


def _read_xlsx(content: bytes) -> list[tuple[int, list]]:
    import python_calamine as calamine

    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        visible = [m.name for m in book.sheets_metadata
                   if m.visible == calamine.SheetVisibleEnum.Visible and m.typ == calamine.SheetTypeEnum.WorkSheet]
        if not visible:
            raise _file_error("工作簿中没有可见的工作表")
        sheet = book.get_sheet_by_name(visible[0])
        values = sheet.to_python()
        first_row = sheet.start[0] if sheet.start else 0
    except calamine.PasswordError as exc:
        raise _file_error("文件设置了密码,请取消密码后再上传") from exc
    except (calamine.CalamineError, ValueError, OSError) as exc:
        raise _file_error(f"文件不是有效的 Excel(.xlsx)工作簿,可能已损坏或是其他格式的文件;{_SUPPORTED}") from exc
    rows = []
    for i, cells in enumerate(values):
        for v in cells:
            if v != "" and v is not None and not (v.__class__ is str and not v.strip()):
                rows.append((first_row + i + 1, cells))
                break
    return rows


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in content:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise _file_error("无法识别文件内容:不是文本格式的 CSV,或编码不是 UTF-8/GBK;请在 Excel 中另存为"
                      "“CSV UTF-8(逗号分隔)”或直接上传 .xlsx")


def _read_csv(content: bytes) -> list[tuple[int, list]]:
    text = _decode(content)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    known = set(COLUMN_NAMES)

    def score(delimiter: str) -> tuple[int, int]:
        parts = [_header_name(p.strip('"')) for p in first_line.split(delimiter)]
        return sum(p in known for p in parts), len(parts)

    delimiter = max((",", "\t", ";"), key=score)
    rows = []
    try:
        for i, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if any(c.strip() for c in cells):
                rows.append((i, cells))
    except csv.Error as exc:
        raise _file_error(f"CSV 文件格式有误:{exc};请在 Excel 中重新另存为 CSV 或直接上传 .xlsx") from exc
    return rows


def _header_name(value) -> str:
    if value is None:
        return ""
    name = _SPACES.sub("", str(value))
    return name.strip("*＊")


def _column_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        out = chr(65 + r) + out
    return out


def _looks_like_data(cells: list) -> bool:
    for v in cells:
        if isinstance(v, float | int) and not isinstance(v, bool) and abs(v) >= 1e10:
            return True
        if isinstance(v, str) and re.fullmatch(r"\s*\d{17}[\dXx]\s*", v):
            return True
    return False


def parse(content: bytes, file_name: str, *, max_rows: int | None = None) -> Table:
    """Read the file and check its shape; raises RosterFileError with every problem found."""
    limit = MAX_ROWS if max_rows is None else max_rows
    rows = read_cells(content, file_name)
    if not rows:
        raise _file_error("文件中没有任何内容:第1行应为表头(姓名、身份证号……),其下每行一名人员")
    header_row, header_cells = rows[0]
    names = [_header_name(v) for v in header_cells]
    known = set(COLUMN_NAMES)
    wanted = "、".join(REQUIRED) + "(可选:" + "、".join(OPTIONAL) + ")"
    if not any(n in known for n in names):
        if _looks_like_data(header_cells):
            message = f"第{header_row}行是数据而不是表头:缺少表头行,第一行应为列名 {wanted};请使用模板,不要删除表头"
        else:
            message = f"未找到表头行:第{header_row}行应为列名 {wanted};请使用模板"
        raise RosterFileError([error(header_row, "", message)])

    errors: list[dict] = []
    index: dict[str, int] = {}
    blank_header_cols = []
    missing = [n for n in REQUIRED if n not in names]
    for col, name in enumerate(names):
        if not name:
            blank_header_cols.append(col)
        elif name in known:
            if name in index:
                errors.append(error(header_row, name, f"列“{name}”出现了不止一次(第{_column_letter(index[name])}列和"
                                                      f"第{_column_letter(col)}列),请只保留一列"))
            else:
                index[name] = col
        else:
            close = difflib.get_close_matches(name, [n for n in COLUMN_NAMES if n not in names], n=1, cutoff=0.4)
            hint = f"(是否应为“{close[0]}”?)" if close else ""
            errors.append(error(header_row, name, f"多余的列“{name}”(第{_column_letter(col)}列):模板中没有这一列{hint},"
                                                  "请删除该列或改回模板中的列名"))
    for name in missing:
        errors.append(error(header_row, name, f"缺少必填列“{name}”"))
    data = rows[1:]
    if blank_header_cols:
        for col in blank_header_cols:
            for row_number, cells in data:
                v = cells[col] if col < len(cells) else ""
                if v != "" and v is not None and str(v).strip():
                    errors.append(error(header_row, f"第{_column_letter(col)}列",
                                        f"第{_column_letter(col)}列没有列名,但第{row_number}行起有数据;请删除该列或填写列名"))
                    break
    if len(data) > limit:
        errors.append(error(None, "", f"文件有 {len(data):,} 行数据,超过每次导入的上限 {limit:,} 行;"
                                      "请拆分为多个文件分别导入"))
    if errors:
        raise RosterFileError(errors)
    if not data:
        raise _file_error("文件只有表头,没有人员数据;请从第2行起每行填写一名人员")

    columns = [n for n in COLUMN_NAMES if n in index]
    positions = [index[n] for n in columns]
    width = max(positions) + 1
    out = []
    for row_number, cells in data:
        if len(cells) < width:
            cells = list(cells) + [""] * (width - len(cells))
        out.append((row_number, tuple(cells[p] for p in positions)))
    return Table(header_row=header_row, columns=columns, rows=out)
