"""Reads of the points module: accounts and ledgers in scope, boards from the period sums, the shop."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet, Sum

from .models import Account, AccountKind, BoardPublication, Declaration, Entry, Item, Order, PeriodTotal, Shop

_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
RED_SIZE = 10


def check_period(period: str) -> str:
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise ValidationError({"period": "周期应为年份(2026)或年月(2026-03)"})
    return period


def accounts(*, user, kind: str | None = None, q: str | None = None) -> QuerySet[Account]:
    qs = Account.objects.visible_to(user).select_related("organisation", "household", "person")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q.strip())
    return qs


def my_accounts(*, user) -> QuerySet[Account]:
    return Account.objects.filter(user=user, active=True).select_related("organisation")


def ledger(*, user, account: Account) -> QuerySet[Entry]:
    return Entry.objects.visible_to(user).filter(account=account).select_related("rule", "approved_by")


def declarations(*, user, status: str | None = None) -> QuerySet[Declaration]:
    qs = Declaration.objects.visible_to(user).select_related("account", "rule")
    return qs.filter(status=status) if status else qs


def publicity_list(*, division_path: str) -> QuerySet[Declaration]:
    """The village's declarations in publicity (公示): what every villager may see and object to."""
    return (Declaration.objects.filter(division_path=division_path,
                                       status__in=[Declaration.Status.PUBLICITY, Declaration.Status.OBJECTED])
            .select_related("account", "rule").order_by("publicity_until"))


@dataclass(frozen=True)
class BoardRow:
    rank: int
    account_id: int
    name: str
    earned: int
    deducted: int

    @property
    def net(self) -> int:
        return self.earned + self.deducted


def _rows(qs, names) -> list[BoardRow]:
    out, rank, last = [], 0, None
    for n, r in enumerate(qs, start=1):
        net = r["earned"] + r["deducted"]
        if net != last:
            rank, last = n, net
        out.append(BoardRow(rank=rank, account_id=r["account_id"], name=names(r), earned=r["earned"],
                            deducted=r["deducted"]))
    return out


def members_board(*, organisation, period: str, limit: int | None = None) -> list[BoardRow]:
    """The Party members' points board (党员积分榜) of an organisation's subtree for a month or a year."""
    check_period(period)
    qs = (PeriodTotal.objects.filter(period=period, account__kind=AccountKind.MEMBER,
                                     account__org_path__startswith=organisation.path)
          .values("account_id", "account__name", "earned", "deducted")
          .order_by(-(F("earned") + F("deducted")), "account__name"))
    if limit:
        qs = qs[:limit]
    return _rows(qs, lambda r: r["account__name"])


def county_board(*, division_path: str, period: str, limit: int = 50) -> list[BoardRow]:
    """The top accounts of a county (or any division subtree) for a period, from the period sums."""
    check_period(period)
    qs = (PeriodTotal.objects.filter(period=period, division_path__startswith=division_path)
          .annotate(net=F("earned") + F("deducted"))
          .values("account_id", "account__name", "earned", "deducted").order_by("-net", "account_id")[:limit])
    return _rows(qs, lambda r: r["account__name"])


def red_black(*, organisation, period: str) -> tuple[list[BoardRow], list[BoardRow]]:
    """The village red list (the households with the most points) and black list (households with deductions)."""
    check_period(period)
    base = PeriodTotal.objects.filter(period=period, account__kind=AccountKind.HOUSEHOLD,
                                      account__org_path__startswith=organisation.path)
    fields = ("account_id", "account__household__head_name", "account__household__number", "earned", "deducted")

    def masked(r):
        from .models import Household

        h = Household(head_name=r["account__household__head_name"], number=r["account__household__number"])
        return f"{h.number} {h.masked_head}"

    red = _rows(base.filter(earned__gt=0).values(*fields).order_by(-(F("earned") + F("deducted")),
                                                                    "account__household__number")[:RED_SIZE],
                masked)
    black = _rows(base.filter(deducted__lt=0).values(*fields).order_by("deducted", "account__household__number"),
                  masked)
    return [r for r in red if r.net > 0], black


def publication(*, token: str) -> BoardPublication | None:
    return BoardPublication.objects.filter(token=token).select_related("organisation").first()


def shops(*, user) -> QuerySet[Shop]:
    return Shop.objects.visible_to(user).select_related("organisation")


def shop_items(*, shop: Shop, active_only: bool = True) -> QuerySet[Item]:
    qs = shop.items.all()
    return qs.filter(active=True) if active_only else qs


def orders(*, user, shop: Shop | None = None, status: str | None = None) -> QuerySet[Order]:
    qs = Order.objects.visible_to(user).select_related("account", "item")
    if shop is not None:
        qs = qs.filter(item__shop=shop)
    return qs.filter(status=status) if status else qs


def balance_differences(*, limit: int = 1000) -> list[str]:
    """Accounts whose cached balance differs from the sum of their entries (check_points)."""
    sums = dict(Entry.objects.values("account_id").annotate(s=Sum("amount")).values_list("account_id", "s"))
    out = []
    for acc in Account.objects.only("pk", "name", "balance").iterator():
        if acc.balance != (sums.get(acc.pk) or 0):
            out.append(f"{acc.name}(#{acc.pk}):余额{acc.balance},流水合计{sums.get(acc.pk) or 0}")
            if len(out) >= limit:
                break
    return out


def total_differences(*, limit: int = 1000) -> list[str]:
    """Period sums that differ from the entries they summarise."""
    from collections import defaultdict

    want: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    kinds = dict(Entry.objects.filter(reversed_by__isnull=False).values_list("pk", "kind"))
    for e in Entry.objects.filter(kind__in=["earn", "deduct", "reversal"]).values(
            "account_id", "occurred_on", "kind", "amount", "reverses_id").iterator():
        kind = kinds.get(e["reverses_id"]) if e["kind"] == "reversal" else e["kind"]
        slot = 0 if kind == "earn" else 1
        for period in (f"{e['occurred_on']:%Y-%m}", f"{e['occurred_on']:%Y}"):
            want[(e["account_id"], period)][slot] += e["amount"]
    have = {(t.account_id, t.period): [t.earned, t.deducted] for t in PeriodTotal.objects.all().iterator()}
    out = []
    for key in set(want) | set(have):
        if want.get(key, [0, 0]) != have.get(key, [0, 0]):
            out.append(f"账户#{key[0]} {key[1]}:汇总{have.get(key, [0, 0])},流水{want.get(key, [0, 0])}")
            if len(out) >= limit:
                break
    return out
