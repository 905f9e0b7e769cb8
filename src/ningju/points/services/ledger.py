"""The ledger: every change of points is one appended entry, exactly once, never below zero.

* Exactly once: each entry carries an idempotency key (unique in the database). Sending the same request
  again returns the entry already written; two copies arriving at the same moment are settled by the unique
  index (the loser's transaction rolls back, including its balance change, and it returns the winner's entry).
* Never below zero: the balance changes in one statement that also checks it,
  ``UPDATE points_account SET balance = balance + :amount WHERE id = :id AND balance + :amount >= 0``; when it
  changes no row the request is refused. The row lock it takes serialises simultaneous spenders.
* Boards: the per-month and per-year sums (``PeriodTotal``) are added to in the same transaction with an
  ``INSERT ... ON CONFLICT DO UPDATE`` that SQLite (3.24+) and PostgreSQL both accept.

:func:`post_points` is the one service other modules call (attendance, volunteer hours): it checks the rule
against the account and the rule's cap; callers check their own permissions.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from ningju.core import audit, roles
from ningju.core.scoping import is_visible

from ..models import Account, Entry, EntryKind, Period, Rule

A_POSTED = audit.register_action("points.entry.posted", "积分入账")
A_REVERSED = audit.register_action("points.entry.reversed", "积分冲正")

MAX_TIMES = 100
BOARD_KINDS = (EntryKind.EARN, EntryKind.DEDUCT)
# Portable upsert (SQLite 3.24+ and PostgreSQL): add to the period's sums, creating the row on first use.
_UPSERT_TOTAL = (
    "INSERT INTO points_periodtotal (account_id, period, earned, deducted, org_id_copy, division_path) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (account_id, period) DO UPDATE SET "
    "earned = points_periodtotal.earned + excluded.earned, deducted = points_periodtotal.deducted + excluded.deducted")


def periods_of(day: dt.date) -> tuple[str, str]:
    return f"{day:%Y-%m}", f"{day:%Y}"


def period_range(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of the month / quarter / year holding ``day``."""
    if period == Period.MONTH:
        start = day.replace(day=1)
        nxt = (start + dt.timedelta(days=32)).replace(day=1)
    elif period == Period.QUARTER:
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        nxt = (start + dt.timedelta(days=95)).replace(day=1)
    else:
        start = day.replace(month=1, day=1)
        nxt = start.replace(year=start.year + 1)
    return start, nxt - dt.timedelta(days=1)


def _add_totals(account: Account, day: dt.date, earned: int, deducted: int) -> None:
    if not earned and not deducted:
        return
    with connection.cursor() as cur:
        for period in periods_of(day):
            cur.execute(_UPSERT_TOTAL, [account.pk, period, earned, deducted, account.organisation_id,
                                        account.division_path])


def _board_effect(kind: str, amount: int, reverses: Entry | None) -> tuple[int, int]:
    """How an entry changes (earned, deducted) on the boards: conduct counts, spending does not."""
    if kind == EntryKind.EARN:
        return amount, 0
    if kind == EntryKind.DEDUCT:
        return 0, amount
    if kind == EntryKind.REVERSAL and reverses is not None:
        return (amount, 0) if reverses.kind == EntryKind.EARN else (0, amount)
    return 0, 0


def existing_entry(key: str, account: Account) -> Entry | None:
    entry = Entry.objects.filter(idempotency_key=key).first()
    if entry is not None and entry.account_id != account.pk:
        raise ValidationError("请求标识已用于另一个账户")
    return entry


def append(*, account: Account, kind: str, amount: int, reason: str, key: str, occurred_on: dt.date,
           actor=None, rule: Rule | None = None, source_type: str = "", source_id: str = "",
           approved_by=None, reverses: Entry | None = None, at: dt.datetime | None = None) -> tuple[Entry, bool]:
    """Append one entry (inside the caller's transaction); returns (entry, created)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise ValidationError({"amount": "分值必须是非零整数"})
    if not key or len(key) > 100:
        raise ValidationError("缺少请求标识")
    found = existing_entry(key, account)
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            changed = Account.objects.filter(pk=account.pk, balance__gte=-amount).update(
                balance=F("balance") + amount)
            if not changed:
                current = Account.objects.filter(pk=account.pk).values_list("balance", flat=True).first()
                raise ValidationError({"amount": f"积分余额不足:当前{current}分,本次需要{-amount}分"})
            entry = Entry(account=account, kind=kind, amount=amount, reason=reason[:200], rule=rule,
                          source_type=source_type[:40], source_id=str(source_id)[:64], idempotency_key=key,
                          reverses=reverses, occurred_on=occurred_on, approved_by=approved_by,
                          created_by=actor if getattr(actor, "pk", None) else None, created_at=at or timezone.now(),
                          division_path=account.division_path, org_path=account.org_path)
            entry.save(force_insert=True)
            _add_totals(account, occurred_on, *_board_effect(kind, amount, reverses))
    except IntegrityError:
        found = existing_entry(key, account)  # the same request, sent twice at once: the other one won
        if found is None:
            raise
        return found, False
    audit.record(actor=actor, action=A_POSTED, obj=entry, after={
        "account": str(account), "kind": kind, "amount": amount, "reason": reason, "key": key})
    return entry, True


def check_rule(account: Account, rule: Rule) -> None:
    """A rule may only be used for the accounts of its own organisation and kind."""
    book = rule.rulebook
    if book.organisation_id != account.organisation_id:
        raise ValidationError({"rule": f"规则“{rule.name}”属于{book.organisation.name},"
                                       f"不能用于{account.organisation.name}的账户"})
    if book.applies_to != account.kind:
        raise ValidationError({"rule": f"规则“{rule.name}”适用于{book.get_applies_to_display()}账户"})
    if not rule.active or not book.active:
        raise ValidationError({"rule": f"规则“{rule.name}”已停用"})
    if not account.active:
        raise ValidationError({"account": "该积分账户已停用"})


def check_cap(account: Account, rule: Rule, occurred_on: dt.date, amount: int) -> None:
    if rule.cap is None:
        return
    start, end = period_range(occurred_on, rule.cap_period)
    used = Entry.objects.filter(account=account, rule=rule, occurred_on__range=(start, end)).aggregate(
        s=Sum("amount"))["s"] or 0
    if abs(used + amount) > rule.cap:
        label = Period(rule.cap_period).label.removeprefix("每")
        raise ValidationError({"times": f"“{rule.name}”本{label}已计{abs(used)}分,上限{rule.cap}分,"
                                        f"本次{abs(amount)}分超出上限"})


@transaction.atomic
def post_points(*, actor, account: Account, rule: Rule, idempotency_key: str, occurred_on: dt.date,
                times: int = 1, reason: str = "", source_type: str = "", source_id: str = "", approved_by=None,
                at: dt.datetime | None = None) -> Entry:
    """Post the points a rule gives (or deducts) for ``times`` occurrences. The same key posts once."""
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_TIMES:
        raise ValidationError({"times": f"次数应为1至{MAX_TIMES}的整数"})
    found = existing_entry(idempotency_key, account)
    if found is not None:
        return found
    check_rule(account, rule)
    at = at or timezone.now()
    if occurred_on > timezone.localtime(at).date():
        raise ValidationError({"occurred_on": "发生日期不能晚于今天"})
    amount = rule.points * times
    check_cap(account, rule, occurred_on, amount)
    kind = EntryKind.EARN if amount > 0 else EntryKind.DEDUCT
    entry, _ = append(account=account, kind=kind, amount=amount, reason=reason or rule.name, key=idempotency_key,
                      occurred_on=occurred_on, actor=actor, rule=rule, source_type=source_type,
                      source_id=source_id, approved_by=approved_by, at=at)
    return entry


def may_manage(actor, account_or_org) -> bool:
    return bool(getattr(actor, "can", lambda m: False)(roles.M_POINTS_MANAGE)) and is_visible(account_or_org, actor)


@transaction.atomic
def award(*, actor, account: Account, rule: Rule, occurred_on: dt.date, times: int = 1, reason: str = "",
          idempotency_key: str, at: dt.datetime | None = None) -> Entry:
    """Staff post points directly under a rule (e.g. after an activity they organised)."""
    if not may_manage(actor, account):
        raise PermissionDenied("只有本组织的积分管理员可以记分")
    return post_points(actor=actor, account=account, rule=rule, occurred_on=occurred_on, times=times,
                       reason=reason, idempotency_key=idempotency_key, source_type="manual", approved_by=actor,
                       at=at)


@transaction.atomic
def reverse(*, actor, entry: Entry, reason: str, at: dt.datetime | None = None) -> Entry:
    """Correct an earning or a deduction with an opposite entry; spending is undone by cancelling the order."""
    entry = Entry.objects.select_related("account", "rule").get(pk=entry.pk)
    if not may_manage(actor, entry.account):
        raise PermissionDenied("只有本组织的积分管理员可以冲正")
    if entry.kind == EntryKind.REVERSAL:
        raise ValidationError("冲正记录不能再冲正;如需更正,请按规则重新记分")
    if entry.kind not in (EntryKind.EARN, EntryKind.DEDUCT):
        raise ValidationError("兑换和退还不能冲正,请通过取消订单处理")
    if Entry.objects.filter(reverses=entry).exists():
        raise ValidationError("该记录已冲正")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写冲正原因"})
    rev, _ = append(account=entry.account, kind=EntryKind.REVERSAL, amount=-entry.amount,
                    reason=f"冲正:{reason}"[:200], key=f"reversal:{entry.pk}", occurred_on=entry.occurred_on,
                    actor=actor, rule=entry.rule, source_type="reversal", source_id=str(entry.pk),
                    approved_by=actor, reverses=entry, at=at)
    audit.record(actor=actor, action=A_REVERSED, obj=rev, after={"reverses": entry.pk, "reason": reason})
    return rev
