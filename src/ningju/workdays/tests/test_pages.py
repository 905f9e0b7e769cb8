"""The calendar page: who may use it, what it shows for a known and an unknown year, and its forms."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from ningju.core.models import AuditEntry
from ningju.web.tests.test_no_cdn import UrlCollector, check_page
from ningju.workdays.models import Holiday, Kind, Source, YearPlan

pytestmark = pytest.mark.django_db

URL = "/workdays/"


@pytest.fixture
def serve_static(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_only_city_administrators_and_superusers_may_use_it(world, login):
    for key in ("city_org", "admin"):
        client = login(world.user[key])
        assert client.get(URL).status_code == 200, key
        assert 'data-module="calendar"' in client.get("/").content.decode(), key
    for key in ("qy_org", "transport", "town", "village", "station", "instructor", "supervisor", "worker"):
        client = login(world.user[key])
        assert client.get(URL).status_code == 403, key
        assert client.post(f"{URL}day/", {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}).status_code == 403
        assert 'data-module="calendar"' not in client.get("/").content.decode(), key
    assert Client().get(URL).status_code == 302
    assert not Holiday.objects.filter(date__year=2027).exists()


def test_a_known_year_shows_its_holidays_on_the_month_grid(world, login, serve_static):
    client = login(world.user["city_org"])
    served: dict[str, str] = {}
    assert not check_page(client, f"{URL}?year=2026", 200, served)
    html = client.get(f"{URL}?year=2026").content.decode()
    parser = UrlCollector()
    parser.feed(html)
    assert not parser.inline_css and all(parser.scripts)
    assert "尚未录入" not in html and "已发布" in html
    assert 'title="2026-10-01 国庆节 休息日"' in html
    assert 'title="2026-10-10 国庆节 调休上班"' in html
    assert 'title="2026-10-17 周末"' in html and 'title="2026-10-16 工作日"' in html
    assert "从 chinesecalendar" in html
    assert ">248<" in html  # working days in 2026
    assert html.count('class="wd-month"') == 12


def test_an_unknown_year_gets_a_banner_and_no_library_button(world, login):
    html = login(world.user["city_org"]).get(f"{URL}?year=2027").content.decode()
    assert "2027年节假日安排尚未录入,按周末计算" in html
    assert "没有2027年的数据" in html and 'action="/workdays/year/load/"' not in html
    assert 'title="2027-01-01 工作日"' in html
    # Garbage or out-of-range years show the current year.
    client = login(world.user["city_org"])
    this_year = timezone.localdate().year
    for raw in ("abc", "1800", "99999"):
        assert f"节假日与调休 · {this_year}年" in client.get(f"{URL}?year={raw}").content.decode()


def test_choosing_a_day_prefills_the_form(world, login):
    client = login(world.user["city_org"])
    html = client.get(f"{URL}?year=2026&date=2026-10-10").content.decode()
    assert "2026年10月10日 周六:国庆节(调休上班日,chinesecalendar 载入)" in html
    assert 'value="国庆节"' in html and '<option value="workday" selected>' in html
    assert 'action="/workdays/day/delete/"' in html
    html = client.get(f"{URL}?year=2027&date=2027-02-06").content.decode()
    assert "2027年2月6日 周六:无安排,按周末规则计算" in html and 'action="/workdays/day/delete/"' not in html


def test_set_change_and_remove_a_day_through_the_page(world, login):
    client = login(world.user["city_org"])
    response = client.post(f"{URL}day/", {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "year": "2027"})
    assert response.status_code == 302 and response["Location"] == f"{URL}?year=2027&date=2027-01-01#wd-edit"
    assert "已保存:2027-01-01 元旦" in client.get(response["Location"]).content.decode()
    h = Holiday.objects.get(date=dt.date(2027, 1, 1))
    assert (h.kind, h.source) == (Kind.HOLIDAY, Source.ADMIN)
    assert AuditEntry.objects.get(action="workdays.holiday.set").actor == world.user["city_org"]
    assert "2027年节假日安排尚未发布,已录入的1天" in client.get(f"{URL}?year=2027").content.decode()

    response = client.post(f"{URL}day/", {"date": "2027-01-04", "kind": "workday", "name": "元旦", "year": "2027"})
    assert response.status_code == 400
    assert "本来就是工作日" in response.content.decode()
    response = client.post(f"{URL}day/", {"date": "", "kind": "holiday", "name": "", "year": "2027"})
    assert response.status_code == 400 and "节假日与调休 · 2027年" in response.content.decode()

    response = client.post(f"{URL}day/delete/", {"date": "2027-01-01"}, follow=True)
    assert "已删除 2027-01-01 的安排" in response.content.decode()
    assert not Holiday.objects.filter(date=dt.date(2027, 1, 1)).exists()
    response = client.post(f"{URL}day/delete/", {"date": "2027-01-01"}, follow=True)
    assert "没有节假日或调休安排" in response.content.decode()
    assert AuditEntry.objects.filter(action="workdays.holiday.deleted").count() == 1
    assert client.get(f"{URL}day/").status_code == 405


def test_load_and_publish_buttons(world, login):
    client = login(world.user["city_org"])
    Holiday.objects.filter(date=dt.date(2026, 10, 7)).delete()
    response = client.post(f"{URL}year/load/", {"year": "2026"}, follow=True)
    assert "新增 1" in response.content.decode()
    assert Holiday.objects.filter(date=dt.date(2026, 10, 7)).exists()
    response = client.post(f"{URL}year/load/", {"year": "2027"}, follow=True)
    assert "没有2027年的节假日数据" in response.content.decode()

    response = client.post(f"{URL}year/publish/", {"year": "2027", "published": "1", "note": "国务院通知"}, follow=True)
    assert "2027年节假日安排已发布" in response.content.decode() and "尚未录入" not in response.content.decode()
    assert YearPlan.objects.get(year=2027).note == "国务院通知"
    response = client.post(f"{URL}year/publish/", {"year": "2027", "published": "0", "note": "国务院通知"}, follow=True)
    assert "2027年节假日安排已撤销发布" in response.content.decode()
    assert "2027年节假日安排尚未录入,按周末计算" in response.content.decode()
    assert AuditEntry.objects.filter(action__in=["workdays.year.published", "workdays.year.withdrawn"]).count() == 2
