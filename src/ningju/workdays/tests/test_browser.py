"""On a phone (375 px, Debian Chromium): the city administrator opens the calendar from the navigation, taps a
day of the unknown year 2027 on the month grid and makes it a holiday; the grid fits the screen; no console
errors or CSP violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

# Shared browser fixtures (this module is skipped with them when Chromium is absent).
from ningju.testing.browser import (  # noqa: F401
    assert_no_horizontal_overflow,
    browser,
    login,
    page,
    shot,
)

pytestmark = pytest.mark.browser


def test_administrator_enters_a_2027_holiday_on_a_phone(page, live_server):
    from ningju.testing.world import build_world

    world = build_world()
    login(page, world.user["city_org"])
    page.locator("nav.mainnav a[data-module=calendar]").click()
    page.wait_for_url("**/workdays/")
    page.goto("/workdays/?year=2026")
    assert page.locator(".wd-month").count() == 12
    expect(page.locator('td.wd-holiday a[title="2026-10-01 国庆节 休息日"]')).to_be_visible()
    assert_no_horizontal_overflow(page, "calendar 2026")
    shot(page, "workdays-2026")

    page.select_option("select[name=year]", "2027")
    with page.expect_navigation():
        page.get_by_role("button", name="查看").click()
    expect(page.locator(".wd-banner")).to_contain_text("2027年节假日安排尚未录入,按周末计算")
    with page.expect_navigation():
        page.locator('a[title="2027-01-01 工作日"]').click()
    expect(page.locator("#wd-edit h2")).to_contain_text("2027年1月1日 周五:无安排")
    page.fill("input[name=name]", "元旦")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已保存:2027-01-01 元旦")
    expect(page.locator('td.wd-holiday a[title="2027-01-01 元旦 休息日"]')).to_be_visible()
    expect(page.locator(".wd-banner")).to_contain_text("已录入的1天")
    assert_no_horizontal_overflow(page, "calendar 2027")
    shot(page, "workdays-2027")
    page.watch.assert_clean()
