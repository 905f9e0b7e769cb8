"""A station manager uploads rosters on a phone (375 px) in Debian's Chromium: htmx upload, errors, success."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

# The browser fixtures of the web app's tests (importing them skips this module without Chromium).
from ningju.testing.browser import (  # noqa: F401
    assert_no_horizontal_overflow,
    browser,
    login,
    page,
    shot,
)
from ningju.testing.factories import make_id

from .files import row, xlsx

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_station_manager_uploads_a_roster_on_a_phone(page, live_server):
    from ningju.people.models import Person
    from ningju.rosters.models import RosterImport
    from ningju.testing.world import build_world

    world = build_world()
    login(page, world.user["station"])
    page.locator("nav.mainnav a[data-module=rosters]").click()
    page.wait_for_url("**/rosters/")
    expect(page.locator("h1")).to_have_text("花名册导入")
    page.get_by_role("link", name="上传花名册").click()
    page.wait_for_url("**/rosters/upload/")
    expect(page.locator("select[name=organisation] option:checked")).to_contain_text(world.org["s2"].name)
    assert_no_horizontal_overflow(page, "upload page")
    shot(page, "roster-upload")

    good = make_id("410882", 1990)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    page.set_input_files("input[name=file]", files=[{
        "name": "花名册.xlsx", "mimeType": XLSX, "buffer": xlsx([row("甲"), row("乙", bad)])}])
    with page.expect_navigation():
        page.get_by_role("button", name="校验并导入").click()
    expect(page.locator(".msg-error").first).to_contain_text("没有导入任何人员")
    expect(page.locator("table.roster-errors tbody tr")).to_have_count(1)
    expect(page.locator("table.roster-errors tbody tr td").first).to_have_text("第3行")
    assert_no_horizontal_overflow(page, "failed import")
    shot(page, "roster-errors")

    page.get_by_role("link", name="重新上传").click()
    page.wait_for_url("**/rosters/upload/?org=*")
    page.set_input_files("input[name=file]", files=[{
        "name": "花名册.xlsx", "mimeType": XLSX, "buffer": xlsx([row("甲"), row("乙", good)])}])
    with page.expect_navigation():
        page.get_by_role("button", name="校验并导入").click()
    expect(page.locator(".msg-success, .messages .msg").first).to_contain_text("导入成功")
    assert RosterImport.objects.filter(status="succeeded").count() == 1
    assert Person.objects.filter(employer=world.org["s2"], name__in=["甲", "乙"]).count() == 2
    assert_no_horizontal_overflow(page, "succeeded import")
    shot(page, "roster-succeeded")

    page.goto("/rosters/")
    expect(page.locator("#roster-rows .cards-when-narrow li")).to_have_count(2)
    assert_no_horizontal_overflow(page, "roster list")
    shot(page, "roster-list")
    page.watch.assert_clean()
