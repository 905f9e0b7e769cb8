"""Chinese working days: reads of the holiday table, and deadline arithmetic on them.

The date functions (``is_workday``, ``next_workday``, ``add_workdays``, ``workdays_between``, ``known_years``,
``is_year_known``, ``plan_notice``) take no user: holidays are public reference data, not business data of an
organisation (``ScopeRules.public``), and the case engine computes deadlines for anyone. They read the whole
table through a per-process cache (:func:`calendar`); the page and API selectors below start from
``visible_to(user)`` like every other read (which lets every login read every row).

A day without a row follows the weekend rule, so a year with no entries (e.g. 2027 before its plan is
entered) is computed Monday–Friday and never raises; :func:`plan_notice` gives the sentence pages show for
such a year ("2027年节假日安排尚未录入,按周末计算").

Cache: the table is small (about 35 rows a year). Each process holds it in memory with the token of the
``Revision`` row it was read under; every call reads that one row (a primary-key lookup) and reloads the table
when the token differs. Services change the token in the same transaction as their writes, so other
processes see the new table as soon as the write commits, and a rolled-back write (a test) leaves a token
that never matches again. For many computations at once, take one snapshot: ``cal = calendar()`` and call its
methods (no further queries).
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from .library import library_knows, library_years
from .models import YEAR_FIRST, YEAR_LAST, Holiday, Kind, Revision, YearPlan

WEEKDAY_LABELS = ("一", "二", "三", "四", "五", "六", "日")


def local_tz():
    """Deadlines are computed in the platform's time zone (settings.TIME_ZONE, Asia/Shanghai)."""
    return timezone.get_default_timezone()


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(local_tz()).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"需要日期,得到 {type(value).__name__}")


def _step(d: dt.date, days: int = 1) -> dt.date:
    try:
        return d + dt.timedelta(days=days)
    except OverflowError:
        raise ValueError("日期超出可计算范围") from None


def year_notice_text(year: int, entries: int) -> str:
    if entries:
        return f"{year}年节假日安排尚未发布,已录入的{entries}天按录入计算,其余日期按周末计算"
    return f"{year}年节假日安排尚未录入,按周末计算"


@dataclass(frozen=True)
class Calendar:
    """A snapshot of the holiday table; all methods are pure computations on it."""

    token: str
    kinds: Mapping[dt.date, str] = field(default_factory=dict)
    published: frozenset[int] = frozenset()
    entries_per_year: Mapping[int, int] = field(default_factory=dict)

    def is_workday(self, d: dt.date | dt.datetime) -> bool:
        """A working day: an adjusted working day (调休上班), or Monday–Friday and not a holiday."""
        day = _as_date(d)
        kind = self.kinds.get(day)
        if kind is not None:
            return kind == Kind.WORKDAY
        return day.weekday() < 5

    def next_workday(self, d: dt.date | dt.datetime) -> dt.date:
        """The first working day strictly after ``d``."""
        day = _step(_as_date(d))
        while not self.is_workday(day):
            day = _step(day)
        return day

    def workday_on_or_after(self, d: dt.date | dt.datetime) -> dt.date:
        """``d`` itself if it is a working day, else the next one."""
        day = _as_date(d)
        return day if self.is_workday(day) else self.next_workday(day)

    def add_workdays(self, start: dt.datetime, n: int) -> dt.datetime:
        """The moment ``n`` working days after ``start``.

        ``start`` must be aware (any time zone); it is taken in local time. On a non-working day the count
        starts at 00:00 of the next working day. The result is the same local time of day on the n-th
        following working day (n = 0 gives the normalised start), aware, in local time.
        """
        if not isinstance(start, dt.datetime) or timezone.is_naive(start):
            raise ValueError("开始时间须为带时区的日期时间")
        if n < 0:
            raise ValueError("工作日数不能为负数")
        tz = local_tz()
        local = start.astimezone(tz)
        day, time = local.date(), local.time()
        if not self.is_workday(day):
            day, time = self.next_workday(day), dt.time(0, 0)
        for _ in range(n):
            day = self.next_workday(day)
        return dt.datetime.combine(day, time, tzinfo=tz)

    def workdays_between(self, a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
        """Working days in (a, b]; negative, -(working days in (b, a]), when b is before a."""
        first, last = _as_date(a), _as_date(b)
        if last < first:
            return -self.workdays_between(last, first)
        count, day = 0, first
        while day < last:
            day = _step(day)
            count += self.is_workday(day)
        return count

    def is_year_known(self, year: int) -> bool:
        return year in self.published

    def unknown_years(self, first: dt.date | dt.datetime, last: dt.date | dt.datetime) -> list[int]:
        """The years from ``first`` to ``last`` (either order) with no published plan."""
        y1, y2 = sorted((_as_date(first).year, _as_date(last).year))
        return [y for y in range(y1, y2 + 1) if y not in self.published]

    def plan_notice(self, first: dt.date | dt.datetime, last: dt.date | dt.datetime | None = None) -> str | None:
        """The warning for a computation over [first, last] that runs into years without a published plan,
        e.g. "2027年节假日安排尚未录入,按周末计算"; None when every year is known."""
        years = self.unknown_years(first, first if last is None else last)
        if not years:
            return None
        return ";".join(year_notice_text(y, self.entries_per_year.get(y, 0)) for y in years)


_cache: Calendar | None = None


def _load(token: str) -> Calendar:
    kinds = dict(Holiday.objects.order_by().values_list("date", "kind"))
    published = frozenset(YearPlan.objects.filter(published=True).order_by().values_list("year", flat=True))
    per_year = Counter(d.year for d in kinds)
    return Calendar(token=token, kinds=kinds, published=published, entries_per_year=dict(per_year))


def calendar() -> Calendar:
    """The current snapshot of the holiday table (one primary-key query; reloads after any change)."""
    global _cache
    token = Revision.objects.filter(pk=1).values_list("token", flat=True).first() or ""
    cached = _cache
    if cached is None or cached.token != token:
        cached = _cache = _load(token)  # read after the token: the rows are at least as new as it
    return cached


def clear_cache() -> None:
    """Drop this process's snapshot (the next call reads the table again)."""
    global _cache
    _cache = None


# --- the date functions ---------------------------------------------------------------------------------

def is_workday(d: dt.date | dt.datetime) -> bool:
    """True for an adjusted working day (调休上班日), or a Monday–Friday that is not a holiday."""
    return calendar().is_workday(d)


def next_workday(d: dt.date | dt.datetime) -> dt.date:
    """The first working day strictly after ``d``."""
    return calendar().next_workday(d)


def add_workdays(start: dt.datetime, n: int) -> dt.datetime:
    """``start`` plus ``n`` working days: see :meth:`Calendar.add_workdays`."""
    return calendar().add_workdays(start, n)


def workdays_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
    """Working days in (a, b] (negative when b is before a)."""
    return calendar().workdays_between(a, b)


def known_years() -> set[int]:
    """Years with a published plan."""
    return set(calendar().published)


def is_year_known(year: int) -> bool:
    return calendar().is_year_known(year)


def plan_notice(first: dt.date | dt.datetime, last: dt.date | dt.datetime | None = None) -> str | None:
    """The warning for dates in years without a published plan, or None: see :meth:`Calendar.plan_notice`."""
    return calendar().plan_notice(first, last)


# --- the page and the API ----------------------------------------------------------------------------------

def holiday_list(*, user, year: int) -> QuerySet[Holiday]:
    return Holiday.objects.visible_to(user).filter(date__year=year).order_by("date")


def holiday_get(*, user, date: dt.date) -> Holiday | None:
    return Holiday.objects.visible_to(user).filter(date=date).first()


def year_plan(*, user, year: int) -> YearPlan | None:
    return YearPlan.objects.visible_to(user).filter(year=year).first()


def year_choices(*, user) -> list[int]:
    """The years the page offers: those with rows or a plan, the library's years, and up to next year."""
    this_year = timezone.localdate().year
    years = {this_year, this_year + 1, *library_years()}
    years |= set(YearPlan.objects.visible_to(user).values_list("year", flat=True))
    years |= {d.year for d in Holiday.objects.visible_to(user).dates("date", "year")}
    return sorted(y for y in years if YEAR_FIRST <= y <= YEAR_LAST)


STATE_LABELS = {"holiday": "休息日", "workday": "调休上班", "weekend": "周末", "normal": "工作日"}
STATE_MARKS = {"holiday": "休", "workday": "班"}


@dataclass
class DayCell:
    """One day of the month grid, with its text worked out once (the page shows 365 of them)."""

    date: dt.date
    state: str  # "holiday", "workday" (调休上班), "weekend", "normal"
    name: str = ""
    today: bool = False
    iso: str = field(init=False)
    day: str = field(init=False)
    mark: str = field(init=False)
    title: str = field(init=False)

    def __post_init__(self):
        self.iso = self.date.isoformat()
        self.day = str(self.date.day)
        self.mark = STATE_MARKS.get(self.state, "")
        self.title = f"{self.iso} {self.name + ' ' if self.name else ''}{STATE_LABELS[self.state]}"


@dataclass
class MonthGrid:
    month: int
    weeks: list[list[DayCell | None]]


@dataclass
class YearOverview:
    year: int
    plan: YearPlan | None
    holidays: list[Holiday]
    months: list[MonthGrid]
    n_holidays: int
    n_adjusted: int
    n_workdays: int
    known: bool
    notice: str | None
    library_knows: bool


def year_overview(*, user, year: int) -> YearOverview:
    """A year for the calendar page: its rows, a month grid (Monday first) and the counts."""
    rows = list(holiday_list(user=user, year=year))
    by_date = {h.date: h for h in rows}
    cal = calendar()
    today = timezone.localdate()
    months = []
    for month, weeks in enumerate(pycalendar.Calendar(firstweekday=0).yeardatescalendar(year, width=12)[0], 1):
        grid = []
        for week in weeks:
            cells: list[DayCell | None] = []
            for d in week:
                if d.month != month:
                    cells.append(None)
                    continue
                h = by_date.get(d)
                state = h.kind if h else ("weekend" if d.weekday() >= 5 else "normal")
                cells.append(DayCell(d, state, h.name if h else "", d == today))
            grid.append(cells)
        months.append(MonthGrid(month, grid))
    return YearOverview(
        year=year,
        plan=year_plan(user=user, year=year),
        holidays=rows,
        months=months,
        n_holidays=sum(h.kind == Kind.HOLIDAY for h in rows),
        n_adjusted=sum(h.kind == Kind.WORKDAY for h in rows),
        n_workdays=cal.workdays_between(dt.date(year - 1, 12, 31), dt.date(year, 12, 31)),
        known=cal.is_year_known(year),
        notice=cal.plan_notice(dt.date(year, 1, 1)),
        library_knows=library_knows(year),
    )
