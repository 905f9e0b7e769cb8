"""On a phone (375 px, Debian Chromium): a worker files a grievance with a photo and finds it in 我的诉求;
the pages fit the screen, with no console errors, CSP violations or failed requests."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

# Shared browser fixtures (this module is skipped with them when Chromium is absent).
from ningju.testing.browser import assert_no_horizontal_overflow, browser, login, page, shot  # noqa: F401

pytestmark = pytest.mark.browser


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (0xB7, 0x1C, 0x1C)).save(out, format="PNG")
    return out.getvalue()


def _world():
    from ningju.cases import services
    from ningju.cases.models import Category
    from ningju.testing.world import build_world

    world = build_world()
    services.routing_rule_save(actor=world.user["qy_org"], category=Category.objects.get(code="traffic"),
                               division=world.div["qy"], organisation=world.org["transport"])
    return world


def fits(page, what: str):
    assert_no_horizontal_overflow(page, what)
    shot(page, f"cases-{what}")


def test_worker_files_a_grievance_with_a_photo_on_a_phone(page):
    from ningju.cases.models import Case

    world = _world()
    login(page, world.user["worker"])
    page.locator("nav.mainnav a", has_text="我的诉求").click()
    page.wait_for_url("**/cases/mine/")
    expect(page.locator("main")).to_contain_text("您还没有提交过诉求")
    page.get_by_role("link", name="提交诉求").click()
    page.wait_for_url("**/cases/new/")
    fits(page, "file-empty")

    page.select_option("select[name=category]", label="道路通行")
    text = "太行路与建设路口信号灯故障,晚上骑手通行很危险,希望尽快维修。"
    page.fill("textarea[name=text]", text)
    expect(page.locator("[data-counter-for=id_text]")).to_contain_text(f"已输入{len(text)}字")
    # The worker's home town is preselected; choosing another town reloads its villages (htmx).
    expect(page.locator("select[name=town]")).to_have_value("410882001000")
    page.select_option("select[name=town]", label="太行街道")
    expect(page.locator("select[name=village] option", has_text="罗庄社区")).to_have_count(1)
    page.select_option("select[name=village]", label="罗庄社区")
    page.fill("input[name=address]", "太行路与建设路交叉口")
    page.set_input_files("input[name=photos]", files=[{"name": "路口.png", "mimeType": "image/png",
                                                       "buffer": png_bytes()}])
    expect(page.locator(".photo-preview img")).to_have_count(1)
    fits(page, "file-filled")
    with page.expect_navigation():
        page.get_by_role("button", name="提交诉求").click()

    case = Case.objects.get()
    assert page.url.endswith(f"/cases/mine/{case.pk}/")
    expect(page.locator(".messages")).to_contain_text(f"诉求已提交,编号 {case.number}")
    assert case.division == world.div["luozhuang"] and case.organisation == world.org["transport"]
    img = page.locator(f'img[src="/cases/attachment/{case.attachments.get().pk}/"]')
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    fits(page, "mine-detail")

    page.locator("nav.mainnav a", has_text="我的诉求").click()
    page.wait_for_url("**/cases/mine/")
    item = page.locator(".case-list li").first
    expect(item).to_contain_text(case.number)
    expect(item.locator(".chip")).to_have_text("待受理")
    expect(page.locator("#unread-badge")).to_have_text("1")  # "已收到您的诉求"
    fits(page, "mine")

    page.locator("a.bell").click()
    page.wait_for_url("**/cases/notifications/")
    expect(page.locator(".note.unread")).to_have_count(1)
    fits(page, "notifications")
    with page.expect_navigation():
        page.locator(".note-open").first.click()
    assert re.search(rf"/cases/mine/{case.pk}/$", page.url)
    expect(page.locator("#unread-badge")).to_have_count(0)
    page.watch.assert_clean()


def test_anonymous_filing_and_tracking_fit_a_phone(page):
    world = _world()
    assert world.div["luozhuang"]
    page.goto("/cases/anonymous/")
    fits(page, "anonymous")
    page.select_option("select[name=category]", label="道路通行")
    page.fill("textarea[name=text]", "路口信号灯不亮")
    page.select_option("select[name=town]", label="太行街道")
    expect(page.locator("select[name=village] option", has_text="罗庄社区")).to_have_count(1)
    with page.expect_navigation():
        page.get_by_role("button", name="匿名提交").click()
    number = page.locator("#filed-number").inner_text()
    code = page.locator("#filed-code").inner_text()
    fits(page, "filed")
    page.goto("/cases/track/")
    page.fill("input[name=number]", number)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    expect(page.locator("#case-number")).to_have_text(number)
    fits(page, "track-case")
    page.watch.assert_clean()
