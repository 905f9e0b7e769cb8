"""In-app notifications: who hears of a case's step. Written inside the step's transaction."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from ningju.core import roles
from ningju.orgs.models import Organisation

from ..models import Case, DutyShift, Notification
from .rules import prefixes


def _roles_with(module: str) -> list[str]:
    return [r.code for r in roles.ROLES.values() if module in r.modules]


def send(users, *, kind: str, title: str, body: str = "", case: Case | None = None, url: str = "",
         at: dt.datetime | None = None) -> int:
    """One notification per distinct active user; returns how many were written."""
    at = at or timezone.now()
    seen, rows = set(), []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, kind=kind, title=title[:120], body=body[:500], case=case, url=url,
                                 created_at=at))
    Notification.objects.bulk_create(rows)
    return len(rows)


def handlers_of(org: Organisation | None) -> list:
    """The logins that act for ``org`` on cases; if it has none, those of the nearest organisation above."""
    User = get_user_model()
    handler_roles = _roles_with(roles.M_CASES_HANDLE)
    while org is not None:
        users = list(User.objects.filter(organisation=org, is_active=True, role__in=handler_roles))
        if users:
            return users
        org = org.parent
    return []


def dispatchers_for(case: Case) -> list:
    """The dispatchers whose territory holds the case, nearest level first (town, then county, then city)."""
    User = get_user_model()
    dispatch_roles = _roles_with(roles.M_CASES_DISPATCH)
    for prefix in reversed(prefixes(case.division_path)):
        users = list(User.objects.filter(is_active=True, role__in=dispatch_roles,
                                         organisation__division__path=prefix))
        if users:
            return users
    return []


def on_duty_for(case: Case, day: dt.date) -> list:
    """On-duty leaders (值班领导) of every organisation whose territory holds the case, for ``day``."""
    shifts = (DutyShift.objects.filter(starts_on__lte=day, ends_on__gte=day,
                                       organisation__division__path__in=prefixes(case.division_path))
              .select_related("user"))
    return [s.user for s in shifts]


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, user, ids=None, at: dt.datetime | None = None) -> int:
    """Mark the user's own notifications read (all, or those ids); returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(Q(pk__in=list(ids)))
    return qs.update(read_at=at or timezone.now())
