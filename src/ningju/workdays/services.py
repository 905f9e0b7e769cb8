"""Writes to the holiday table: an administrator's day, a year's publication, a year loaded from the library.

Every write changes the ``Revision`` token in the same transaction (the selectors' cache reloads on it) and
is audited. Holidays belong to no organisation: the audit entry carries the acting account's division and
organisation paths, so the trail of the department that made the change shows it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from ningju.core import audit

from .library import library_days, library_knows, library_label
from .models import YEAR_FIRST, YEAR_LAST, Holiday, Kind, Revision, Source, YearPlan, weekday_label
from .seed import seed_note

A_HOLIDAY_SET = audit.register_action("workdays.holiday.set", "设置节假日/调休上班日")
A_HOLIDAY_DELETED = audit.register_action("workdays.holiday.deleted", "删除节假日/调休上班日")
A_HOLIDAY_LOADED = audit.register_action("workdays.holiday.loaded", "从 chinesecalendar 载入节假日")
A_YEAR_PUBLISHED = audit.register_action("workdays.year.published", "发布年度节假日安排")
A_YEAR_WITHDRAWN = audit.register_action("workdays.year.withdrawn", "撤销发布年度节假日安排")
A_YEAR_UPDATED = audit.register_action("workdays.year.updated", "修改年度节假日安排说明")

NAME_MAX = Holiday._meta.get_field("name").max_length
NOTE_MAX = YearPlan._meta.get_field("note").max_length


def _bump() -> None:
    Revision.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def _paths(actor) -> tuple[str, str]:
    getter = getattr(actor, "audit_scope_paths", None)
    return getter() if getter else ("", "")


def _record(*, actor, action: str, obj, before=None, after=None, source: str) -> None:
    division_path, org_path = _paths(actor)
    audit.record(actor=actor, action=action, obj=obj, before=before, after=after, source=source,
                 division_path=division_path, org_path=org_path)


def _check_year(year: int, field: str) -> None:
    if not YEAR_FIRST <= year <= YEAR_LAST:
        raise ValidationError({field: f"年份须在 {YEAR_FIRST}–{YEAR_LAST} 之间"})


def holiday_set(*, actor, date: dt.date, kind: str, name: str, source: str = "web") -> Holiday:
    """Make ``date`` a holiday (休息日) or an adjusted working day (调休上班日) named ``name``.

    The row becomes an administrator's (source "admin"), which reloading the year from the library keeps.
    An adjusted working day must fall on a Saturday or Sunday (a weekday is a working day anyway).
    """
    _check_year(date.year, "date")
    name = (name or "").strip()
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = "类型应为“休息日”或“调休上班日”"
    elif kind == Kind.WORKDAY and date.weekday() < 5:
        errors["date"] = f"{date:%Y-%m-%d} 是{weekday_label(date)},本来就是工作日,调休上班日应为周六或周日"
    if not name:
        errors["name"] = "请填写名称,如:春节、国庆节"
    elif len(name) > NAME_MAX:
        errors["name"] = f"名称不能超过{NAME_MAX}个字"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().filter(date=date).first()
        if holiday is None:
            holiday = Holiday.objects.create(date=date, kind=kind, name=name, source=Source.ADMIN)
            before = None
        elif (holiday.kind, holiday.name, holiday.source) == (kind, name, Source.ADMIN):
            return holiday
        else:
            before = audit.snapshot(holiday)
            holiday.kind, holiday.name, holiday.source = kind, name, Source.ADMIN
            holiday.save()
        _record(actor=actor, action=A_HOLIDAY_SET, obj=holiday, before=before, after=audit.snapshot(holiday),
                source=source)
        _bump()
    return holiday


def holiday_delete(*, actor, date: dt.date, source: str = "web") -> None:
    """Remove ``date``'s entry: the day follows the weekend rule again.

    A day that came from the library returns when the year is loaded from the library again.
    """
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().filter(date=date).first()
        if holiday is None:
            raise ValidationError({"date": f"{date:%Y-%m-%d} 没有节假日或调休安排"})
        _record(actor=actor, action=A_HOLIDAY_DELETED, obj=holiday, before=audit.snapshot(holiday), source=source)
        holiday.delete()
        _bump()


def year_publish(*, actor, year: int, published: bool, note: str | None = None, source: str = "web") -> YearPlan:
    """Mark ``year``'s plan complete (published) or not; ``note`` (e.g. the notice's number) replaces the note
    when given. Pages stop warning about a published year."""
    _check_year(year, "year")
    if note is not None:
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise ValidationError({"note": f"说明不能超过{NOTE_MAX}个字"})
    with transaction.atomic():
        plan = YearPlan.objects.select_for_update().filter(year=year).first()
        before = audit.snapshot(plan) if plan else None
        if plan is None:
            plan = YearPlan(year=year)
        elif plan.published == published and (note is None or plan.note == note):
            return plan
        if plan.published == published:  # only the note changes (or a new plan starts unpublished)
            action = A_YEAR_UPDATED
        else:
            action = A_YEAR_PUBLISHED if published else A_YEAR_WITHDRAWN
        plan.published = published
        if note is not None:
            plan.note = note
        plan.save()
        _record(actor=actor, action=action, obj=plan, before=before, after=audit.snapshot(plan), source=source)
        _bump()
    return plan


@dataclass
class LoadResult:
    year: int
    created: int = 0
    updated: int = 0
    deleted: int = 0
    kept: int = 0  # administrators' rows left as they are
    unchanged: int = 0
    published: bool = False  # the year's plan was marked published by this load

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.published)

    def summary(self) -> str:
        return (f"{self.year}年:新增 {self.created},更新 {self.updated},删除 {self.deleted},"
                f"保留管理员修改 {self.kept},未变 {self.unchanged}")


def year_load_from_library(*, actor, year: int, source: str = "web") -> LoadResult:
    """(Re)load ``year`` from chinesecalendar and mark its plan published.

    Library days missing from the table are added and the library's rows (source "seed") follow the library;
    a library row the library no longer lists is removed. Rows an administrator set (source "admin") are never
    changed. Loading twice changes nothing the second time. Each changed day is audited.
    """
    if not library_knows(year):
        raise ValidationError({"year": f"{library_label()} 没有{year}年的节假日数据,请按国务院通知逐日录入"})
    result = LoadResult(year=year)
    wanted = {d.date: d for d in library_days(year)}
    with transaction.atomic():
        existing = {h.date: h for h in Holiday.objects.select_for_update().filter(date__year=year)}
        new_rows = []
        for date, day in wanted.items():
            row = existing.get(date)
            if row is None:
                new_rows.append(Holiday(date=date, kind=day.kind, name=day.name, source=Source.SEED))
            elif row.source == Source.ADMIN:
                result.kept += 1
            elif (row.kind, row.name) == (day.kind, day.name):
                result.unchanged += 1
            else:
                before = audit.snapshot(row)
                row.kind, row.name = day.kind, day.name
                row.save()
                _record(actor=actor, action=A_HOLIDAY_LOADED, obj=row, before=before, after=audit.snapshot(row),
                        source=source)
                result.updated += 1
        for row in Holiday.objects.bulk_create(new_rows):
            _record(actor=actor, action=A_HOLIDAY_LOADED, obj=row, after=audit.snapshot(row), source=source)
        result.created = len(new_rows)
        for date, row in existing.items():
            if date not in wanted and row.source == Source.SEED:
                _record(actor=actor, action=A_HOLIDAY_DELETED, obj=row, before=audit.snapshot(row), source=source)
                row.delete()
                result.deleted += 1
        plan = YearPlan.objects.select_for_update().filter(year=year).first()
        if plan is None or not plan.published:
            before = audit.snapshot(plan) if plan else None
            plan = plan or YearPlan(year=year, note=seed_note())
            plan.published = True
            plan.save()
            _record(actor=actor, action=A_YEAR_PUBLISHED, obj=plan, before=before, after=audit.snapshot(plan),
                    source=source)
            result.published = True
        if result.changed:
            _bump()
    return result
