"""The calendar page for administrators (module ``calendar``): a year's holidays and adjusted working days on a
month grid, a form to set or remove a day, loading a year from chinesecalendar, and publishing a year's plan."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ningju.core import roles
from ningju.web.access import attach_errors, module_required, run_action

from . import selectors, services
from .forms import DayForm, HolidayForm, PublishForm, YearForm
from .library import library_label
from .models import YEAR_FIRST, YEAR_LAST, Holiday, Kind, weekday_label


def _year_url(year: int, date: dt.date | None = None) -> str:
    url = f"{reverse('workdays:calendar')}?year={year}"
    return f"{url}&date={date:%Y-%m-%d}#wd-edit" if date else url


def _year_param(raw) -> int:
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if YEAR_FIRST <= year <= YEAR_LAST else timezone.localdate().year


def _page(request, year: int, *, form: HolidayForm, selected: dt.date | None, status: int = 200):
    overview = selectors.year_overview(user=request.user, year=year)
    plan = overview.plan
    ctx = {
        "o": overview,
        "years": selectors.year_choices(user=request.user),
        "prev_year": year - 1 if year > YEAR_FIRST else None,
        "next_year": year + 1 if year < YEAR_LAST else None,
        "weekdays": selectors.WEEKDAY_LABELS,
        "form": form,
        "selected": selected,
        "selected_weekday": weekday_label(selected) if selected else "",
        "selected_row": selectors.holiday_get(user=request.user, date=selected) if selected else None,
        "publish_form": PublishForm(initial={"year": year, "note": plan.note if plan else ""}),
        "names": sorted(set(Holiday.objects.visible_to(request.user).values_list("name", flat=True))),
        "library": library_label(),
    }
    return render(request, "workdays/calendar.html", ctx, status=status)


@module_required(roles.M_CALENDAR)
def calendar_view(request):
    year = _year_param(request.GET.get("year"))
    selected = None
    day = DayForm(request.GET)
    if "date" in request.GET and day.is_valid() and day.cleaned_data["date"].year == year:
        selected = day.cleaned_data["date"]
    initial = {"date": selected, "kind": Kind.HOLIDAY}
    row = selectors.holiday_get(user=request.user, date=selected) if selected else None
    if row is not None:
        initial.update(kind=row.kind, name=row.name)
    elif selected is not None and selected.weekday() >= 5:
        initial["kind"] = Kind.WORKDAY  # a weekend day is set to become a working day
    return _page(request, year, form=HolidayForm(initial=initial), selected=selected)


@module_required(roles.M_CALENDAR)
@require_POST
def day_save(request):
    form = HolidayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            holiday = services.holiday_set(actor=request.user, date=data["date"], kind=data["kind"],
                                           name=data["name"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存:{holiday}")
            return redirect(_year_url(holiday.date.year, holiday.date))
    date = form.cleaned_data.get("date")
    year = date.year if date and YEAR_FIRST <= date.year <= YEAR_LAST else _year_param(request.POST.get("year"))
    return _page(request, year, form=form, selected=date if date and date.year == year else None, status=400)


@module_required(roles.M_CALENDAR)
@require_POST
def day_delete(request):
    form = DayForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择要删除安排的日期")
        return redirect(_year_url(_year_param(request.POST.get("year"))))
    date = form.cleaned_data["date"]
    run_action(request, lambda: services.holiday_delete(actor=request.user, date=date),
               f"已删除 {date:%Y-%m-%d} 的安排,该日按周末规则计算")
    return redirect(_year_url(_year_param(date.year), date))


@module_required(roles.M_CALENDAR)
@require_POST
def year_load(request):
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, "年份无效")
        return redirect(_year_url(_year_param(None)))
    year = form.cleaned_data["year"]
    run_action(request, lambda: services.year_load_from_library(actor=request.user, year=year),
               lambda r: f"已从 {library_label()} 载入 — {r.summary()}")
    return redirect(_year_url(year))


@module_required(roles.M_CALENDAR)
@require_POST
def year_publish(request):
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, ";".join(m for errs in form.errors.values() for m in errs))
        return redirect(_year_url(_year_param(request.POST.get("year"))))
    data = form.cleaned_data
    run_action(request, lambda: services.year_publish(actor=request.user, year=data["year"],
                                                      published=data["published"], note=data["note"]),
               f"{data['year']}年节假日安排已{'发布' if data['published'] else '撤销发布'}")
    return redirect(_year_url(data["year"]))
