"""Staff pages: the overview of accounts, an account's ledger, awarding points, reversals, reviewing declarations
and resolving objections."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ningju.core import roles
from ningju.core.scoping import get_visible_or_404
from ningju.web.access import module_required, render_htmx, run_action

from .. import selectors
from ..forms import AwardForm, LinkForm, ResolveForm, ReverseForm, ReviewForm
from ..models import Account, AccountKind, Declaration, Entry, EntryKind, PeriodTotal, Rule
from ..services import declarations as declaration_services
from ..services import ledger
from ..services.logins import linkable_users
from .common import back, form_errors, staff_nav

REVERSIBLE = (EntryKind.EARN, EntryKind.DEDUCT)
AWARD_ACCOUNTS_SHOWN = 300


# --- overview ------------------------------------------------------------------------------------------

@module_required(roles.M_POINTS)
def home(request):
    user = request.user
    q = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "")
    kind = kind if kind in AccountKind.values else ""
    page = Paginator(selectors.accounts(user=user, kind=kind, q=q), 30).get_page(request.GET.get("page"))
    ctx = {"page": page, "q": q, "kind": kind, "kinds": AccountKind.choices}
    if request.htmx and not request.htmx.boosted:
        return render(request, "points/_account_rows.html", ctx)
    by_kind = dict(selectors.accounts(user=user).values_list("kind").annotate(n=Count("id")).order_by())
    total = selectors.accounts(user=user).aggregate(s=Sum("balance"))["s"] or 0
    pending = selectors.declarations(user=user, status=Declaration.Status.SUBMITTED)
    objected = selectors.declarations(user=user, status=Declaration.Status.OBJECTED)
    ctx.update({
        "staff_nav": staff_nav(user, "points:home"),
        "n_households": by_kind.get(AccountKind.HOUSEHOLD, 0), "n_members": by_kind.get(AccountKind.MEMBER, 0),
        "total_balance": total,
        "recent": Entry.objects.visible_to(user).select_related("account", "rule")[:10],
        "pending": pending[:5], "n_pending": pending.count(),
        "objected": objected[:5], "n_objected": objected.count(),
    })
    return render(request, "points/home.html", ctx)


# --- one account ---------------------------------------------------------------------------------------

def _reversal_of(entry: Entry) -> Entry | None:
    try:
        return entry.reversed_by
    except Entry.DoesNotExist:
        return None


@module_required(roles.M_POINTS)
def account(request, pk):
    user = request.user
    acc = get_visible_or_404(Account.objects.select_related("organisation", "household__village", "person",
                                                             "user"), user, pk=pk)
    entries = (selectors.ledger(user=user, account=acc)
               .select_related("reverses", "reversed_by", "created_by"))
    page = Paginator(entries, 30).get_page(request.GET.get("page"))
    can_manage = ledger.may_manage(user, acc)
    for e in page.object_list:
        e.reversal = _reversal_of(e)
        e.may_reverse = can_manage and e.kind in REVERSIBLE and e.reversal is None
    year = str(timezone.localdate().year)
    totals = PeriodTotal.objects.filter(account=acc, period=year).first()
    ctx = {
        "acc": acc, "page": page, "can_manage": can_manage, "year": year,
        "earned": totals.earned if totals else 0, "deducted": totals.deducted if totals else 0,
        "declarations": selectors.declarations(user=user).filter(account=acc)[:20],
        "orders": selectors.orders(user=user).filter(account=acc)[:10],
        "staff_nav": staff_nav(user, ""),
    }
    if can_manage:
        users = linkable_users(user)
        ctx.update(link_form=LinkForm(users=users, initial={"user": acc.user_id}),
                   user_options=_with(list(users.select_related("organisation")[:30]), acc.user))
    return render_htmx(request, "points/account.html", "points/_ledger.html", ctx)


def _with(options: list, chosen) -> list:
    if chosen is None or any(o.pk == chosen.pk for o in options):
        return options
    return [chosen, *options]


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def reverse_entry(request, pk):
    entry = get_visible_or_404(Entry.objects.select_related("account"), request.user, pk=pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        run_action(request, lambda: ledger.reverse(actor=request.user, entry=entry,
                                                   reason=form.cleaned_data["reason"]),
                   lambda rev: f"已冲正:{entry.reason}({rev.amount:+d}分)")
    else:
        messages.error(request, form_errors(form))
    return redirect("points:account", pk=entry.account_id)


# --- awarding ------------------------------------------------------------------------------------------

def _award_one(request, *, acc, data, form_key) -> tuple[str, str]:
    """Award under the form's rule to one account with a key derived from the form's key: ("done" | "again" |
    "refused", text)."""
    key = f"award:{form_key}:{acc.pk}"
    again = Entry.objects.filter(idempotency_key=key).exists()
    try:
        entry = ledger.award(actor=request.user, account=acc, rule=data["rule"], occurred_on=data["occurred_on"],
                             times=data["times"], reason=data["reason"], idempotency_key=key)
    except ValidationError as exc:
        return "refused", f"{acc.name}:{';'.join(exc.messages)}"
    return ("again" if again else "done"), f"{acc.name} {entry.amount:+d}分"


@module_required(roles.M_POINTS_MANAGE)
def award(request):
    user = request.user
    accounts = Account.objects.visible_to(user).filter(active=True).select_related("organisation")
    rules = (Rule.objects.visible_to(user).filter(active=True, rulebook__active=True).select_related("rulebook")
             .order_by("rulebook__org_path", "rulebook_id", "category", "id"))
    preset = [a for a in (request.GET.get("account") or "").split(",") if a.isdigit()]
    form = AwardForm(request.POST or None, accounts=accounts, rules=rules, initial={"accounts": preset})
    status = 200
    if request.method == "POST" and form.is_valid():
        data, results = form.cleaned_data, {"done": [], "again": [], "refused": []}
        chosen = list(data["accounts"])
        for acc in chosen:
            outcome, text = _award_one(request, acc=acc, data=data, form_key=data["key"])
            results[outcome].append(text)
        if results["done"]:
            messages.success(request, f"已记分{len(results['done'])}户(人):" + "、".join(results["done"]))
        if results["again"]:
            messages.info(request, "以下账户此前已按本次提交记分,没有重复记分:" + "、".join(results["again"]))
        if not results["refused"]:
            if len(chosen) == 1:
                return redirect("points:account", pk=chosen[0].pk)
            return redirect("points:award")
        for text in results["refused"]:
            form.add_error(None, text)
        status = 400  # the same key stays on the form: sending it again awards only those refused
    elif request.method == "POST":
        status = 400
    q = request.GET.get("q", "").strip()[:50]
    shown = accounts.filter(name__icontains=q) if q else accounts
    selected = {str(v) for v in (form["accounts"].value() or [])}
    options = list(shown.order_by("org_path", "kind", "name")[:AWARD_ACCOUNTS_SHOWN])
    extra = [a for a in accounts.filter(pk__in=[s for s in selected if s.isdigit()])
             if a.pk not in {o.pk for o in options}]
    return render(request, "points/award.html", {
        "form": form, "options": extra + options, "selected": selected, "q": q,
        "more": shown.count() > AWARD_ACCOUNTS_SHOWN, "staff_nav": staff_nav(user, "points:award"),
    }, status=status)


# --- declarations: review and objections ----------------------------------------------------------------

STATUS_TABS = [Declaration.Status.SUBMITTED, Declaration.Status.OBJECTED, Declaration.Status.PUBLICITY,
               Declaration.Status.POSTED, Declaration.Status.REJECTED, Declaration.Status.WITHDRAWN]


@module_required(roles.M_POINTS)
def declarations(request):
    user = request.user
    status = request.GET.get("status", Declaration.Status.SUBMITTED)
    status = status if status in Declaration.Status.values or status == "all" else Declaration.Status.SUBMITTED
    qs = selectors.declarations(user=user, status=None if status == "all" else status).select_related(
        "reviewed_by", "account__household")
    counts = dict(Declaration.objects.visible_to(user).values_list("status").annotate(n=Count("id")).order_by())
    tabs = [{"value": s, "label": Declaration.Status(s).label, "n": counts.get(s, 0), "current": s == status}
            for s in STATUS_TABS]
    tabs.append({"value": "all", "label": "全部", "n": sum(counts.values()), "current": status == "all"})
    return render(request, "points/declarations.html", {
        "page": Paginator(qs, 20).get_page(request.GET.get("page")), "tabs": tabs, "status": status,
        "can_manage": user.can(roles.M_POINTS_MANAGE), "review_form": ReviewForm(), "resolve_form": ResolveForm(),
        "now": timezone.now(), "staff_nav": staff_nav(user, "points:declarations"),
    })


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def review(request, pk):
    d = get_visible_or_404(Declaration.objects.select_related("account", "rule"), request.user, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        run_action(request, lambda: declaration_services.review(actor=request.user, declaration=d, approve=approve,
                                                                comment=form.cleaned_data["comment"]),
                   lambda r: (f"已通过:{d.account.name}“{d.rule.name}”进入公示,"
                              f"公示至{timezone.localtime(r.publicity_until):%Y-%m-%d %H:%M}")
                   if approve else f"已退回:{d.account.name}“{d.rule.name}”")
    else:
        messages.error(request, form_errors(form))
    return back(request, "points:declarations")


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def resolve(request, pk):
    d = get_visible_or_404(Declaration.objects.select_related("account", "rule"), request.user, pk=pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        post = form.cleaned_data["decision"] == "post"
        run_action(request, lambda: declaration_services.resolve(actor=request.user, declaration=d, post=post,
                                                                 comment=form.cleaned_data["comment"]),
                   f"已入账:{d.account.name}“{d.rule.name}”" if post else f"已撤销申报:{d.account.name}“{d.rule.name}”")
    else:
        messages.error(request, form_errors(form))
    return back(request, "points:declarations")
