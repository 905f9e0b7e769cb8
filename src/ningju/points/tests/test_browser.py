"""On a phone (375 px, Debian Chromium): a villager opens 我的积分, orders in the points shop and sees the pickup
code; the pages fit the screen, with no console errors, CSP violations or failed requests."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

# Shared browser fixtures (this module is skipped with them when Chromium is absent).
from ningju.testing.browser import assert_no_horizontal_overflow, browser, login, page, shot  # noqa: F401

pytestmark = pytest.mark.browser


def fits(page, what: str):
    assert_no_horizontal_overflow(page, what)
    shot(page, f"points-{what}")


def test_villager_orders_in_the_points_shop_and_sees_the_pickup_code(page, transactional_db, zhongma):
    from ningju.points.models import Account, Order
    from ningju.points.services import ledger, shop

    w = zhongma
    ledger.award(actor=w.user["sec"], account=w.acct[1], rule=w.rule["filial"], occurred_on=timezone.localdate(),
                 times=3, idempotency_key=uuid.uuid4().hex)
    shop.item_save(actor=w.user["keeper"], shop=w.shop, name="精品挂面(一箱装,适合全家食用)", price=12, stock=5,
                   unit="箱")

    login(page, w.user["villager1"])
    page.locator("nav.mainnav a", has_text="我的积分").click()
    page.wait_for_url("**/points/mine/")
    expect(page.locator(".pt-balance-num")).to_have_text("30")
    fits(page, "mine")

    page.get_by_role("link", name="积分超市").first.click()
    page.wait_for_url("**/points/mine/shop/")
    expect(page.locator(".pt-items li")).to_contain_text("精品挂面")
    fits(page, "shop")
    page.fill("input[name=quantity]", "2")
    with page.expect_navigation():
        page.get_by_role("button", name="兑换").click()

    order = Order.objects.get()
    assert order.quantity == 2 and Account.objects.get(pk=w.acct[1].pk).balance == 6
    expect(page.locator(".messages")).to_contain_text(f"取货码 {order.pickup_code}")
    code = page.locator("[data-pickup-code]")
    expect(code).to_have_text(order.pickup_code)
    size = code.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 32, f"the pickup code should be large on a phone, is {size}px"
    fits(page, "ordered")
    page.watch.assert_clean()
