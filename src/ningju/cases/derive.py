"""Re-derive a case's state columns from its event history alone.

The services keep ``Case.status``, the due times, acceptance, reply and rating in step with the events they
write; the rates are computed from those columns. :func:`derive` recomputes them from the events, and
``manage.py check_cases`` proves both agree for every case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.utils.dateparse import parse_datetime

from .models import Case, CaseEvent
from .states import Action

CHECKED = ("status", "organisation_id", "accept_due", "accepted_at", "reply_due", "replied_at", "rating",
           "reopen_count")
# Events that (re)start the handling by an organisation, carrying the new due times.
_ASSIGNING = {Action.ROUTE, Action.DISPATCH, Action.TRANSFER, Action.REOPEN}


def derive(events: Iterable[CaseEvent]) -> dict:
    state = {"status": "", "organisation_id": None, "accept_due": None, "accepted_at": None, "reply_due": None,
             "replied_at": None, "rating": "", "reopen_count": 0}
    for e in events:
        if e.to_status:
            state["status"] = e.to_status
        if e.action in _ASSIGNING:
            if e.action == Action.REOPEN:
                state["reopen_count"] += 1
                state["rating"], state["replied_at"] = "", None
            if e.data.get("accept_due"):
                state["organisation_id"] = e.organisation_id
                state["accept_due"] = parse_datetime(e.data["accept_due"])
                state["reply_due"] = parse_datetime(e.data["reply_due"])
                state["accepted_at"] = None
        elif e.action == Action.RETURN:
            state.update(organisation_id=None, accept_due=None, reply_due=None, accepted_at=None)
        elif e.action == Action.ACCEPT:
            state["accepted_at"] = e.at
        elif e.action == Action.REPLY:
            state["replied_at"] = e.at
        elif e.action in (Action.RATE, Action.CALLBACK):
            state["rating"] = e.data.get("rating", "")
        elif e.action == Action.EXTEND_APPROVE and e.data.get("reply_due"):
            state["reply_due"] = parse_datetime(e.data["reply_due"])
    return state


def _same(a, b) -> bool:
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return abs((a - b).total_seconds()) < 1e-3
    return a == b


def differences(*, batch: int = 2000, progress=None) -> Iterator[str]:
    """One line per case whose columns disagree with its events."""
    last_id, done = 0, 0
    while True:
        cases = list(Case.objects.filter(pk__gt=last_id).order_by("pk").only("pk", *CHECKED)[:batch])
        if not cases:
            return
        by_case: dict[int, list[CaseEvent]] = {c.pk: [] for c in cases}
        for e in CaseEvent.objects.filter(case_id__in=by_case.keys()).order_by("case_id", "at", "id"):
            by_case[e.case_id].append(e)
        for case in cases:
            derived = derive(by_case[case.pk])
            for field in CHECKED:
                if not _same(getattr(case, field), derived[field]):
                    yield f"{case.number}: {field} = {getattr(case, field)!r},按流转记录应为 {derived[field]!r}"
        last_id = cases[-1].pk
        done += len(cases)
        if progress:
            progress(done)
