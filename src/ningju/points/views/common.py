"""Helpers shared by the points pages: the staff page links, organisation pickers, periods, safe redirects."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from ningju.core import roles
from ningju.orgs.models import PARTY_KINDS, Kind, Organisation
from ningju.people.models import Person

from ..models import Shop

STAFF_LINKS = [
    (roles.M_POINTS, "概览", "points:home"),
    (roles.M_POINTS_MANAGE, "记分", "points:award"),
    (roles.M_POINTS, "申报审核", "points:declarations"),
    (roles.M_POINTS, "公示", "points:publicity"),
    (roles.M_POINTS, "积分规则", "points:rules"),
    (roles.M_POINTS, "农户与账户", "points:households"),
    (roles.M_POINTS, "积分榜", "points:boards"),
    (roles.M_POINTS_MANAGE, "积分超市", "points:shop_manage"),
]

# Organisations that keep points: Party organisations (members' accounts, boards) and village committees.
KEEPING_KINDS = (*PARTY_KINDS, Kind.VILLAGE_COMMITTEE, Kind.COMMUNITY_COMMITTEE)


def staff_nav(user, current: str) -> list[dict]:
    """The row of links between the points pages the user's role may use."""
    return [{"label": label, "url": reverse(name), "current": name == current}
            for module, label, name in STAFF_LINKS if user.can(module)]


def any_module_required(*modules: str):
    """Like ``web.access.module_required``, for a page that any of several modules opens."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not any(request.user.can(m) for m in modules):
                raise PermissionDenied("当前角色无权使用该功能")
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


def keeping_orgs(user):
    """Active organisations in the user's scope that may keep points accounts, rulebooks, shops."""
    return (Organisation.objects.visible_to(user).filter(is_active=True, kind__in=KEEPING_KINDS)
            .select_related("division").order_by("path"))


def party_orgs(user):
    return keeping_orgs(user).filter(kind__in=PARTY_KINDS)


def default_of(user, options: list):
    """The user's own organisation when it is among ``options``, else the first option."""
    return next((o for o in options if o.pk == user.organisation_id), options[0] if options else None)


def visible_logins(user):
    """Active logins the user may see: in scope by organisation, or the login of a person in scope."""
    User = get_user_model()
    return (User.objects.filter(Q(pk__in=User.objects.visible_to(user).values("pk"))
                                | Q(person__in=Person.objects.visible_to(user).values("pk")), is_active=True)
            .select_related("organisation").order_by("name", "pk"))


def kept_shops(user):
    """Shops the user keeps, and for points managers every shop in scope."""
    q = Q(keepers=user)
    if user.can(roles.M_POINTS_MANAGE):
        q |= Q(pk__in=Shop.objects.visible_to(user).values("pk"))
    return Shop.objects.filter(q).distinct().select_related("organisation").order_by("division_path", "pk")


def keeps_a_shop(user) -> bool:
    return Shop.objects.filter(keepers=user).exists()


# --- periods ---------------------------------------------------------------------------------------------

def period_label(period: str) -> str:
    return f"{period[:4]}年{int(period[5:])}月" if len(period) == 7 else f"{period}年"


def period_choices(today: dt.date | None = None) -> list[tuple[str, str]]:
    """This year and last year, then the last twelve months."""
    today = today or timezone.localdate()
    out = [(str(today.year), f"{today.year}年(全年)"), (str(today.year - 1), f"{today.year - 1}年(全年)")]
    y, m = today.year, today.month
    for _ in range(12):
        p = f"{y}-{m:02d}"
        out.append((p, period_label(p)))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def path_prefixes(path: str) -> list[str]:
    """Every ancestor-or-self prefix of a materialised path ("a/b/c/" → "a/", "a/b/", "a/b/c/")."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def back(request, default: str, **kwargs):
    """Redirect to the form's ``next`` when it is a local address, else to ``default``."""
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return redirect(nxt)
    return redirect(default, **kwargs)


def form_errors(form) -> str:
    return ";".join(str(e) for errs in form.errors.values() for e in errs)
