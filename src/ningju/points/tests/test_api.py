"""The points API through /api/v1/ with bearer tokens: awards counted once, refusals, reversals, scoping,
declarations with their publicity, boards as the selectors compute them, and the shop."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ningju.people.models import PoliticalStatus
from ningju.points import selectors
from ningju.points.models import Account, Declaration, Entry, Item, Order
from ningju.points.services import ledger, setup, shop
from ningju.testing.api import API, bearer, error, fields, get, ok, post
from ningju.testing.factories import OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db



def today() -> str:
    return timezone.localdate().isoformat()


def award_body(w, n=1, rule="filial", key="k-1", **extra) -> dict:
    return {"account_id": w.acct[n].pk, "rule_id": w.rule[rule].pk, "occurred_on": today(), "times": 1,
            "idempotency_key": key, **extra}


def balance(w, n) -> int:
    return Account.objects.get(pk=w.acct[n].pk).balance


def test_openapi_lists_the_points_endpoints_with_their_limits(world):
    doc = Client().get(f"{API}/openapi.json").json()
    paths = doc["paths"]
    for path in ("/points/accounts", "/points/accounts/{account_id}", "/points/accounts/{account_id}/entries",
                 "/points/me", "/points/entries", "/points/entries/{entry_id}/reversal", "/points/post",
                 "/points/rulebooks", "/points/declarations", "/points/declarations/{declaration_id}/review",
                 "/points/declarations/{declaration_id}/objection", "/points/publicity", "/points/boards/members",
                 "/points/boards/red-black", "/points/shops", "/points/shops/{shop_id}/items", "/points/orders",
                 "/points/orders/{order_id}/cancel", "/points/shops/{shop_id}/pickup"):
        assert f"{API}{path}" in paths, path
        assert all(op["tags"] == ["积分"] for op in paths[f"{API}{path}"].values())
    assert set(paths[f"{API}/points/orders"]) == {"get", "post"}
    assert {"200", "201"} <= set(paths[f"{API}/points/entries"]["post"]["responses"])
    schemas = doc["components"]["schemas"]
    award = schemas["AwardIn"]
    assert "idempotency_key" in award["required"]
    assert award["properties"]["times"]["type"] == "integer" and award["properties"]["times"]["maximum"] == 100
    order = schemas["OrderIn"]
    assert {"client_key", "quantity", "item_id", "account_id"} <= set(order["required"])
    assert order["properties"]["quantity"]["minimum"] == 1 and order["properties"]["quantity"]["maximum"] == 20
    period = next(p for p in paths[f"{API}/points/boards/members"]["get"]["parameters"] if p["name"] == "period")
    assert {"type": "string", "pattern": r"^[0-9]{4}(-[0-9]{2})?$"} in period["schema"]["anyOf"]


def test_an_award_sent_twice_with_the_same_key_counts_once(zhongma):
    w = zhongma
    sec = bearer(w.user["sec"])
    first = ok(post(sec, "/points/entries", award_body(w, reason="照顾孤寡老人")), 201)
    again = ok(post(sec, "/points/entries", award_body(w, reason="照顾孤寡老人")), 200)
    assert first["created"] is True and again["created"] is False and again["id"] == first["id"]
    assert first["amount"] == 10 and first["kind"] == "earn" and first["reason"] == "照顾孤寡老人"
    assert balance(w, 1) == 10 and Entry.objects.filter(account=w.acct[1]).count() == 1
    detail = ok(get(sec, f"/points/accounts/{w.acct[1].pk}"))
    assert (detail["balance"], detail["earned_this_year"], detail["deducted_this_year"]) == (10, 10, 0)
    entries = ok(get(sec, f"/points/accounts/{w.acct[1].pk}/entries"))
    assert entries["count"] == 1 and entries["items"][0]["rule_name"] == "孝老爱亲事迹"
    # The same key for another account is refused, not a second entry.
    err = error(post(sec, "/points/entries", award_body(w, n=2)), 400)
    assert "请求标识" in err["message"] and balance(w, 2) == 0
    call_command("check_points")


def test_bad_times_foreign_rules_and_roles_are_refused(zhongma):
    w = zhongma
    sec = bearer(w.user["sec"])
    for times in (0, -2, 1.5, "2.5", 101, True):
        err = error(post(sec, "/points/entries", award_body(w, key=f"bad-{times}", times=times)), 400)
        assert "times" in fields(err), times
    err = error(post(sec, "/points/entries", {k: v for k, v in award_body(w).items() if k != "idempotency_key"}), 400)
    assert "idempotency_key" in fields(err)
    err = error(post(sec, "/points/entries", award_body(w, key="future", occurred_on="2100-01-01")), 400)
    assert "occurred_on" in fields(err)
    # A rule of another village's organisation.
    other = OrganisationFactory(name="罗庄村党支部", kind="branch", division=w.div["luozhuang"],
                                parent=w.org["taihang"])
    other_sec = UserFactory(phone="13720000099", role="village_secretary", organisation=other)
    book = setup.rulebook_save(actor=other_sec, organisation=other, name="罗庄村积分办法", applies_to="household")
    foreign = setup.rule_save(actor=other_sec, rulebook=book, category="other", name="外村规则", points=3)
    err = error(post(sec, "/points/entries", {**award_body(w, key="foreign"), "rule_id": foreign.pk}), 400)
    assert "rule_id" in fields(err) and "细则" in err["message"]
    admin = bearer(w.user["admin"])  # sees both villages: refused by the rule check itself
    err = error(post(admin, "/points/entries", {**award_body(w, key="foreign2"), "rule_id": foreign.pk}), 400)
    assert "rule_id" in fields(err) and "不能用于" in err["message"]
    # Over the monthly cap (庭院整洁: 5 points, at most 20 a month).
    ok(post(sec, "/points/entries", award_body(w, rule="clean", key="cap-1", times=4)), 201)
    err = error(post(sec, "/points/entries", award_body(w, rule="clean", key="cap-2")), 400)
    assert "上限" in fields(err)["times"]
    # A deduction below zero.
    err = error(post(sec, "/points/entries", award_body(w, n=2, rule="litter", key="minus")), 400)
    assert "余额不足" in err["message"] and balance(w, 2) == 0
    # Roles: a villager and a town secretary (who reads points) may not award.
    error(post(bearer(w.user["villager1"]), "/points/entries", award_body(w, key="v")), 403)
    error(post(bearer(w.user["town"]), "/points/entries", award_body(w, key="t")), 403)
    assert balance(w, 1) == 20
    call_command("check_points")


def test_a_reversal_corrects_once_and_cannot_itself_be_reversed(zhongma):
    w = zhongma
    sec = bearer(w.user["sec"])
    entry = ok(post(sec, "/points/entries", award_body(w)), 201)
    rev = ok(post(sec, f"/points/entries/{entry['id']}/reversal", {"reason": "重复记分"}), 201)
    assert rev["kind"] == "reversal" and rev["amount"] == -10 and rev["reverses_id"] == entry["id"]
    assert balance(w, 1) == 0
    err = error(post(sec, f"/points/entries/{rev['id']}/reversal", {"reason": "再冲"}), 400)
    assert "冲正记录不能再冲正" in err["message"]
    err = error(post(sec, f"/points/entries/{entry['id']}/reversal", {"reason": "再冲"}), 400)
    assert "已冲正" in err["message"]
    error(post(sec, f"/points/entries/{entry['id']}/reversal", {"reason": ""}), 400)
    listed = {e["id"]: e for e in ok(get(sec, f"/points/accounts/{w.acct[1].pk}/entries"))["items"]}
    assert listed[entry["id"]]["reversed"] is True and listed[rev["id"]]["reversed"] is False
    detail = ok(get(sec, f"/points/accounts/{w.acct[1].pk}"))
    assert (detail["balance"], detail["earned_this_year"]) == (0, 0)
    call_command("check_points")


def test_posting_from_another_system_needs_a_points_manager(zhongma):
    w = zhongma
    body = {**award_body(w, key="att-2026-001"), "source_type": "attendance", "source_id": "meeting-17"}
    first = ok(post(bearer(w.user["sec"]), "/points/post", body), 201)
    again = ok(post(bearer(w.user["sec"]), "/points/post", body), 200)
    assert again["id"] == first["id"] and balance(w, 1) == 10
    assert (first["source_type"], first["source_id"]) == ("attendance", "meeting-17")
    error(post(bearer(w.user["villager1"]), "/points/post", {**body, "idempotency_key": "v"}), 403)
    error(post(bearer(w.user["town"]), "/points/post", {**body, "idempotency_key": "t"}), 403)
    err = error(post(bearer(w.user["sec"]), "/points/post", {**body, "source_type": ""}), 400)
    assert "source_type" in fields(err)
    # A manager of another village does not see the account.
    error(post(bearer(w.user["village"]), "/points/post", {**body, "idempotency_key": "lz"}), 400)
    assert balance(w, 1) == 10


def test_accounts_are_scoped(zhongma):
    w = zhongma
    acct = w.acct[1].pk
    for key in ("qy_org", "town"):  # 沁阳市 and its town: not 中马村 (山阳区)
        error(get(bearer(w.user[key]), f"/points/accounts/{acct}"), 404)
        error(get(bearer(w.user[key]), f"/points/accounts/{acct}/entries"), 404)
        assert ok(get(bearer(w.user[key]), "/points/accounts"))["count"] == 0
    for key in ("sy_org", "city_org", "sec"):
        assert ok(get(bearer(w.user[key]), f"/points/accounts/{acct}"))["name"] == "马建国户"
    listed = ok(get(bearer(w.user["sy_org"]), "/points/accounts", kind="household", q="李"))
    assert [a["id"] for a in listed["items"]] == [w.acct[2].pk]
    # A villager sees their own account only.
    v1 = bearer(w.user["villager1"])
    assert ok(get(v1, f"/points/accounts/{acct}"))["household_number"] == "ZM001"
    error(get(v1, f"/points/accounts/{w.acct[2].pk}"), 404)
    mine = ok(get(v1, "/points/me"))
    assert [a["id"] for a in mine["items"]] == [acct] and mine["items"][0]["year"] == timezone.localdate().year
    assert [a["id"] for a in ok(get(v1, "/points/accounts"))["items"]] == [acct]
    # Roles without points at all.
    error(get(bearer(w.user["station"]), "/points/accounts"), 403)
    error(get(bearer(w.user["station"]), "/points/me"), 403)
    error(get(Client(), "/points/accounts"), 401)


def test_rulebooks_for_staff_and_for_villagers(zhongma):
    w = zhongma
    setup.rule_save(actor=w.user["sec"], rulebook=w.rule["clean"].rulebook, category="other", name="停用的细则",
                    points=1, active=False)
    staff = ok(get(bearer(w.user["sec"]), "/points/rulebooks"))["items"]
    assert len(staff) == 1 and len(staff[0]["rules"]) == 4
    villager = ok(get(bearer(w.user["villager1"]), "/points/rulebooks"))["items"]
    assert [r["name"] for r in villager[0]["rules"]] == ["孝老爱亲事迹", "庭院整洁", "乱堆乱放"]
    assert ok(get(bearer(w.user["qy_org"]), "/points/rulebooks"))["count"] == 0


def test_declaration_review_publicity_and_objection(zhongma):
    w = zhongma
    v1, v2, sec = bearer(w.user["villager1"]), bearer(w.user["villager2"]), bearer(w.user["sec"])
    body = {"account_id": w.acct[1].pk, "rule_id": w.rule["filial"].pk, "occurred_on": today(),
            "note": "照顾邻居孤寡老人"}
    d = ok(post(v1, "/points/declarations", body), 201)
    assert d["status"] == "submitted" and d["points"] == 10
    error(post(v2, "/points/declarations", body), 400)  # not their account: they cannot see it
    err = error(post(v1, "/points/declarations", {**body, "rule_id": w.rule["litter"].pk}), 400)
    assert "不接受申报" in fields(err)["rule_id"]
    error(post(v1, "/points/declarations", {**body, "times": 21}), 400)
    error(post(v1, f"/points/declarations/{d['id']}/review", {"approve": True}), 403)
    error(post(bearer(w.user["village"]), f"/points/declarations/{d['id']}/review", {"approve": True}), 404)
    err = error(post(sec, f"/points/declarations/{d['id']}/review", {"approve": False}), 400)
    assert "comment" in fields(err)
    queue = ok(get(sec, "/points/declarations", status="submitted"))["items"]
    assert [x["id"] for x in queue] == [d["id"]]
    reviewed = ok(post(sec, f"/points/declarations/{d['id']}/review", {"approve": True}))
    assert reviewed["status"] == "publicity" and reviewed["publicity_until"]
    # Everyone in the village sees the publicity list, names masked; a town elsewhere does not.
    shown = ok(get(v2, "/points/publicity"))["items"]
    assert [(x["id"], x["account_label"]) for x in shown] == [(d["id"], "ZM001 马*国")]
    assert ok(get(sec, "/points/publicity", division_code=w.div["zhongma"].code))["count"] == 1
    err = error(get(bearer(w.user["town"]), "/points/publicity", division_code=w.div["zhongma"].code), 400)
    assert "division_code" in fields(err)
    error(post(bearer(w.user["town"]), f"/points/declarations/{d['id']}/objection", {"text": "不实"}), 404)
    objected = ok(post(v2, f"/points/declarations/{d['id']}/objection", {"text": "情况不属实"}))
    assert objected["status"] == "objected"
    assert "情况不属实" in Declaration.objects.get(pk=d["id"]).objections
    assert balance(w, 1) == 0


def test_boards_match_the_selectors(zhongma):
    w = zhongma
    sec = bearer(w.user["sec"])
    ok(post(sec, "/points/entries", award_body(w, n=1, key="b1")), 201)
    ok(post(sec, "/points/entries", award_body(w, n=2, rule="clean", key="b2")), 201)
    ok(post(sec, "/points/entries", award_body(w, n=2, rule="litter", key="b3")), 201)
    # Party members of 中马村 with their own rulebook.
    book = setup.rulebook_save(actor=w.user["sec"], organisation=w.org["zhongma"], name="党员积分", applies_to="member")
    study = setup.rule_save(actor=w.user["sec"], rulebook=book, category="study", name="参加三会一课", points=2)
    for n, times in ((1, 3), (2, 1), (3, 3)):
        person = PersonFactory(name=f"党员{n}", political_status=PoliticalStatus.MEMBER, home_division=w.div["zhongma"])
        acc = setup.account_open(actor=w.user["sec"], organisation=w.org["zhongma"], person=person)
        ledger.award(actor=w.user["sec"], account=acc, rule=study, occurred_on=timezone.localdate(), times=times,
                     idempotency_key=f"m{n}")
    period = f"{timezone.localdate():%Y-%m}"
    members = ok(get(sec, "/points/boards/members", period=period))
    want = selectors.members_board(organisation=w.org["zhongma"], period=period)
    assert [(r["rank"], r["account_id"], r["name"], r["net"]) for r in members["rows"]] == \
        [(r.rank, r.account_id, r.name, r.net) for r in want]
    assert [r["rank"] for r in members["rows"]] == [1, 1, 3]
    assert ok(get(sec, "/points/boards/members"))["period"] == period  # this month by default
    year = ok(get(bearer(w.user["sy_org"]), "/points/boards/members", organisation_id=w.org["zhongma"].pk,
                  period=period[:4], limit=2))
    assert len(year["rows"]) == 2
    board = ok(get(sec, "/points/boards/red-black", period=period))
    red, black = selectors.red_black(organisation=w.org["zhongma"], period=period)
    assert [(r["name"], r["net"]) for r in board["red"]] == [(r.name, r.net) for r in red] == [("ZM001 马*国", 10)]
    assert [(r["name"], r["deducted"]) for r in board["black"]] == [(r.name, r.deducted) for r in black]
    for bad in ("2026-13", "26", "2026-1"):
        assert "period" in fields(error(get(sec, "/points/boards/members", period=bad), 400))
    err = error(get(bearer(w.user["qy_org"]), "/points/boards/red-black", organisation_id=w.org["zhongma"].pk), 400)
    assert "organisation_id" in fields(err)
    error(get(bearer(w.user["villager1"]), "/points/boards/members"), 403)


def test_the_shop_orders_once_never_beyond_the_balance_and_refunds_on_cancel(zhongma):
    w = zhongma
    ledger.award(actor=w.user["sec"], account=w.acct[1], rule=w.rule["filial"], occurred_on=timezone.localdate(),
                 idempotency_key="seed")
    item = shop.item_save(actor=w.user["keeper"], shop=w.shop, name="洗衣粉", price=4, stock=5, unit="袋")
    hidden = shop.item_save(actor=w.user["keeper"], shop=w.shop, name="下架商品", price=1, stock=1, active=False)
    v1, keeper = bearer(w.user["villager1"]), bearer(w.user["keeper"])
    shops = ok(get(v1, "/points/shops"))["items"]
    assert [(s["id"], s["is_keeper"]) for s in shops] == [(w.shop.pk, False)]
    assert ok(get(keeper, "/points/shops"))["items"][0]["is_keeper"] is True
    assert [i["id"] for i in ok(get(v1, f"/points/shops/{w.shop.pk}/items", include_inactive=True))["items"]] \
        == [item.pk]
    assert {i["id"] for i in ok(get(keeper, f"/points/shops/{w.shop.pk}/items", include_inactive=True))["items"]} \
        == {item.pk, hidden.pk}
    error(get(bearer(w.user["qy_org"]), f"/points/shops/{w.shop.pk}/items"), 404)

    order = {"item_id": item.pk, "account_id": w.acct[1].pk, "quantity": 3, "client_key": "o-1"}
    err = error(post(v1, "/points/orders", order), 400)  # 12 points, balance 10
    assert "余额不足" in fields(err)["quantity"]
    assert balance(w, 1) == 10 and Item.objects.get(pk=item.pk).stock == 5 and not Order.objects.exists()
    for bad in ({"quantity": 0}, {"quantity": 21}, {"quantity": 1.5}, {"client_key": ""}):
        error(post(v1, "/points/orders", {**order, **bad}), 400)
    placed = ok(post(v1, "/points/orders", {**order, "quantity": 2}), 201)
    again = ok(post(v1, "/points/orders", {**order, "quantity": 2}), 200)
    assert placed["created"] is True and again["created"] is False and again["id"] == placed["id"]
    assert placed["points"] == 8 and len(placed["pickup_code"]) == 6
    assert balance(w, 1) == 2 and Item.objects.get(pk=item.pk).stock == 3
    # Not for another household's account.
    error(post(bearer(w.user["villager2"]), "/points/orders", {**order, "quantity": 1, "client_key": "o-2"}), 400)
    # The keeper sees the order without its pickup code and hands over against the code.
    listed = ok(get(keeper, "/points/orders", status="placed"))["items"]
    assert [(o["id"], o["pickup_code"]) for o in listed] == [(placed["id"], None)]
    error(post(v1, f"/points/shops/{w.shop.pk}/pickup", {"pickup_code": placed["pickup_code"]}), 403)
    error(post(keeper, f"/points/shops/{w.shop.pk}/pickup", {"pickup_code": "12345"}), 400)
    done = ok(post(keeper, f"/points/shops/{w.shop.pk}/pickup", {"pickup_code": placed["pickup_code"]}))
    assert done["status"] == "fulfilled"
    error(post(v1, f"/points/orders/{placed['id']}/cancel"), 400)  # already picked up
    # Cancelling an order not yet picked up refunds the points and the stock.
    soap = shop.item_save(actor=w.user["keeper"], shop=w.shop, name="肥皂", price=2, stock=5, unit="块")
    second = ok(post(v1, "/points/orders", {**order, "item_id": soap.pk, "quantity": 1, "client_key": "o-3"}), 201)
    assert balance(w, 1) == 0 and Item.objects.get(pk=soap.pk).stock == 4
    error(post(bearer(w.user["villager2"]), f"/points/orders/{second['id']}/cancel"), 404)
    assert ok(post(v1, f"/points/orders/{second['id']}/cancel"))["status"] == "cancelled"
    assert balance(w, 1) == 2 and Item.objects.get(pk=soap.pk).stock == 5
    error(post(v1, f"/points/orders/{second['id']}/cancel"), 400)  # once
    assert [o["status"] for o in ok(get(v1, "/points/orders"))["items"]] == ["cancelled", "fulfilled"]
    call_command("check_points")


def test_changes_through_the_api_are_audited_as_api_and_through_pages_as_web(zhongma, login):
    from ningju.core.models import AuditEntry

    w = zhongma
    ok(post(bearer(w.user["sec"]), "/points/entries", award_body(w, key="k-api")), 201)
    via_api = AuditEntry.objects.order_by("-id").first()
    assert via_api.actor == w.user["sec"] and via_api.source == "api"
    form = {"organisation": w.org["zhongma"].pk, "name": "党员积分管理办法", "applies_to": "member",
            "publicity_workdays": 3}
    page = login(w.user["sec"]).post("/points/rules/new/", form)
    assert page.status_code == 302
    via_page = AuditEntry.objects.order_by("-id").first()
    assert via_page.pk != via_api.pk and via_page.source == "web"
