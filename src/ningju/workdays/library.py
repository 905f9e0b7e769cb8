"""What the ``chinesecalendar`` library knows: the holidays and adjusted working days of the years it covers.

Pure functions, no models: the seed migration, the services and the page use them alike. The library keeps
``constants.holidays`` and ``constants.workdays`` as dicts of date → the English value of its ``Holiday``
enum, whose members carry the Chinese name (``Holiday.spring_festival.chinese == "春节"``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from chinese_calendar import constants

HOLIDAY, WORKDAY = "holiday", "workday"  # the values of models.Kind


@dataclass(frozen=True)
class LibraryDay:
    date: dt.date
    kind: str
    name: str


def library_version() -> str:
    try:
        return version("chinesecalendar")
    except PackageNotFoundError:
        return ""


def library_label() -> str:
    return f"chinesecalendar {library_version()}".strip()


def _chinese(value: str) -> str:
    try:
        return constants.Holiday(value).chinese
    except ValueError:
        return str(value)


@cache
def _by_year() -> dict[int, tuple[LibraryDay, ...]]:
    days: dict[int, list[LibraryDay]] = {}
    for table, kind in ((constants.holidays, HOLIDAY), (constants.workdays, WORKDAY)):
        for date, value in table.items():
            days.setdefault(date.year, []).append(LibraryDay(date, kind, _chinese(value)))
    return {year: tuple(sorted(items, key=lambda d: d.date)) for year, items in sorted(days.items())}


def library_years() -> list[int]:
    """Every year the library has a plan for, in order (2004–2026 for version 1.11)."""
    years = list(_by_year())
    return list(range(years[0], years[-1] + 1)) if years else []


def library_knows(year: int) -> bool:
    return year in set(library_years())


def library_days(year: int) -> tuple[LibraryDay, ...]:
    """The year's holidays and adjusted working days, by date; empty for a year the library does not cover."""
    return _by_year().get(year, ())
