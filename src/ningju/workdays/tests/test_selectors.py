"""Working days as the case engine counts them, checked against the State Council's 2026 plan.

The expected dates below are typed in from 国务院办公厅关于2026年部分节假日安排的通知 (published November
2025), not read from chinesecalendar, so the seed and the arithmetic are checked independently of the library.
"""

import datetime as dt

import pytest

from ningju.workdays import selectors, services
from ningju.workdays.models import Holiday, Kind, Revision

from .helpers import SHANGHAI, at

pytestmark = pytest.mark.django_db

D = dt.date


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# 2026: rest days (放假) and the Saturdays/Sundays worked instead (调休上班), per festival.
PLAN_2026 = {
    "元旦": (_span(D(2026, 1, 1), D(2026, 1, 3)), [D(2026, 1, 4)]),
    "春节": (_span(D(2026, 2, 15), D(2026, 2, 23)), [D(2026, 2, 14), D(2026, 2, 28)]),
    "清明": (_span(D(2026, 4, 4), D(2026, 4, 6)), []),
    "劳动节": (_span(D(2026, 5, 1), D(2026, 5, 5)), [D(2026, 5, 9)]),
    "端午": (_span(D(2026, 6, 19), D(2026, 6, 21)), []),
    "中秋": (_span(D(2026, 9, 25), D(2026, 9, 27)), []),
    "国庆节": (_span(D(2026, 10, 1), D(2026, 10, 7)), [D(2026, 9, 20), D(2026, 10, 10)]),
}


def test_2026_matches_the_state_council_plan():
    rest = {d for days, _ in PLAN_2026.values() for d in days}
    worked = {d for _, days in PLAN_2026.values() for d in days}
    assert len(rest) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    table = {h.date: h for h in Holiday.objects.filter(date__year=2026)}
    assert {d for d, h in table.items() if h.kind == Kind.HOLIDAY} == rest
    assert {d for d, h in table.items() if h.kind == Kind.WORKDAY} == worked
    assert {table[d].name for d in PLAN_2026["国庆节"][0]} == {"国庆节"}
    assert {table[d].name for d in PLAN_2026["春节"][0]} == {"春节"}
    for day in _span(D(2026, 1, 1), D(2026, 12, 31)):
        expected = day in worked or (day.weekday() < 5 and day not in rest)
        assert selectors.is_workday(day) is expected, day
    # 261 weekdays, 19 of them holidays, 6 weekend days worked.
    assert selectors.workdays_between(D(2025, 12, 31), D(2026, 12, 31)) == 248
    assert selectors.is_year_known(2026) and 2026 in selectors.known_years()
    assert selectors.plan_notice(D(2026, 10, 1)) is None


def test_friday_plus_one_working_day_is_monday_same_time():
    assert selectors.add_workdays(at(2026, 11, 13, 16, 30), 1) == at(2026, 11, 16, 16, 30)
    assert selectors.add_workdays(at(2026, 11, 13, 16, 30), 5) == at(2026, 11, 20, 16, 30)


def test_the_day_before_a_holiday_plus_one_lands_after_it():
    assert selectors.add_workdays(at(2026, 9, 30, 10), 1) == at(2026, 10, 8, 10)  # 国庆 10-01..10-07
    assert selectors.add_workdays(at(2026, 9, 24, 9), 1) == at(2026, 9, 28, 9)  # 中秋 09-25..09-27
    # Accept in 1, reply in 5 working days from the eve of the Spring Festival break.
    assert selectors.add_workdays(at(2026, 2, 13, 11), 1) == at(2026, 2, 14, 11)  # 2-14 is a worked Saturday
    assert selectors.add_workdays(at(2026, 2, 13, 11), 5) == at(2026, 2, 27, 11)


def test_an_adjusted_saturday_counts_as_a_working_day():
    assert selectors.is_workday(D(2026, 10, 10)) and D(2026, 10, 10).weekday() == 5
    assert selectors.is_workday(D(2026, 9, 20)) and D(2026, 9, 20).weekday() == 6
    assert selectors.add_workdays(at(2026, 10, 9, 14), 1) == at(2026, 10, 10, 14)
    assert selectors.add_workdays(at(2026, 9, 18, 15), 1) == at(2026, 9, 20, 15)
    assert selectors.next_workday(D(2026, 9, 30)) == D(2026, 10, 8)
    assert selectors.next_workday(D(2026, 10, 9)) == D(2026, 10, 10)


def test_a_start_on_a_day_off_counts_from_midnight_of_the_next_working_day():
    assert selectors.add_workdays(at(2026, 10, 3, 20, 15), 0) == at(2026, 10, 8)
    assert selectors.add_workdays(at(2026, 10, 3, 20, 15), 1) == at(2026, 10, 9)
    assert selectors.add_workdays(at(2026, 11, 14, 9), 1) == at(2026, 11, 17)  # Saturday → Tuesday 00:00
    assert selectors.add_workdays(at(2026, 11, 16, 9, 5), 0) == at(2026, 11, 16, 9, 5)  # n=0 on a working day


def test_any_time_zone_in_local_time_out():
    start = dt.datetime(2026, 9, 30, 17, 30, tzinfo=dt.UTC)  # 10-01 01:30 in Beijing: a holiday
    due = selectors.add_workdays(start, 1)
    assert due == at(2026, 10, 9) and due.tzinfo == SHANGHAI
    start = dt.datetime(2026, 9, 30, 1, 0, tzinfo=dt.UTC)  # 09-30 09:00 in Beijing
    assert selectors.add_workdays(start, 1).isoformat() == "2026-10-08T09:00:00+08:00"
    with pytest.raises(ValueError, match="时区"):
        selectors.add_workdays(dt.datetime(2026, 9, 30, 9), 1)
    with pytest.raises(ValueError, match="负数"):
        selectors.add_workdays(at(2026, 9, 30), -1)


def test_workdays_between_counts_the_half_open_interval():
    assert selectors.workdays_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert selectors.workdays_between(D(2026, 9, 30), D(2026, 10, 7)) == 0
    assert selectors.workdays_between(D(2026, 10, 9), D(2026, 10, 12)) == 2  # Sat 10-10 worked, Mon 10-12
    assert selectors.workdays_between(D(2026, 10, 12), D(2026, 10, 9)) == -2
    assert selectors.workdays_between(D(2026, 10, 8), D(2026, 10, 8)) == 0


def test_2027_works_on_weekends_only_and_says_so(world):
    assert not selectors.is_year_known(2027) and 2027 not in selectors.known_years()
    assert selectors.is_workday(D(2027, 1, 1))  # a Friday: 元旦 is not entered yet
    assert selectors.add_workdays(at(2026, 12, 31, 10), 1) == at(2027, 1, 1, 10)
    assert selectors.add_workdays(at(2027, 1, 1, 10), 1) == at(2027, 1, 4, 10)
    assert selectors.add_workdays(at(2027, 12, 25), 400) > at(2029, 1, 1)  # never raises for later years
    assert selectors.plan_notice(D(2026, 12, 28), D(2027, 1, 5)) == "2027年节假日安排尚未录入,按周末计算"
    assert selectors.plan_notice(D(2026, 12, 28)) is None

    services.holiday_set(actor=world.user["city_org"], date=D(2027, 1, 1), kind=Kind.HOLIDAY, name="元旦")
    assert not selectors.is_workday(D(2027, 1, 1))
    assert selectors.add_workdays(at(2026, 12, 31, 10), 1) == at(2027, 1, 4, 10)
    assert selectors.plan_notice(D(2027, 1, 1)) == "2027年节假日安排尚未发布,已录入的1天按录入计算,其余日期按周末计算"
    services.year_publish(actor=world.user["city_org"], year=2027, published=True, note="测试")
    assert selectors.is_year_known(2027) and selectors.plan_notice(D(2027, 1, 1)) is None


def test_the_cache_follows_every_change(world, django_assert_num_queries):
    cal = selectors.calendar()
    with django_assert_num_queries(2):  # one call, one query: the revision token (the table stays cached)
        assert selectors.calendar() is cal
        assert selectors.is_workday(D(2026, 10, 1)) is False
    services.holiday_set(actor=world.user["city_org"], date=D(2026, 10, 1), kind=Kind.HOLIDAY, name="国庆")
    assert selectors.calendar() is not cal
    services.holiday_delete(actor=world.user["city_org"], date=D(2026, 10, 1))
    assert selectors.is_workday(D(2026, 10, 1))  # a Thursday without its row
    # Another process writing (simulated with the ORM and a new token) is seen on the next call.
    Holiday.objects.create(date=D(2026, 10, 1), kind=Kind.HOLIDAY, name="国庆节")
    Revision.objects.filter(pk=1).update(token="another-process")
    assert not selectors.is_workday(D(2026, 10, 1))


def test_a_snapshot_answers_many_questions_without_queries(django_assert_num_queries):
    cal = selectors.calendar()
    with django_assert_num_queries(0):
        dues = [cal.add_workdays(at(2026, 9, 1 + i, 9), 5) for i in range(30)]
    assert dues[29] == at(2026, 10, 13, 9)  # 09-30 + 5: 10-08, 10-09, 10-10 (Saturday worked), 10-12, 10-13
