"""Reads behind the Open311 endpoint: the services and the service requests.

* Services are the active public grievance (诉求) categories that have no active sub-category; ``group`` is the
  parent category. Incident reports (事件报告) are not offered: only "1+3+N" grid members may file them, through
  their own pages.
* Two views of a request (PIPL). Without an ``api_key`` a GET answers only what identifies nobody — the number,
  status, service, responsible organisation and times — of grievances in public categories. With an ``api_key``
  it answers the grievances the key's user may see (``Case.objects.visible_to``: the cases it filed, and for
  staff those of their scope) with text, address, coordinates and the reply. The filer's name and phone are
  never answered.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.http import Http404

from ningju.cases import selectors as case_selectors
from ningju.cases.models import Case, Category, parse_number
from ningju.cases.states import CaseKind, Status

from .params import MAX_REQUESTS, RequestFilters

SERVICE_KIND = CaseKind.GRIEVANCE
# Open311 knows two states: a request is "closed" once the responsible organisation has replied (or it was
# merged into another); every state before is "open".
CLOSED_STATES = (Status.REPLIED, Status.CLOSED, Status.MERGED)
# Internal steps that are no change of the request as its filer sees it.
_INTERNAL_ACTIONS = ("remind", "supervise")


def jurisdiction_id() -> str:
    """Our jurisdiction; a call naming another one is answered 404."""
    return settings.NINGJU_OPEN311_JURISDICTION


def services() -> list[Category]:
    cats = list(case_selectors.categories(kind=SERVICE_KIND, public_only=True).select_related("parent"))
    parents = {c.parent_id for c in cats if c.parent_id}
    return [c for c in cats if c.pk not in parents]


def service(code: str) -> Category | None:
    return next((c for c in services() if c.code == code), None)


def _requests(user) -> QuerySet[Case]:
    qs = Case.objects.visible_to(user) if user is not None else Case.objects.filter(category__public=True)
    return (qs.filter(kind=SERVICE_KIND).select_related("category", "organisation", "division", "merged_into")
            .annotate(updated_at=Max("events__at", filter=~Q(events__action__in=_INTERNAL_ACTIONS))))


def requests(*, user, filters: RequestFilters) -> list[Case]:
    """The requests a GET lists, newest first, at most :data:`MAX_REQUESTS`; ``user`` None is the public view."""
    qs = _requests(user)
    if filters.ids is not None:
        found = qs.filter(pk__in=filters.ids)
        return [c for c in found.order_by("-submitted_at", "-id") if c.number in filters.numbers]
    qs = qs.filter(submitted_at__gte=filters.start, submitted_at__lte=filters.end)
    if filters.codes:
        qs = qs.filter(category__code__in=filters.codes)
    if filters.statuses and len(set(filters.statuses)) == 1:
        closed = Q(status__in=CLOSED_STATES)
        qs = qs.filter(closed if filters.statuses[0] == "closed" else ~closed)
    return list(qs.order_by("-submitted_at", "-id")[:MAX_REQUESTS])


def request_get(*, user, number: str) -> Case:
    """One request by its number (e.g. SQ20261118000123); 404 for "not there" and "not yours" alike."""
    number = (number or "").strip().upper()
    pk = parse_number(number)
    case = _requests(user).filter(pk=pk).first() if pk else None
    if case is None or case.number != number:
        raise Http404("事项不存在")
    return case


def request_by_token(token: str) -> Case:
    """The request a POST answered with ``token``; the token is a random secret known only to its poster."""
    token = (token or "").strip().lower()
    case = Case.objects.filter(open311_token=token).first() if token else None
    if case is None:
        raise Http404("token 不存在")
    return case


def open311_status(case: Case) -> str:
    return "closed" if case.status in CLOSED_STATES else "open"
