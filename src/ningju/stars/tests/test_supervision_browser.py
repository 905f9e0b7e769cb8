"""On a phone (375 px, Debian Chromium): a supervision group member records a visit with one finding and a
photo; the page fits the screen, adds a finding row through htmx, and has no console error, CSP violation or
failed request."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from playwright.sync_api import expect

# Shared browser fixtures (this module is skipped with them when Chromium is absent).
from ningju.testing.browser import assert_no_horizontal_overflow, browser, login, page, shot  # noqa: F401

pytestmark = pytest.mark.browser


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (0x1A, 0x7F, 0x37)).save(out, format="PNG")
    return out.getvalue()


def _world():
    from ningju.stars.services import supervision_plan_create
    from ningju.stars.services.supervision import GroupSpec
    from ningju.testing.factories import UserFactory
    from ningju.testing.world import build_world

    w = build_world()
    w.user["sec_zhongma"] = UserFactory(role="village_secretary", organisation=w.org["zhongma"])
    today = dt.date.today()
    plan = supervision_plan_create(
        actor=w.user["sy_org"], name="“五星”支部创建督导", year=today.year, district=w.div["sy"], starts_on=today,
        ends_on=today + dt.timedelta(days=60), rounds=[(today, today + dt.timedelta(days=20))],
        groups=[GroupSpec(name="第一组", organisation=w.org["group"], leader=w.user["supervisor"])])
    return w, plan


def fits(page, what: str):
    assert_no_horizontal_overflow(page, what)
    shot(page, f"stars-{what}")


def test_group_member_records_a_visit_with_a_finding_and_a_photo_on_a_phone(page):
    from ningju.stars.models import Aspect, Finding, Visit

    w, plan = _world()
    visit = Visit.objects.get(round__plan=plan, unit=w.org["zhongma"])
    page.set_default_navigation_timeout(20000)  # the first page of a cold live server on a busy machine
    login(page, w.user["supervisor"])
    page.goto("/stars/supervision/")
    expect(page.locator("#planned-visits")).to_contain_text("中马村党支部")
    fits(page, "supervision-home")
    page.locator("#planned-visits a", has_text="中马村党支部").click()
    page.wait_for_url(f"**/stars/supervision/visits/{visit.pk}/")
    fits(page, "visit-empty")

    for aspect in Aspect:
        page.check(f"input[name=check_{aspect.value}][value={'problem' if aspect == 'plan' else 'ok'}]")
    page.fill("input[name=note_plan]", "计划未上墙")
    page.select_option("select[name=f-0-aspect]", label="创建计划")
    page.fill("textarea[name=f-0-text]", "创建计划未在党群服务中心上墙公示")
    page.set_input_files("input[name=f-0-photos]", files=[{"name": "现场.png", "mimeType": "image/png",
                                                          "buffer": png_bytes()}])
    expect(page.locator("#finding-0 .photo-preview img")).to_have_count(1)
    page.get_by_role("button", name="+ 再登记一个问题").click()  # htmx adds an empty row, left blank
    expect(page.locator("#finding-1 select[name=f-1-aspect]")).to_have_count(1)
    page.get_by_role("button", name="+ 再登记一个问题").click()
    expect(page.locator("#finding-2 select[name=f-2-aspect]")).to_have_count(1)
    fits(page, "visit-filled")
    with page.expect_navigation():
        page.get_by_role("button", name="提交督导记录").click()

    finding = Finding.objects.select_related("case").get()
    assert finding.case.owner == w.user["sec_zhongma"] and finding.case.attachments.count() == 1
    assert page.url.endswith(f"/stars/supervision/visits/{visit.pk}/")
    expect(page.locator(".messages")).to_contain_text("发现问题1个")
    expect(page.locator(f'#visit-findings a[href="/cases/{finding.case_id}/"]')).to_have_text(finding.case.number)
    expect(page.locator("#checklist")).to_contain_text("有问题")
    fits(page, "visit-done")
    page.watch.assert_clean()


def test_the_organiser_reads_the_plan_and_its_board_on_a_phone(page):
    from ningju.stars.models import Visit
    from ningju.stars.services import visit_record
    from ningju.stars.services.supervision import FindingSpec

    w, plan = _world()
    visit = Visit.objects.get(round__plan=plan, unit=w.org["zhongma"])
    visit_record(actor=w.user["supervisor"], visit=visit, checks={a: (True, "") for a in
                                                                  ("archives", "atmosphere", "plan", "sanitation",
                                                                   "training", "results", "signage")},
                 findings=[FindingSpec(aspect="signage", text="标牌不规范")])
    page.set_default_navigation_timeout(20000)
    login(page, w.user["sy_org"])
    page.goto(f"/stars/supervision/{plan.pk}/")
    expect(page.locator("#aspect-chart [data-echart-ready]")).to_have_count(1)
    expect(page.locator("#board-table")).to_contain_text("第1轮")
    page.locator("#progress-board a", has_text="按方面").click()  # htmx swaps the board
    expect(page.locator("#board-table")).to_contain_text("规范标牌")
    expect(page.locator("#board a.current")).to_have_text("按方面")
    assert page.url.endswith("?by=aspect")
    fits(page, "plan")
    page.goto("/stars/supervision/new/")
    page.select_option("select[name=g-0-organisation]", label=w.org["group"].name)  # htmx: its logins
    expect(page.locator("select[name=g-0-leader] option", has_text=w.user["supervisor"].name)).to_have_count(1)
    fits(page, "plan-create")
    page.watch.assert_clean()
