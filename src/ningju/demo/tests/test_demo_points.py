"""The demo city's points story (the source article): 中马村's "乡村积分管理" with its points shop (积分超市), the
red/black board, and 中马村党支部's 党员积分榜. Every figure is checked against the ledger's own records."""

import datetime as dt
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ningju.accounts.models import User
from ningju.demo.management.commands.load_demo import DEMO_PASSWORD
from ningju.demo.points import LOGINS as POINTS_LOGINS
from ningju.demo.points import zhongma
from ningju.geo.models import Division
from ningju.orgs.models import Kind, Organisation
from ningju.points import selectors
from ningju.points.models import (
    Account,
    AccountKind,
    BoardPublication,
    Declaration,
    Entry,
    EntryKind,
    Household,
    Item,
    Order,
    Rule,
    Rulebook,
    Shop,
)

pytestmark = pytest.mark.django_db

SHANYANG = "410811000000"


def branch() -> Organisation:
    return Organisation.objects.get(division=zhongma(), kind=Kind.BRANCH)


def last_month() -> str:
    return f"{timezone.localdate().replace(day=1) - dt.timedelta(days=1):%Y-%m}"


def sums_from_entries(accounts, period: str) -> dict[int, tuple[int, int]]:
    """(earned, deducted) per account for a period, from the entries: conduct counts, spending does not."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    entries = Entry.objects.filter(account__in=accounts, kind__in=[EntryKind.EARN, EntryKind.DEDUCT,
                                                                    EntryKind.REVERSAL]).select_related("reverses")
    for e in entries:
        if not f"{e.occurred_on:%Y-%m}".startswith(period):
            continue
        kind = e.reverses.kind if e.kind == EntryKind.REVERSAL else e.kind
        out[e.account_id][0 if kind == EntryKind.EARN else 1] += e.amount
    return {k: (v[0], v[1]) for k, v in out.items() if v != [0, 0]}


def test_zhongma_keeps_a_year_of_household_points(demo):
    village, org = zhongma(), branch()
    households = Household.objects.filter(village=village)
    assert 40 <= households.count() <= 60
    assert all(h.number.startswith("ZM") and h.head_name for h in households)
    accounts = Account.objects.filter(organisation=org, kind=AccountKind.HOUSEHOLD)
    assert accounts.count() == households.count()

    book = Rulebook.objects.get(organisation=org, applies_to=AccountKind.HOUSEHOLD, active=True)
    rules = Rule.objects.filter(rulebook=book)
    assert {"study", "activity", "volunteer", "sanitation", "filial", "civility"} <= set(
        rules.values_list("category", flat=True))
    assert rules.filter(points__lt=0, name="乱堆乱放").exists() and rules.filter(cap__isnull=False).count() >= 5

    # A year of entries, every month, nothing after the load; awards by the village, declarations posted.
    entries = Entry.objects.filter(account__in=accounts)
    today = timezone.localdate()
    assert not entries.filter(occurred_on__gte=today).exists() and not entries.filter(created_at__gt=timezone.now())
    earned_months = {f"{d:%Y-%m}" for d in entries.filter(kind=EntryKind.EARN).values_list("occurred_on", flat=True)}
    assert len(earned_months) >= 12
    assert entries.filter(occurred_on__lt=today - dt.timedelta(days=330)).exists()
    assert entries.filter(kind=EntryKind.DEDUCT).exists() and entries.filter(source_type="manual").exists()
    reversals = entries.filter(kind=EntryKind.REVERSAL).select_related("reverses")
    assert reversals.count() == 2 and {r.reverses.kind for r in reversals} == {EntryKind.EARN, EntryKind.DEDUCT}
    assert all(r.amount == -r.reverses.amount for r in reversals)

    # 申报 → 审核 → 公示 → 入账: most posted after publicity, a couple rejected, one objection resolved.
    decls = Declaration.objects.filter(account__in=accounts)
    posted = decls.filter(status=Declaration.Status.POSTED)
    assert posted.count() >= 20 and all(d.entry.amount == d.rule.points * d.times for d in posted)
    assert all(d.entry.created_at >= d.publicity_until or d.objections for d in posted)
    assert decls.filter(status=Declaration.Status.REJECTED).exclude(review_comment="").count() == 2
    objected = decls.exclude(objections="")
    assert objected.count() == 1 and "处理意见" in objected.get().objections
    assert objected.get().status == Declaration.Status.POSTED

    # Balances are never negative and equal their ledgers.
    for acc in accounts:
        assert acc.balance >= 0
        assert acc.balance == sum(acc.entries.values_list("amount", flat=True))


def test_points_shop_has_goods_and_fulfilled_orders(demo):
    shop = Shop.objects.get(organisation=branch())
    items = Item.objects.filter(shop=shop)
    assert 8 <= items.count() <= 12
    assert {"食用油(5升)", "大米(10公斤)", "洗衣粉(2公斤)", "毛巾"} <= set(items.values_list("name", flat=True))
    orders = Order.objects.filter(item__shop=shop).select_related("redeem_entry", "refund_entry")
    fulfilled = orders.filter(status=Order.Status.FULFILLED)
    assert fulfilled.count() >= 50 and fulfilled.count() > orders.count() * .9
    keepers = set(shop.keepers.values_list("pk", flat=True))
    assert all(o.fulfilled_by_id in keepers and o.fulfilled_at > o.placed_at for o in fulfilled)
    assert all(o.redeem_entry.amount == -o.points == -o.item.price * o.quantity for o in orders)
    cancelled = orders.filter(status=Order.Status.CANCELLED)
    assert cancelled.count() == 2 and all(o.refund_entry.amount == o.points for o in cancelled)
    assert orders.filter(status=Order.Status.PLACED).exists()  # some wait for pickup at the load time


def test_boards_equal_the_sums_of_the_entries(demo):
    org, period = branch(), last_month()
    households = Account.objects.filter(organisation=org, kind=AccountKind.HOUSEHOLD)
    want = sums_from_entries(households, period)
    red, black = selectors.red_black(organisation=org, period=period)
    assert red and all((r.earned, r.deducted) == want[r.account_id] for r in red + black)
    positive = sorted((e + d for e, d in want.values() if e + d > 0), reverse=True)
    assert [r.net for r in red] == positive[:len(red)] and len(red) == min(10, len(positive))
    assert {r.account_id for r in black} == {k for k, (_e, d) in want.items() if d < 0}
    pub = BoardPublication.objects.filter(organisation=org, kind="red_black", period=period).latest("published_at")
    assert [(x["name"], x["net"]) for x in pub.rows if x["list"] == "red"] == [(r.name, r.net) for r in red]

    members = Account.objects.filter(organisation=org, kind=AccountKind.MEMBER)
    assert members.count() >= 10 and all(a.person.is_party_member for a in members)
    for p in (period, period[:4]):
        board = selectors.members_board(organisation=org, period=p)
        want = sums_from_entries(members, p)
        assert board and {r.account_id: (r.earned, r.deducted) for r in board} == want
        assert [r.net for r in board] == sorted((r.net for r in board), reverse=True)
    pub = BoardPublication.objects.filter(organisation=org, kind="members", period=period).latest("published_at")
    assert [x["net"] for x in pub.rows] == [r.net for r in selectors.members_board(organisation=org, period=period)]

    county = Division.objects.get(code=SHANYANG)
    year = period[:4]
    board = selectors.county_board(division_path=county.path, period=year, limit=20)
    want = sums_from_entries(Account.objects.filter(division_path__startswith=county.path), year)
    assert board and all((r.earned, r.deducted) == want[r.account_id] for r in board)


def test_printed_villager_opens_my_points_and_the_shop(demo, login):
    phone = POINTS_LOGINS[0][0]
    villager = User.objects.get(phone=phone)
    assert villager.role == "villager"
    account = Account.objects.get(user=villager)
    client = login(villager, DEMO_PASSWORD)
    page = client.get(reverse("points:mine")).content.decode()
    assert "我的积分" in page and f'<span class="pt-balance-num">{account.balance}</span>' in page
    shop = client.get(reverse("points:shop")).content.decode()
    assert "中马村积分超市" in shop and "食用油(5升)" in shop


def test_check_points_passes_after_the_load(demo):
    call_command("check_points")
