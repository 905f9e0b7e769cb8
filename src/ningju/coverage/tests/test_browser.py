"""The coverage pages in Debian's Chromium at 375 px: the public self-registration page filled in on a
phone, the campaign page with its QR code, the figures and 应建尽建 pages; no horizontal overflow, no
console errors (CSP violations are reported there), no failed requests. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    if os.environ.get("NINGJU_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"NINGJU_REQUIRE_BROWSER=1 but Debian Chromium is not installed at {CHROMIUM}")
    pytest.skip(f"Debian Chromium not installed at {CHROMIUM}: browser tests skipped", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from ningju.testing.factories import PASSWORD, make_id  # noqa: E402

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
PHONE = {"width": 375, "height": 812}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
    mp.undo()


@pytest.fixture
def phone(browser, live_server, transactional_db):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(5000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}")
            if r.failure != "net::ERR_ABORTED" else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.problems = problems
    yield page
    context.close()


def fits(page, what: str):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what}: {width}px wide at 375px"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"coverage-{what}.png"), full_page=True)


def _campaign(world):
    from django.utils import timezone

    from ningju.coverage import services

    today = timezone.localdate()
    return services.campaign_create(actor=world.user["qy_org"], name="沁阳市新就业群体全覆盖排查", starts_on=today,
                                    ends_on=today + dt.timedelta(days=60), divisions=[world.div["qy"]], industries=[])


def test_worker_declares_membership_on_a_phone(phone):
    from ningju.coverage.models import Finding
    from ningju.testing.world import build_world

    world = build_world()
    campaign = _campaign(world)
    phone.goto(f"/coverage/join/{campaign.public_token}/")
    fits(phone, "join")
    phone.fill("input[name=name]", "扫码党员")
    phone.fill("input[name=id_number]", make_id("410882", 1993))
    phone.fill("input[name=phone]", "13822223333")
    phone.select_option("select[name=employer]", label="外卖覃怀站")
    phone.check("input[name=member_status][value=probationary]")
    phone.fill("input[name=relation_text]", "河南省温县某村党支部")
    with phone.expect_navigation():
        phone.click("form button[type=submit]")
    expect(phone.locator("#join-done")).to_contain_text("已收到您的登记信息")
    fits(phone, "join-done")
    finding = Finding.objects.get()
    assert finding.channel == "self_declared" and finding.member_status == "probationary"
    assert not phone.problems, phone.problems


def test_staff_pages_fit_a_phone(phone):
    from ningju.testing.world import build_world

    world = build_world()
    campaign = _campaign(world)
    phone.goto("/accounts/login/")
    phone.fill("input[name=username]", world.user["qy_org"].phone)
    phone.fill("input[name=password]", PASSWORD)
    with phone.expect_navigation():
        phone.click("form button[type=submit]")

    phone.goto(f"/coverage/campaigns/{campaign.pk}/")
    qr = phone.locator(".cov-qr img")
    expect(qr).to_be_visible()
    assert phone.evaluate("document.querySelector('.cov-qr img').naturalWidth") > 0, "QR code not loaded"
    expect(phone.locator("#campaign-stats")).to_contain_text("排查单位")
    fits(phone, "campaign")

    phone.goto("/coverage/figures/")
    expect(phone.locator("#coverage-rate")).to_be_visible()
    fits(phone, "figures")
    phone.locator("a", has_text="覃怀街道").first.click()
    phone.wait_for_url("**/coverage/figures/410882001000/")
    expect(phone.locator("#unit-list")).to_contain_text("外卖覃怀站")
    fits(phone, "figures-town")

    phone.goto("/coverage/build/")
    expect(phone.locator("#build-list")).to_contain_text("外卖覃怀站")
    fits(phone, "build")
    assert not phone.problems, phone.problems
