"""Reminders before a deadline and overdue notices (督办) to the organisation above.

``manage.py cases_tick`` runs :func:`tick` (every 10 minutes from cron or a systemd timer in production).
It is idempotent: a reminder is sent once per deadline, a notice is raised once per (case, reason,
deadline), so running it twice, or on two machines, changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ningju.core import audit

from ..models import Case, Supervision
from ..states import HANDLER_STATES, Action, Status
from . import notify
from .flow import event

A_SUPERVISED = audit.register_action("cases.supervision.raised", "超期督办")

MIN_LEAD = dt.timedelta(hours=1)
MAX_LEAD = dt.timedelta(days=1)


@dataclass(frozen=True)
class TickResult:
    reminded: int
    supervised: int


def lead(start: dt.datetime | None, due: dt.datetime) -> dt.timedelta:
    """How long before a deadline to remind: a fifth of the time allowed, between 1 hour and 1 day."""
    if start is None:
        return MIN_LEAD
    return min(MAX_LEAD, max(MIN_LEAD, (due - start) / 5))


def supervising_org(case: Case):
    org = case.organisation
    return org.parent if org.parent_id else org


def tick(*, now: dt.datetime | None = None) -> TickResult:
    now = now or timezone.now()
    reminded = supervised = 0
    soon = now + MAX_LEAD
    accept_soon = Case.objects.filter(status=Status.DISPATCHED, accept_reminded=False, accept_due__gt=now,
                                      accept_due__lte=soon).select_related("organisation")
    for case in accept_soon:
        if case.accept_due - lead(case.dispatched_at, case.accept_due) <= now:
            reminded += _remind(case, "accept", now)
    reply_soon = Case.objects.filter(status__in=HANDLER_STATES, reply_reminded=False, reply_due__gt=now,
                                     reply_due__lte=soon).select_related("organisation")
    for case in reply_soon:
        if case.reply_due - lead(case.dispatched_at, case.reply_due) <= now:
            reminded += _remind(case, "reply", now)

    overdue = Case.objects.filter(
        Q(status=Status.DISPATCHED, accept_due__lt=now) | Q(status__in=HANDLER_STATES, reply_due__lt=now)
    ).select_related("organisation", "organisation__parent")
    for case in overdue:
        if case.status == Status.DISPATCHED and case.accept_due < now:
            supervised += _supervise(case, Supervision.Reason.ACCEPT_OVERDUE, case.accept_due, now)
        if case.reply_due < now:
            supervised += _supervise(case, Supervision.Reason.REPLY_OVERDUE, case.reply_due, now)
    return TickResult(reminded=reminded, supervised=supervised)


@transaction.atomic
def _remind(case: Case, which: str, now: dt.datetime) -> int:
    flag = f"{which}_reminded"
    due = case.accept_due if which == "accept" else case.reply_due
    # The flag is set with a conditional update: a concurrent tick reminds once.
    if not Case.objects.filter(pk=case.pk, **{flag: False}).update(**{flag: True}):
        return 0
    what = "受理" if which == "accept" else "答复"
    local_due = timezone.localtime(due)
    event(case, Action.REMIND, actor=None, at=now, from_status=case.status,
          comment=f"距{what}期限({local_due:%m月%d日 %H:%M})不足{_hours(due - now)}", data={"which": which})
    notify.send(notify.handlers_of(case.organisation), kind="reminder", at=now, case=case,
                title=f"临期提醒:{case.title}", body=f"{case.number} 请于{local_due:%m月%d日 %H:%M}前{what}")
    return 1


def _hours(delta: dt.timedelta) -> str:
    hours = max(1, int(delta.total_seconds() // 3600) + 1)
    return f"{hours}小时" if hours < 48 else f"{hours // 24}天"


def _supervise(case: Case, reason: str, due: dt.datetime, now: dt.datetime) -> int:
    if Supervision.objects.filter(case=case, reason=reason, due_at=due).exists():
        return 0
    over = supervising_org(case)
    try:
        with transaction.atomic():
            notice = Supervision.objects.create(case=case, reason=reason, due_at=due, handling_org=case.organisation,
                                                organisation=over, org_path=over.path, raised_at=now)
            label = Supervision.Reason(reason).label
            event(case, Action.SUPERVISE, actor=None, at=now, from_status=case.status, organisation=over,
                  comment=f"{label},已向{over.name}发出督办", data={"reason": reason, "supervision": notice.pk})
            notify.send(notify.handlers_of(over) + notify.dispatchers_for(case), kind="supervision", at=now, case=case,
                        title=f"督办:{case.organisation.name}{label}", body=f"{case.number} {case.title}")
            notify.send(notify.handlers_of(case.organisation), kind="supervision", at=now, case=case,
                        title=f"您单位的事项{label},已被督办", body=f"{case.number} {case.title}")
            audit.record(actor=None, action=A_SUPERVISED, obj=notice, after=audit.snapshot(notice), source="job")
    except IntegrityError:  # a concurrent tick raised the same notice
        return 0
    return 1
