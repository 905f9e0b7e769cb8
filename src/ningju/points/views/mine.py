"""A villager's (or worker's) own points on the phone: balance, this year's sums, the ledger, declarations; declaring
under a rule; the village publicity list (公示), where villagers and the village's staff may object."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ningju.core import roles
from ningju.geo.models import Division
from ningju.web.access import attach_errors, module_required, run_action

from .. import selectors
from ..forms import DeclareForm, ObjectForm
from ..models import Declaration, Entry, PeriodTotal, Rule
from ..services import declarations as declaration_services
from .common import any_module_required, form_errors, keeps_a_shop, staff_nav

IN_PUBLICITY = (Declaration.Status.PUBLICITY, Declaration.Status.OBJECTED)


@module_required(roles.M_POINTS_MY)
def mine(request):
    user = request.user
    accounts = list(selectors.my_accounts(user=user).select_related("household"))
    year = str(timezone.localdate().year)
    totals = {t.account_id: t for t in PeriodTotal.objects.filter(account__in=accounts, period=year)}
    for a in accounts:
        t = totals.get(a.pk)
        a.year_earned, a.year_deducted = (t.earned, t.deducted) if t else (0, 0)
    entries = (Entry.objects.visible_to(user).filter(account__in=accounts)
               .select_related("account", "rule", "reverses")[:30])
    return render(request, "points/mine.html", {
        "accounts": accounts, "year": year, "entries": entries, "several": len(accounts) > 1,
        "declarations": selectors.declarations(user=user)[:20],
        "n_placed": selectors.orders(user=user, status="placed").count(),
        "keeper": keeps_a_shop(user)})


def declarable_rules(account) -> list[Rule]:
    """The rules of the account's active rulebook that accept declarations."""
    return list(Rule.objects.filter(rulebook__organisation_id=account.organisation_id,
                                    rulebook__applies_to=account.kind, rulebook__active=True, active=True,
                                    declarable=True).select_related("rulebook").order_by("category", "id"))


@module_required(roles.M_POINTS_MY)
def declare(request):
    user = request.user
    accounts = selectors.my_accounts(user=user)
    rules_by_account = {a: declarable_rules(a) for a in accounts}
    form = DeclareForm(request.POST or None, accounts=accounts, rules_by_account=rules_by_account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            d = declaration_services.submit(actor=user, account=data["account"], rule=data["rule"],
                                            occurred_on=data["occurred_on"], note=data["note"],
                                            times=data["times"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已提交申报“{d.rule.name}”,村(社区)审核通过后公示,公示期满无异议即入账。")
            return redirect("points:mine")
    return render(request, "points/declare.html", {
        "form": form, "has_accounts": bool(rules_by_account),
        "has_rules": any(rules_by_account.values())}, status=400 if form.is_bound and form.errors else 200)


# --- publicity -----------------------------------------------------------------------------------------

def _own_villages(user) -> list[str]:
    return list(selectors.my_accounts(user=user).values_list("division_path", flat=True).distinct())


def _publicity_q(user) -> Q:
    """Declarations the user may see in publicity: their own villages' (villagers), those in scope (staff)."""
    q = Q(division_path__in=_own_villages(user))
    if user.can(roles.M_POINTS):
        q |= Q(pk__in=Declaration.objects.visible_to(user).values("pk"))
    return q


@any_module_required(roles.M_POINTS, roles.M_POINTS_MY)
def publicity(request):
    user = request.user
    rows = list(Declaration.objects.filter(_publicity_q(user), status__in=IN_PUBLICITY)
                .select_related("account", "rule").order_by("division_path", "publicity_until", "pk")[:300])
    names = dict(Division.objects.filter(path__in={d.division_path for d in rows}).values_list("path", "name"))
    now = timezone.now()
    villages: dict[str, list] = {}
    for d in rows:
        d.may_object = d.status == Declaration.Status.PUBLICITY and d.publicity_until and now <= d.publicity_until
        villages.setdefault(names.get(d.division_path, ""), []).append(d)
    staff = user.can(roles.M_POINTS)
    return render(request, "points/publicity.html", {
        "villages": villages, "staff": staff, "object_form": ObjectForm(),
        "staff_nav": staff_nav(user, "points:publicity") if staff else []})


@any_module_required(roles.M_POINTS, roles.M_POINTS_MY)
@require_POST
def object_to(request, pk):
    user = request.user
    d = Declaration.objects.filter(_publicity_q(user), pk=pk).select_related("account", "rule").first()
    if d is None:
        raise Http404("公示不存在或无权查看")
    form = ObjectForm(request.POST)
    if form.is_valid():
        run_action(request, lambda: declaration_services.object_to(actor=user, declaration=d,
                                                                   text=form.cleaned_data["text"]),
                   f"已提交异议:{d.account.name}“{d.rule.name}”暂停入账,由村(社区)核实处理。")
    else:
        messages.error(request, form_errors(form))
    return redirect("points:publicity")
