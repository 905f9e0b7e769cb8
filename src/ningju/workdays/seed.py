"""The initial seed of the holiday table from ``chinesecalendar``: a few bulk inserts, no audit.

Run by the data migration (with its historical models), so every database — and every test database —
starts with the years the library knows. It only adds what is missing; reloading a year over existing rows,
keeping administrators' edits, is the audited service ``services.year_load_from_library`` (page button and
command ``seed_holidays``).
"""

from __future__ import annotations

import uuid

from .library import library_days, library_label, library_years


def seed_note() -> str:
    return f"据 {library_label()} 载入"


def seed_tables(holiday_model, plan_model, revision_model, years: list[int] | None = None) -> int:
    """Insert the library's days (source "seed") and published plans for ``years`` (default: all it knows)
    where the table has none yet; returns the number of days inserted."""
    years = library_years() if years is None else years
    have_days = set(holiday_model.objects.filter(date__year__in=years).values_list("date", flat=True))
    rows = [holiday_model(date=d.date, kind=d.kind, name=d.name, source="seed")
            for y in years for d in library_days(y) if d.date not in have_days]
    holiday_model.objects.bulk_create(rows, batch_size=500)
    have_plans = set(plan_model.objects.filter(year__in=years).values_list("year", flat=True))
    plan_model.objects.bulk_create([plan_model(year=y, published=True, note=seed_note())
                                    for y in years if y not in have_plans and library_days(y)])
    revision_model.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    return len(rows)
