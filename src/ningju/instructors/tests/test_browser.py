"""On a phone (375 px, Debian Chromium): an instructor records a visit with a photo; the department's list,
search and detail pages fit the screen; no console errors or CSP violations."""

from __future__ import annotations

import datetime as dt

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

from .helpers import png_bytes

pytestmark = pytest.mark.browser


def test_instructor_records_a_visit_on_a_phone(page, live_server):
    from ningju.instructors import services
    from ningju.instructors.models import Visit
    from ningju.testing.factories import UserFactory
    from ningju.testing.world import build_world

    world = build_world()
    account = UserFactory(role="instructor", organisation=world.org["qy_org"])
    instructor = services.instructor_create(actor=world.user["qy_org"], name="马指导员", phone="13912340000",
                                            appointed_by=world.org["qy_org"], user=account)
    services.assignment_create(actor=world.user["qy_org"], instructor=instructor, organisation=world.org["s2"],
                               assigned_on=dt.date(2026, 1, 5))

    login(page, account)
    page.locator("nav.mainnav a[data-module=instructors]").click()
    page.wait_for_url("**/instructors/")
    assert page.locator("h1").inner_text() == "我指导的企业和站点"
    assert "外卖覃怀站" in page.locator("main").inner_text()
    assert_no_horizontal_overflow(page, "instructor's units")
    shot(page, "instructor-units")

    page.get_by_role("link", name="记录走访").click()
    page.wait_for_url("**/visit/")
    page.fill("input[name=visited_on]", "2026-01-20")
    page.fill("textarea[name=notes]", "了解骑手诉求,指导站点建立学习制度。")
    page.set_input_files("input[name=photo]", files=[{"name": "现场.png", "mimeType": "image/png",
                                                      "buffer": png_bytes()}])
    assert_no_horizontal_overflow(page, "visit form")
    shot(page, "instructor-visit-form")
    with page.expect_navigation():
        page.get_by_role("button", name="确定").click()
    assert page.url.endswith("/instructors/")
    assert "已记录对“外卖覃怀站”的走访" in page.locator(".messages").inner_text()
    visit = Visit.objects.get()
    img = page.locator(f'img[src="/instructors/visits/{visit.pk}/photo/"]')
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert_no_horizontal_overflow(page, "instructor's units with a visit")
    shot(page, "instructor-units-visit")
    page.watch.assert_clean()


def test_department_list_search_and_detail_on_a_phone(page, live_server):
    from ningju.instructors import services
    from ningju.testing.world import build_world

    world = build_world()
    for n, unit in enumerate(["s1", "s2"]):
        i = services.instructor_create(actor=world.user["qy_org"], name=f"指导员{n}号", title="组织科干部",
                                       phone=f"1391234000{n}", appointed_by=world.org["qy_org"])
        services.assignment_create(actor=world.user["qy_org"], instructor=i, organisation=world.org[unit])

    login(page, world.user["qy_org"])
    page.goto("/instructors/")
    cards = page.locator("#instructor-rows .cards-when-narrow li")
    assert cards.count() == 2
    page.fill("input[name=q]", "1号")
    expect(cards).to_have_count(1)  # the htmx live search replaced the rows
    assert "指导员1号" in cards.first.inner_text()
    assert_no_horizontal_overflow(page, "instructor list")
    shot(page, "org-instructor-list")
    cards.first.locator("a.title").click()
    page.wait_for_url("**/instructors/*/")
    assert "外卖覃怀站" in page.locator("main").inner_text()
    assert_no_horizontal_overflow(page, "instructor detail")
    shot(page, "org-instructor-detail")
    page.get_by_role("link", name="选派到企业/站点").click()
    page.wait_for_url("**/assign/")
    assert_no_horizontal_overflow(page, "assign form")
    page.watch.assert_clean()
