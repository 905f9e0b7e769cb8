"""The staff side of the closed loop in Debian's Chromium at 375 px: a district dispatcher picks the
organisation with the htmx search and dispatches a case from the queue, the department accepts it from its
inbox. No horizontal overflow, no console errors (CSP violations are reported there), no failed request and
no request to any other host. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

# Shared browser fixtures (this module is skipped with them when Chromium is absent).
from ningju.testing.browser import assert_no_horizontal_overflow, browser, login, page, shot  # noqa: F401

pytestmark = pytest.mark.browser


def fits(page, what: str):
    assert_no_horizontal_overflow(page, what)
    shot(page, f"cases-staff-{what}")


def test_dispatch_from_the_queue_and_accept_from_the_inbox(page, live_server):
    from ningju.cases import services
    from ningju.cases.models import Case, Category
    from ningju.cases.states import CaseKind, Status
    from ningju.testing.world import build_world

    world = build_world()
    outside = []
    page.on("request", lambda req: None if req.url.startswith((live_server.url, "data:", "blob:"))
            else outside.append(req.url))
    filed = services.case_file(actor=world.user["worker"], kind=CaseKind.GRIEVANCE,
                               category=Category.objects.get(code="traffic-road"), division=world.div["luozhuang"],
                               text="太行路与建设路口信号灯故障,骑手通行危险,希望尽快修复", lat=35.09, lng=112.95)
    case = filed.case
    assert case.status == Status.SUBMITTED  # no routing rule yet: the dispatchers' queue

    login(page, world.user["qy_org"])
    page.locator("nav.mainnav a[data-module='cases.dispatch']").click()
    page.wait_for_url("**/cases/queue/")
    item = page.locator(f"#queue-{case.pk}")
    expect(item).to_contain_text(case.title)
    fits(page, "queue")
    item.locator("summary", has_text="分派").click()
    search = item.locator("input[name=org_q]")
    search.fill("交通")
    select = item.locator("select[name=organisation]")
    expect(select.locator("option", has_text="沁阳市交通运输局")).to_have_count(1)
    expect(select.locator("option").first).to_contain_text("找到1个")  # the htmx search answered
    select.select_option(label="沁阳市交通运输局")
    fits(page, "queue-dispatch-form")
    with page.expect_navigation():
        item.locator("button[type=submit]").click()
    expect(page.locator(".msg")).to_contain_text("已分派给沁阳市交通运输局")
    expect(page.locator("#queue-list")).not_to_contain_text(case.title)
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.organisation == world.org["transport"]

    page.context.clear_cookies()
    login(page, world.user["transport"])
    page.locator("nav.mainnav a[data-module='cases.handle']").click()
    page.wait_for_url("**/cases/inbox/")
    card = page.locator("#inbox-rows .cards-when-narrow li", has_text=case.title)
    expect(card).to_contain_text("受理期限")
    fits(page, "inbox")
    card.locator("a.title").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    expect(page.locator("#case-map-view [data-map-canvas]")).to_be_visible()
    fits(page, "detail")
    with page.expect_navigation():
        page.locator("#act-accept button[type=submit]").click()
    expect(page.locator(".msg")).to_contain_text("已受理")
    expect(page.locator("#act-handle summary")).to_be_visible()
    expect(page.locator("#case-timeline")).to_contain_text("受理")
    fits(page, "accepted")
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED

    page.goto("/cases/inbox/")
    fits(page, "inbox-after")
    page.watch.assert_clean()
    assert not outside, f"requests to other hosts: {outside}"
