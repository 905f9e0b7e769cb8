"""Reads of the case engine, always through ``visible_to(user)`` (or the filer's query code)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ningju.core.crypto import keyed_hash
from ningju.core.idcard import mask_phone
from ningju.core.scoping import get_visible_or_404

from . import permissions
from .models import Case, CaseEvent, Category, Notification, RoutingRule, Seminar, Supervision, parse_number
from .states import HANDLER_STATES, OPEN_STATES, RESOLVED_STATES, SATISFIED_RATINGS, Status

_RELATED = ("category", "division", "organisation", "filer")


def case_list(*, user, kind: str | None = None, status: str | None = None, q: str | None = None,
              category: Category | None = None, division_path: str | None = None, org_path: str | None = None,
              overdue: bool = False, source: str | None = None, seminar: Seminar | None = None,
              now: dt.datetime | None = None) -> QuerySet[Case]:
    qs = Case.objects.visible_to(user).select_related(*_RELATED)
    if kind:
        qs = qs.filter(kind=kind)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATES)
    elif status:
        qs = qs.filter(status=status)
    if category is not None:
        qs = qs.filter(category_path__startswith=category.path)
    if division_path:
        qs = qs.filter(division_path__startswith=division_path)
    if org_path:
        qs = qs.filter(org_path__startswith=org_path)
    if source:
        qs = qs.filter(source=source)
    if seminar is not None:
        qs = qs.filter(seminar=seminar)
    if overdue:
        qs = qs.filter(overdue_q(now or timezone.now()))
    if q:
        q = q.strip()
        pk = parse_number(q)
        qs = qs.filter(Q(pk=pk) if pk else Q(title__icontains=q) | Q(text__icontains=q))
    return qs


def overdue_q(now: dt.datetime) -> Q:
    return Q(status=Status.DISPATCHED, accept_due__lt=now) | Q(status__in=HANDLER_STATES, reply_due__lt=now)


def inbox(*, user, state: str | None = None) -> QuerySet[Case]:
    """The handler's inbox: cases of the user's organisation (and below) that still need it, soonest due first."""
    if not user.organisation_id:
        qs = Case.objects.none()
    else:
        qs = (Case.objects.visible_to(user).select_related(*_RELATED)
              .filter(Q(org_path__startswith=user.organisation.path) | Q(owner=user)))
    states = [state] if state in HANDLER_STATES else list(HANDLER_STATES)
    return qs.filter(status__in=states).order_by("reply_due", "id")


def queue(*, user) -> QuerySet[Case]:
    """Cases waiting for a dispatcher: unassigned, returned, or re-opened without an organisation."""
    return (Case.objects.visible_to(user).select_related(*_RELATED)
            .filter(status=Status.SUBMITTED).order_by("submitted_at", "id"))


def pending_extensions(*, user) -> QuerySet[Case]:
    return (Case.objects.visible_to(user).select_related(*_RELATED)
            .filter(extension_days__gt=0, status__in=HANDLER_STATES).order_by("reply_due"))


def awaiting_callback(*, user) -> QuerySet[Case]:
    """Replied cases filed without a login (seminar, telephone): the filer's rating is taken by call-back."""
    return (Case.objects.visible_to(user).select_related(*_RELATED)
            .filter(status=Status.REPLIED, filer__isnull=True).order_by("replied_at"))


def mine(*, user) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return Case.objects.filter(Q(filer=user) | Q(owner=user)).select_related(*_RELATED).order_by("-submitted_at")


def case_get(*, user, pk: int) -> Case:
    return get_visible_or_404(Case.objects.select_related(*_RELATED, "seminar", "merged_into", "owner"), user, pk=pk)


def case_by_code(*, number: str, query_code: str) -> Case:
    """A case found by its number and query code (a filer without a login); 404 for any mismatch."""
    pk = parse_number(number)
    code = (query_code or "").strip().upper()
    if not pk or not code:
        raise Http404("事项不存在")
    case = Case.objects.select_related(*_RELATED).filter(pk=pk, query_code_hash=keyed_hash(code)).first()
    if case is None or case.number != number.strip().upper():
        raise Http404("事项不存在")
    return case


def timeline(case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("organisation").prefetch_related("attachments").order_by("at", "id"))


def public_timeline(case: Case) -> list[CaseEvent]:
    """What the filer sees: the steps, without internal reminders and notices."""
    return [e for e in timeline(case) if e.action not in ("remind", "supervise")]


def shown_phone(user, case: Case) -> str:
    return case.filer_phone if permissions.may_see_contact(user, case) else mask_phone(case.filer_phone)


def supervisions(*, user, open_only: bool = True) -> QuerySet[Supervision]:
    qs = Supervision.objects.visible_to(user).select_related("case", "handling_org", "organisation")
    return qs.filter(resolved_at__isnull=True) if open_only else qs


def overdue_cases(*, user, now: dt.datetime | None = None) -> QuerySet[Case]:
    now = now or timezone.now()
    return (Case.objects.visible_to(user).select_related(*_RELATED).filter(overdue_q(now))
            .order_by("reply_due", "id"))


def routing_rules(*, user) -> QuerySet[RoutingRule]:
    return (RoutingRule.objects.visible_to(user).filter(active=True)
            .select_related("category", "division", "organisation").order_by("division__path", "category__path"))


def categories(*, kind: str | None = None, public_only: bool = False) -> QuerySet[Category]:
    qs = Category.objects.filter(active=True)
    if kind:
        qs = qs.filter(kind=kind)
    if public_only:
        qs = qs.filter(public=True)
    return qs.order_by("path")


def seminars(*, user) -> QuerySet[Seminar]:
    return (Seminar.objects.visible_to(user).select_related("division", "organiser")
            .annotate(case_count=Count("cases")).order_by("-held_on", "-id"))


def notifications(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs


# --- the three rates -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    total: int            # cases filed in the period (merged duplicates excluded)
    due: int              # cases whose acceptance was due (accepted, or past the deadline)
    accepted_in_time: int
    resolved: int         # replied to (and not re-opened since)
    rated: int
    satisfied: int        # satisfied or basically satisfied

    @staticmethod
    def _pct(n: int, d: int) -> float | None:
        return round(100.0 * n / d, 1) if d else None

    @property
    def response_rate(self) -> float | None:  # 响应率
        return self._pct(self.accepted_in_time, self.due)

    @property
    def resolution_rate(self) -> float | None:  # 解决率
        return self._pct(self.resolved, self.total)

    @property
    def satisfaction_rate(self) -> float | None:  # 满意率
        return self._pct(self.satisfied, self.rated)


def rate_aggregates(now: dt.datetime) -> dict:
    return {
        "total": Count("id"),
        "due": Count("id", filter=Q(accepted_at__isnull=False) | Q(accept_due__lt=now)),
        "accepted_in_time": Count("id", filter=Q(accepted_at__isnull=False, accepted_at__lte=F("accept_due"))),
        "resolved": Count("id", filter=Q(status__in=RESOLVED_STATES)),
        "rated": Count("id", filter=~Q(rating="")),
        "satisfied": Count("id", filter=Q(rating__in=SATISFIED_RATINGS)),
    }


def rates_queryset(*, user, start: dt.datetime, end: dt.datetime, kind: str | None = None,
                   division_path: str | None = None, org_path: str | None = None,
                   category: Category | None = None) -> QuerySet[Case]:
    qs = Case.objects.visible_to(user).filter(submitted_at__gte=start, submitted_at__lt=end).exclude(
        status=Status.MERGED)
    if kind:
        qs = qs.filter(kind=kind)
    if division_path:
        qs = qs.filter(division_path__startswith=division_path)
    if org_path:
        qs = qs.filter(org_path__startswith=org_path)
    if category is not None:
        qs = qs.filter(category_path__startswith=category.path)
    return qs


def rates(*, user, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None, **filters) -> Rates:
    """响应率, 解决率 and 满意率 of the cases filed in [start, end) that the user may see."""
    row = rates_queryset(user=user, start=start, end=end, **filters).aggregate(**rate_aggregates(now or timezone.now()))
    return Rates(**row)


def rates_by(*, user, start: dt.datetime, end: dt.datetime, by: str, now: dt.datetime | None = None,
             **filters) -> list[tuple[str, Rates]]:
    """The rates grouped by ``by``: "division" (the next level below the filter), "organisation",
    "category" (top level below the filter) or "month"."""
    from django.db.models.functions import Substr, TruncMonth

    now = now or timezone.now()
    qs = rates_queryset(user=user, start=start, end=end, **filters)
    aggs = rate_aggregates(now)
    if by == "division":
        depth = (filters.get("division_path") or "").count("/") + 1
        # Division paths are 12-digit codes plus "/" per level (13 characters each).
        rows = qs.annotate(key=Substr("division_path", 1, 13 * depth)).values("key").annotate(**aggs)
        from ningju.geo.models import Division

        names = {d.path: d.name for d in Division.objects.filter(path__in=[r["key"] for r in rows])}
        out = [(names.get(r.pop("key"), "其他"), Rates(**r)) for r in rows]
    elif by == "organisation":
        rows = qs.values("organisation__name").annotate(**aggs)
        out = [(r.pop("organisation__name") or "待分派", Rates(**r)) for r in rows]
    elif by == "category":
        base = filters.get("category")
        depth = (base.path.count("/") if base else 0) + 1
        paths = {c.path: c for c in Category.objects.all()}
        rows = qs.values("category_path").annotate(**aggs)
        merged: dict[str, dict] = {}
        for r in rows:
            parts = r.pop("category_path").split("/")[:depth]
            key = "/".join(parts) + "/"
            acc = merged.setdefault(key, dict.fromkeys(r, 0))
            for k, v in r.items():
                acc[k] += v
        out = [(paths[k].name if k in paths else k, Rates(**v)) for k, v in merged.items()]
    elif by == "month":
        rows = qs.annotate(key=TruncMonth("submitted_at")).values("key").annotate(**aggs).order_by("key")
        out = []
        for r in rows:
            key = r.pop("key")
            out.append((f"{timezone.localtime(key):%Y-%m}" if key else "", Rates(**r)))
    else:
        raise ValueError(f"unknown grouping {by!r}")
    return sorted(out, key=lambda kv: kv[0]) if by != "month" else out
