"""Publishing a board: a snapshot with names as villages publish them, opened by link on a phone."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ningju.core import audit

from .. import selectors
from ..models import BoardPublication
from .ledger import may_manage

A_PUBLISHED = audit.register_action("points.board.published", "发布积分榜")


@transaction.atomic
def publish(*, actor, organisation, kind: str, period: str, at: dt.datetime | None = None) -> BoardPublication:
    if not may_manage(actor, organisation):
        raise PermissionDenied("只有本组织的积分管理员可以发布榜单")
    if kind not in BoardPublication.Kind.values:
        raise ValidationError({"kind": "榜单类型不正确"})
    selectors.check_period(period)
    if kind == BoardPublication.Kind.MEMBERS:
        rows = [{"rank": r.rank, "name": r.name, "earned": r.earned, "deducted": r.deducted, "net": r.net}
                for r in selectors.members_board(organisation=organisation, period=period)]
    else:
        red, black = selectors.red_black(organisation=organisation, period=period)
        rows = [{"list": "red", "rank": r.rank, "name": r.name, "net": r.net} for r in red] + \
               [{"list": "black", "rank": r.rank, "name": r.name, "deducted": r.deducted} for r in black]
    pub = BoardPublication.objects.create(organisation=organisation, kind=kind, period=period,
                                          token=secrets.token_urlsafe(16), rows=rows, published_by=actor,
                                          published_at=at or timezone.now(), org_path=organisation.path,
                                          division_path=organisation.division.path)
    audit.record(actor=actor, action=A_PUBLISHED, obj=pub, after={"kind": kind, "period": period, "rows": len(rows)})
    return pub
