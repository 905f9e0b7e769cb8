"""Holidays and working-day deadlines for clients. Public reference data: every login may read them."""

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from . import selectors
from .models import YEAR_FIRST, YEAR_LAST

router = Router(tags=["节假日与工作日"])

MAX_DAYS = 366


class HolidayOut(Schema):
    date: dt.date
    weekday: str = Field(..., description="周一…周日")
    kind: str = Field(..., description="holiday 休息日(法定节假日)/ workday 调休上班日")
    kind_label: str
    name: str = Field(..., description="所属节日,如 春节、国庆节")
    source: str = Field(..., description="seed 由 chinesecalendar 载入 / admin 管理员录入")

    @staticmethod
    def resolve_weekday(obj):
        return obj.weekday_label

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()


class YearOut(Schema):
    year: int
    known: bool = Field(..., description="该年节假日安排已发布(完整录入)")
    note: str = Field(..., description="该年安排的说明,如通知文号")
    notice: str | None = Field(None, description="该年安排未发布时的提示:未录入的日期按周末计算")
    holidays: list[HolidayOut] = Field(..., description="与周末规则不同的日期;其余日期周一至周五上班、周六周日休息")


class DueOut(Schema):
    start: dt.datetime = Field(..., description="开始时间(本地时区)")
    days: int
    due: dt.datetime = Field(..., description="到期时间(本地时区):第 days 个工作日的同一时刻;"
                                              "开始于非工作日时,从下一个工作日 0 时起算")
    unknown_years: list[int] = Field(..., description="计算跨越的、安排尚未发布的年份")
    notice: str | None = Field(None, description="跨越未发布年份时的提示")


@router.get("/workdays/holidays", response=YearOut, summary="某年的节假日与调休上班日")
def year_holidays(request, year: Annotated[int | None, Query(None, ge=YEAR_FIRST, le=YEAR_LAST,
                                                             description="年份,默认今年")] = None):
    year = year or timezone.localdate().year
    plan = selectors.year_plan(user=request.auth, year=year)
    return {
        "year": year,
        "known": selectors.is_year_known(year),
        "note": plan.note if plan else "",
        "notice": selectors.plan_notice(dt.date(year, 1, 1)),
        "holidays": list(selectors.holiday_list(user=request.auth, year=year)),
    }


@router.get("/workdays/add", response=DueOut, summary="按工作日计算到期时间")
def add_workdays(request, start: Annotated[dt.datetime, Query(..., description=(
                     "开始时间,ISO 8601,如 2026-09-30T10:00:00%2B08:00(“+”须编码为 %2B);不带时区时按北京时间"))],
                 days: Annotated[int, Query(..., ge=0, le=MAX_DAYS, description="工作日数")]):
    if not YEAR_FIRST <= start.year <= YEAR_LAST:
        raise ValidationError({"start": f"开始时间须在 {YEAR_FIRST}–{YEAR_LAST} 年之间"})
    if timezone.is_naive(start):
        start = start.replace(tzinfo=selectors.local_tz())
    local = start.astimezone(selectors.local_tz())
    cal = selectors.calendar()
    due = cal.add_workdays(local, days)
    return {"start": local, "days": days, "due": due, "unknown_years": cal.unknown_years(local, due),
            "notice": cal.plan_notice(local, due)}
