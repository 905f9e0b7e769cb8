"""The coverage pages in Debian's Chromium at 375 px: the public self-registration page filled in on a
phone, the campaign page with its QR code, the figures and 应建尽建 pages; no horizontal overflow, no
console errors (CSP violations are reported there), no failed requests. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

# Shared browser fixtures (this module is skipped with them when Chromium is absent).
from ningju.testing.browser import assert_no_horizontal_overflow, browser, login, page, shot  # noqa: F401
from ningju.testing.factories import make_id

pytestmark = pytest.mark.browser


def fits(page, what: str):
    assert_no_horizontal_overflow(page, what)
    shot(page, f"coverage-{what}")


def _campaign(world):
    from django.utils import timezone

    from ningju.coverage import services

    today = timezone.localdate()
    return services.campaign_create(actor=world.user["qy_org"], name="沁阳市新就业群体全覆盖排查", starts_on=today,
                                    ends_on=today + dt.timedelta(days=60), divisions=[world.div["qy"]], industries=[])


def test_worker_declares_membership_on_a_phone(page):
    from ningju.coverage.models import Finding
    from ningju.testing.world import build_world

    world = build_world()
    campaign = _campaign(world)
    page.goto(f"/coverage/join/{campaign.public_token}/")
    fits(page, "join")
    page.fill("input[name=name]", "扫码党员")
    page.fill("input[name=id_number]", make_id("410882", 1993))
    page.fill("input[name=phone]", "13822223333")
    page.select_option("select[name=employer]", label="外卖覃怀站")
    page.check("input[name=member_status][value=probationary]")
    page.fill("input[name=relation_text]", "河南省温县某村党支部")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    expect(page.locator("#join-done")).to_contain_text("已收到您的登记信息")
    fits(page, "join-done")
    finding = Finding.objects.get()
    assert finding.channel == "self_declared" and finding.member_status == "probationary"
    page.watch.assert_clean()


def test_staff_pages_fit_a_phone(page):
    from ningju.testing.world import build_world

    world = build_world()
    campaign = _campaign(world)
    login(page, world.user["qy_org"])

    page.goto(f"/coverage/campaigns/{campaign.pk}/")
    qr = page.locator(".cov-qr img")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('.cov-qr img').naturalWidth") > 0, "QR code not loaded"
    expect(page.locator("#campaign-stats")).to_contain_text("排查单位")
    fits(page, "campaign")

    page.goto("/coverage/figures/")
    expect(page.locator("#coverage-rate")).to_be_visible()
    fits(page, "figures")
    page.locator("a", has_text="覃怀街道").first.click()
    page.wait_for_url("**/coverage/figures/410882001000/")
    expect(page.locator("#unit-list")).to_contain_text("外卖覃怀站")
    fits(page, "figures-town")

    page.goto("/coverage/build/")
    expect(page.locator("#build-list")).to_contain_text("外卖覃怀站")
    fits(page, "build")
    page.watch.assert_clean()
