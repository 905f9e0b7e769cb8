"""The branch secretary's self-assessment in Debian's Chromium at 375 px: open the plan from the stars home,
open an item's form, claim it met with a PDF as evidence and submit. No horizontal overflow, no console error
(CSP violations are reported there), no failed request and no request to any other host."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

# Shared browser fixtures (this module is skipped with them when Chromium is absent).
from ningju.testing.browser import assert_no_horizontal_overflow, browser, login, page, shot  # noqa: F401

pytestmark = pytest.mark.browser

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fits(page, what: str):
    assert_no_horizontal_overflow(page, what)
    shot(page, f"stars-creation-{what}")


def test_branch_secretary_submits_a_self_assessment_with_a_file(page, live_server, shanyang, settings, tmp_path):
    from ningju.stars import services
    from ningju.stars.models import Assessment, StandardItem, Star

    settings.MEDIA_ROOT = tmp_path / "media"
    w = shanyang
    outside = []
    page.on("request", lambda req: None if req.url.startswith((live_server.url, "data:", "blob:"))
            else outside.append(req.url))
    branch_star = Star.objects.get(standard__year=2026, standard__unit_kind="village", code="branch")
    plan = services.plan_save(actor=w.user["sec_zhongma"], branch=w.org["zhongma"], year=2026,
                              targets=[branch_star], measures="对标五星逐项落实", submit=True)
    item = branch_star.items.filter(mode=StandardItem.Mode.PASS).order_by("order").first()

    login(page, w.user["sec_zhongma"])
    page.locator("nav.mainnav a[data-module='stars']").click()
    page.wait_for_url("**/stars/")
    fits(page, "home")
    with page.expect_navigation():
        page.locator("#home-plan a", has_text="逐项自评").click()
    assert page.url.endswith(f"/stars/plans/{plan.pk}/")
    fits(page, "plan")

    row = page.locator(f"#item-{item.pk}")
    expect(row).to_contain_text(item.evidence)
    row.locator(f"#assess-{item.pk} > summary").click()
    form = row.locator(f"#assess-{item.pk} form")
    form.get_by_label("达标", exact=True).check()
    form.locator("textarea").fill("班子配备齐全,书记考核称职")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "班子名单.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    fits(page, "assess-form")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".msg")).to_contain_text("已提交自评")
    row = page.locator(f"#item-{item.pk}")
    expect(row).to_contain_text("待乡镇审核")
    expect(row.locator("a", has_text="班子名单.pdf")).to_be_visible()
    fits(page, "assessed")

    a = Assessment.objects.get(plan=plan, item=item)
    assert a.status == Assessment.Status.SUBMITTED and a.claim_met and a.evidence.count() == 1
    assert a.note == "班子配备齐全,书记考核称职"
    page.watch.assert_clean()
    assert not outside, outside
