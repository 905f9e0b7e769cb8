"""Writes to the division tree: the CSV import/refresh."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from ningju.core import audit

from .codes import check_code
from .models import LEVEL_CODES, Division

A_CREATED = audit.register_action("geo.division.created", "新增行政区划")
A_UPDATED = audit.register_action("geo.division.updated", "修改行政区划")

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


class DivisionImportError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def read_rows(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DivisionImportError([f"第1行:缺少列 {', '.join(missing)}(需要 {', '.join(REQUIRED_COLUMNS)})"])
    return list(reader)


def divisions_import(*, actor, rows: Iterable[dict], progress: Callable[[int], None] | None = None,
                     source: str = "command") -> ImportResult:
    """Create or refresh divisions from rows; all or nothing.

    Rows must come parent before child (or have their parent already in the database). Every row
    is checked first: code shape, level, parent exists and the code fits the parent's code. With
    any error nothing is written and :class:`DivisionImportError` lists them by line.
    """
    rows = list(rows)
    existing = {d.code: d for d in Division.objects.all()}
    planned: dict[str, tuple[int, str | None]] = {c: (d.level, d.parent.code if d.parent_id else None)
                                                  for c, d in existing.items()}
    errors: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        level_raw = (row.get("level") or "").strip().lower()
        parent_code = (row.get("parent_code") or "").strip() or None
        prefix = f"第{i}行"
        if not name:
            errors.append(f"{prefix}:名称不能为空")
        if level_raw not in LEVEL_CODES:
            errors.append(f"{prefix}:层级“{level_raw}”无效,应为 {'/'.join(LEVEL_CODES)}")
            continue
        level = LEVEL_CODES[level_raw]
        if code in seen:
            errors.append(f"{prefix}:区划代码 {code} 在文件中重复")
            continue
        seen.add(code)
        parent_level = None
        if parent_code:
            if parent_code not in planned:
                errors.append(f"{prefix}:上级区划 {parent_code} 不存在(上级须在本行之前或已在系统中)")
                continue
            parent_level = planned[parent_code][0]
        try:
            check_code(code, level, parent_code, parent_level)
        except ValidationError as exc:
            errors.append(f"{prefix}:{exc.messages[0]}")
            continue
        if code in existing and existing[code].level != level:
            errors.append(f"{prefix}:区划 {code} 已存在且层级不同,不能更改层级")
            continue
        planned[code] = (level, parent_code)
    if errors:
        raise DivisionImportError(errors)

    result = ImportResult()
    with transaction.atomic():
        by_code = dict(existing)
        for n, row in enumerate(rows, start=1):
            code = row["code"].strip()
            name = row["name"].strip()
            level = LEVEL_CODES[row["level"].strip().lower()]
            parent_code = (row.get("parent_code") or "").strip() or None
            parent = by_code[parent_code] if parent_code else None
            path = (parent.path if parent else "") + code + "/"
            current = by_code.get(code)
            if current is None:
                obj = Division.objects.create(code=code, name=name, level=level, parent=parent, path=path)
                audit.record(actor=actor, action=A_CREATED, obj=obj, after=audit.snapshot(obj), source=source)
                by_code[code] = obj
                result.created += 1
            elif current.name != name or current.parent_id != (parent.pk if parent else None):
                before = audit.snapshot(current)
                current.name, current.parent, current.path = name, parent, path
                current.save()
                audit.record(actor=actor, action=A_UPDATED, obj=current, before=before,
                             after=audit.snapshot(current), source=source)
                result.updated += 1
            else:
                result.unchanged += 1
            if progress:
                progress(n)
    return result
