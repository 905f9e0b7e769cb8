"""Boards: the Party members' board (党员积分榜) per organisation and period, the households' red and black lists
(红黑榜), publishing a snapshot, and the public page villagers open by link or QR code (no login)."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ningju.core import roles
from ningju.core.scoping import get_visible_or_404
from ningju.orgs.models import Organisation
from ningju.web.access import module_required, run_action

from .. import selectors
from ..forms import PublishForm
from ..models import BoardPublication
from ..services import boards as board_services
from ..services.ledger import may_manage
from .common import default_of, form_errors, party_orgs, period_choices, period_label, staff_nav

BOARD_LIMIT = 100


def _public_url(request, path: str) -> str:
    base = getattr(settings, "NINGJU_PUBLIC_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@module_required(roles.M_POINTS)
def boards(request):
    user = request.user
    orgs = list(party_orgs(user)[:300])
    org = next((o for o in orgs if str(o.pk) == request.GET.get("org", "")), None) or default_of(user, orgs)
    choices = period_choices()
    period = request.GET.get("period") or choices[2][0]  # this month
    try:
        selectors.check_period(period)
    except ValidationError:
        period = choices[2][0]
    if period not in dict(choices):
        choices.append((period, period_label(period)))
    ctx = {"orgs": orgs, "org": org, "period": period, "periods": choices, "period_label": period_label(period),
           "staff_nav": staff_nav(user, "points:boards")}
    if org is not None:
        red, black = selectors.red_black(organisation=org, period=period)
        ctx.update(members=selectors.members_board(organisation=org, period=period, limit=BOARD_LIMIT),
                   red=red, black=black, may_publish=may_manage(user, org),
                   publications=BoardPublication.objects.visible_to(user).filter(organisation=org)
                   .select_related("published_by")[:10])
    return render(request, "points/boards.html", ctx)


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def publish(request):
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form) or "请重新选择榜单")
        return redirect("points:boards")
    data = form.cleaned_data
    org = get_visible_or_404(Organisation, request.user, pk=data["organisation"])
    published = {}

    def act():
        published["pub"] = board_services.publish(actor=request.user, organisation=org, kind=data["kind"],
                                                  period=data["period"])
        return published["pub"]

    if run_action(request, act, lambda p: f"已发布{org.name}{period_label(p.period)}{p.get_kind_display()}"):
        return redirect("points:publication", pk=published["pub"].pk)
    return redirect(f"{reverse('points:boards')}?org={org.pk}&period={data['period']}")


def _publication(request, pk) -> BoardPublication:
    return get_visible_or_404(BoardPublication.objects.select_related("organisation", "published_by"), request.user,
                              pk=pk)


@module_required(roles.M_POINTS)
def publication(request, pk):
    pub = _publication(request, pk)
    return render(request, "points/publication.html", {
        "pub": pub, "period_label": period_label(pub.period),
        "public_url": _public_url(request, reverse("points:published", args=[pub.token])),
        "staff_nav": staff_nav(request.user, "points:boards")})


@module_required(roles.M_POINTS)
def publication_qr(request, pk):
    """The QR code of the public link, drawn here (segno), never by an outside service."""
    pub = _publication(request, pk)
    qr = segno.make(_public_url(request, reverse("points:published", args=[pub.token])), error="m")
    buf = io.BytesIO()
    if request.GET.get("format") == "png":
        qr.save(buf, kind="png", scale=10, border=2)
        response = HttpResponse(buf.getvalue(), content_type="image/png")
        ext = "png"
    else:
        qr.save(buf, kind="svg", scale=6, border=2, xmldecl=False, svgclass="qr", lineclass=None)
        response = HttpResponse(buf.getvalue(), content_type="image/svg+xml")
        ext = "svg"
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="board-{pub.pk}-qr.{ext}"'
    return response


def published(request, token):
    """The published board, for anyone with the link (no login): the snapshot as it was published, names as
    the village publishes them."""
    pub = selectors.publication(token=token[:64])
    if pub is None:
        raise Http404("榜单不存在或链接有误")
    rows = pub.rows or []
    return render(request, "points/published.html", {
        "pub": pub, "period_label": period_label(pub.period),
        "members": rows if pub.kind == BoardPublication.Kind.MEMBERS else [],
        "red": [r for r in rows if r.get("list") == "red"],
        "black": [r for r in rows if r.get("list") == "black"],
        "published_at": timezone.localtime(pub.published_at)})
