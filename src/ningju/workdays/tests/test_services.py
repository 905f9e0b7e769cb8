"""Edits of the holiday table: validation, audit, publication, and (re)loading from chinesecalendar."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from ningju.core.models import AuditEntry
from ningju.workdays import selectors, services
from ningju.workdays.library import library_days, library_years
from ningju.workdays.models import Holiday, Kind, Revision, Source, YearPlan
from ningju.workdays.seed import seed_tables

pytestmark = pytest.mark.django_db

D = dt.date


def test_the_seed_holds_every_year_the_library_knows():
    assert library_years() == list(range(2004, 2027))
    for year in (2004, 2015, 2026):
        rows = Holiday.objects.filter(date__year=year)
        assert rows.count() == len(library_days(year)) > 0
        assert set(rows.values_list("source", flat=True)) == {Source.SEED}
    assert set(YearPlan.objects.filter(published=True).values_list("year", flat=True)) == set(library_years())
    # 2015's one-off 抗战胜利70周年 day comes with its Chinese name.
    assert Holiday.objects.get(date=D(2015, 9, 3)).name.startswith("中国人民抗日战争")


def test_seeding_an_empty_table_is_a_few_bulk_inserts(django_assert_max_num_queries):
    Holiday.objects.all().delete()
    YearPlan.objects.all().delete()
    with django_assert_max_num_queries(20):  # SQLite splits the insert into batches of its variable limit
        created = seed_tables(Holiday, YearPlan, Revision)
    assert created == sum(len(library_days(y)) for y in library_years())
    assert seed_tables(Holiday, YearPlan, Revision) == 0


def test_setting_a_day_is_audited_with_the_actor_and_its_department(world):
    actor = world.user["city_org"]
    h = services.holiday_set(actor=actor, date=D(2027, 2, 6), kind=Kind.HOLIDAY, name=" 春节 ")
    assert (h.kind, h.name, h.source) == (Kind.HOLIDAY, "春节", Source.ADMIN)
    entry = AuditEntry.objects.get(action="workdays.holiday.set", object_id=str(h.pk))
    assert entry.actor == actor and entry.changes["kind"] == [None, "holiday"]
    assert entry.org_path == actor.organisation.path
    assert AuditEntry.objects.visible_to(actor).filter(pk=entry.pk).exists()

    # Same values again: nothing written. A change of a seeded day makes it the administrator's.
    services.holiday_set(actor=actor, date=D(2027, 2, 6), kind=Kind.HOLIDAY, name="春节")
    assert AuditEntry.objects.filter(action="workdays.holiday.set").count() == 1
    services.holiday_set(actor=actor, date=D(2026, 10, 8), kind=Kind.HOLIDAY, name="国庆节")
    changed = services.holiday_set(actor=actor, date=D(2026, 10, 10), kind=Kind.HOLIDAY, name="国庆节")
    assert changed.source == Source.ADMIN
    entry = AuditEntry.objects.filter(action="workdays.holiday.set", object_id=str(changed.pk)).get()
    assert entry.changes["kind"] == ["workday", "holiday"] and entry.changes["source"] == ["seed", "admin"]

    services.holiday_delete(actor=actor, date=D(2027, 2, 6))
    assert not Holiday.objects.filter(date=D(2027, 2, 6)).exists()
    entry = AuditEntry.objects.get(action="workdays.holiday.deleted")
    assert entry.changes["name"] == ["春节", None] and entry.object_id == str(h.pk)


def test_refusals_write_nothing(world):
    actor = world.user["city_org"]
    before = AuditEntry.objects.count()
    cases = [
        (dict(date=D(2027, 1, 4), kind=Kind.WORKDAY, name="元旦"), "date", "本来就是工作日"),  # a Monday
        (dict(date=D(2027, 1, 1), kind="rest", name="元旦"), "kind", "类型"),
        (dict(date=D(2027, 1, 1), kind=Kind.HOLIDAY, name="  "), "name", "请填写名称"),
        (dict(date=D(2027, 1, 1), kind=Kind.HOLIDAY, name="节" * 51), "name", "50"),
        (dict(date=D(1999, 1, 1), kind=Kind.HOLIDAY, name="元旦"), "date", "2000"),
    ]
    for kwargs, field, text in cases:
        with pytest.raises(ValidationError) as exc:
            services.holiday_set(actor=actor, **kwargs)
        assert text in exc.value.message_dict[field][0], kwargs
    with pytest.raises(ValidationError, match="没有节假日或调休安排"):
        services.holiday_delete(actor=actor, date=D(2027, 3, 3))
    assert AuditEntry.objects.count() == before
    assert not Holiday.objects.filter(date__year=2027).exists()


def test_publishing_a_year(world):
    actor = world.user["city_org"]
    plan = services.year_publish(actor=actor, year=2027, published=True, note="国办发明电〔2026〕X号")
    assert plan.published and selectors.is_year_known(2027)
    assert AuditEntry.objects.get(action="workdays.year.published").changes["published"] == [None, True]
    services.year_publish(actor=actor, year=2027, published=True, note="国办发明电〔2026〕X号")  # no change
    services.year_publish(actor=actor, year=2027, published=True, note="通知")
    assert AuditEntry.objects.get(action="workdays.year.updated").changes == {"note": ["国办发明电〔2026〕X号", "通知"]}
    services.year_publish(actor=actor, year=2027, published=False)
    assert not selectors.is_year_known(2027) and YearPlan.objects.get(year=2027).note == "通知"
    assert AuditEntry.objects.filter(action__startswith="workdays.year.").count() == 3


def test_loading_a_year_keeps_admin_edits_and_restores_the_rest(world):
    actor = world.user["city_org"]
    services.holiday_set(actor=actor, date=D(2026, 10, 10), kind=Kind.HOLIDAY, name="国庆节(本地)")
    services.holiday_delete(actor=actor, date=D(2026, 10, 7))
    Holiday.objects.filter(date=D(2026, 10, 6)).update(name="旧名称")  # a seeded row the library now names otherwise

    result = services.year_load_from_library(actor=actor, year=2026)
    assert (result.created, result.updated, result.deleted, result.kept) == (1, 1, 0, 1)
    assert Holiday.objects.get(date=D(2026, 10, 7)).source == Source.SEED
    assert Holiday.objects.get(date=D(2026, 10, 6)).name == "国庆节"
    assert Holiday.objects.get(date=D(2026, 10, 10)).name == "国庆节(本地)"
    assert not selectors.is_workday(D(2026, 10, 7)) and not selectors.is_workday(D(2026, 10, 10))
    assert AuditEntry.objects.filter(action="workdays.holiday.loaded").count() == 2

    again = services.year_load_from_library(actor=actor, year=2026)
    assert not again.changed and again.unchanged == len(library_days(2026)) - 1
    with pytest.raises(ValidationError, match="没有2027年"):
        services.year_load_from_library(actor=actor, year=2027)


def test_seed_command_is_idempotent_and_keeps_admin_edits(world):
    services.holiday_set(actor=world.user["city_org"], date=D(2025, 10, 1), kind=Kind.HOLIDAY, name="国庆(改)")
    Holiday.objects.filter(date=D(2024, 10, 1)).delete()
    Holiday.objects.filter(date=D(2025, 10, 2)).delete()
    YearPlan.objects.filter(year=2024).update(published=False)
    before = AuditEntry.objects.count()

    out = StringIO()
    call_command("seed_holidays", stdout=out)
    assert "2024年:新增 1" in out.getvalue() and "2025年:新增 1" in out.getvalue()
    assert Holiday.objects.get(date=D(2025, 10, 1)).name == "国庆(改)"
    assert Holiday.objects.filter(date__in=[D(2024, 10, 1), D(2025, 10, 2)], source=Source.SEED).count() == 2
    assert YearPlan.objects.get(year=2024).published
    sources = set(AuditEntry.objects.order_by("-id")[:3].values_list("source", flat=True))
    assert sources == {"command"} and AuditEntry.objects.count() == before + 3

    out = StringIO()
    call_command("seed_holidays", stdout=out)
    assert "其中 0 年有变化" in out.getvalue() and AuditEntry.objects.count() == before + 3

    out = StringIO()
    call_command("seed_holidays", "--year", "2026", stdout=out)
    assert "已检查 1 年" in out.getvalue()
    with pytest.raises(CommandError, match="2027"):
        call_command("seed_holidays", "--year", "2027", stdout=StringIO())
