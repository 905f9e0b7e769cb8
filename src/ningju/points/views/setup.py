"""Setting points up: rulebooks and their rules, households, opening accounts (households and the Party members
of a branch), linking a villager's login to an account."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ningju.core import roles
from ningju.core.scoping import get_visible_or_404
from ningju.geo.models import Division, Level
from ningju.people.models import PARTY_STATUSES, Person
from ningju.web.access import attach_errors, module_required, run_action

from ..forms import HouseholdForm, LinkForm, OpenHouseholdForm, OpenMemberForm, RulebookForm, RuleForm
from ..models import Account, Household, Rule, Rulebook
from ..services import setup
from ..services.logins import account_link_user, linkable_users
from .common import default_of, form_errors, keeping_orgs, staff_nav

PICKER_LIMIT = 30


# --- rulebooks and rules -------------------------------------------------------------------------------

@module_required(roles.M_POINTS)
def rules(request):
    user = request.user
    books = (Rulebook.objects.visible_to(user).select_related("organisation")
             .prefetch_related(Prefetch("rules", Rule.objects.order_by("-active", "category", "id")))
             .order_by("-active", "org_path", "applies_to"))
    can_manage = user.can(roles.M_POINTS_MANAGE)
    return render(request, "points/rules.html", {
        "books": books, "can_manage": can_manage, "staff_nav": staff_nav(user, "points:rules")})


def _save_page(request, form, *, title: str, back_url: str, status: int = 200):
    return render(request, "points/form.html", {"form": form, "title": title, "back_url": back_url,
                                                "staff_nav": staff_nav(request.user, "points:rules")},
                  status=status)


@module_required(roles.M_POINTS_MANAGE)
def rulebook_edit(request, pk=None):
    user = request.user
    book = get_visible_or_404(Rulebook.objects.select_related("organisation"), user, pk=pk) if pk else None
    orgs = keeping_orgs(user)
    initial = ({"name": book.name, "publicity_workdays": book.publicity_workdays} if book
               else {"organisation": default_of(user, list(orgs[:200]))})
    form = RulebookForm(request.POST or None, organisations=orgs, editing=book is not None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = setup.rulebook_save(actor=user, organisation=book.organisation if book else data["organisation"],
                                        name=data["name"], applies_to=book.applies_to if book else data["applies_to"],
                                        publicity_workdays=data["publicity_workdays"], rulebook=book)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存积分规则“{saved.name}”")
            return redirect("points:rules")
    title = f"修改积分规则:{book.name}" if book else "新建积分规则"
    return _save_page(request, form, title=title, back_url="points:rules",
                      status=400 if request.method == "POST" else 200)


@module_required(roles.M_POINTS_MANAGE)
def rule_edit(request, pk=None, book=None):
    user = request.user
    rule = get_visible_or_404(Rule.objects.select_related("rulebook__organisation"), user, pk=pk) if pk else None
    rulebook = rule.rulebook if rule else get_visible_or_404(Rulebook.objects.select_related("organisation"), user,
                                                              pk=book)
    initial = ({f: getattr(rule, f) for f in ("category", "name", "points", "cap", "cap_period", "declarable",
                                               "active")} if rule else {})
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = setup.rule_save(actor=user, rulebook=rulebook, rule=rule, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存细则“{saved.name}”")
            return redirect("points:rules")
    title = f"修改细则:{rule.name}" if rule else f"新增细则:{rulebook.name}"
    return _save_page(request, form, title=title, back_url="points:rules",
                      status=400 if request.method == "POST" else 200)


# --- households and accounts ---------------------------------------------------------------------------

def _households_page(request, *, household_form=None, household_open=None, member_open=None, status=200):
    user = request.user
    q = request.GET.get("q", "").strip()[:50]
    households = (Household.objects.visible_to(user).select_related("village")
                  .annotate(has_account=Exists(Account.objects.filter(household=OuterRef("pk")))))
    if q:
        households = households.filter(Q(number__icontains=q) | Q(head_name__icontains=q))
    page = Paginator(households, 30).get_page(request.GET.get("page"))
    accounts = {a.household_id: a for a in Account.objects.visible_to(user)
                .filter(household__in=[h.pk for h in page.object_list]).select_related("user")}
    for h in page.object_list:
        h.account = accounts.get(h.pk)
    ctx = {"page": page, "q": q, "staff_nav": staff_nav(user, "points:households"),
           "can_manage": user.can(roles.M_POINTS_MANAGE),
           "members": Account.objects.visible_to(user).filter(person__isnull=False)
           .select_related("organisation", "user").order_by("org_path", "name")[:200],
           "no_login": Account.objects.visible_to(user).filter(user__isnull=True, active=True).count()}
    if ctx["can_manage"]:
        forms = _setup_forms(user)
        ctx.update(household_form=household_form or forms["household"],
                   household_open=household_open or forms["household_open"],
                   member_open=member_open or forms["member_open"],
                   user_options=list(linkable_users(user).select_related("organisation")[:PICKER_LIMIT]))
    return render(request, "points/households.html", ctx, status=status)


def _villages(user):
    return Division.objects.visible_to(user).filter(level=Level.VILLAGE).order_by("path")


def _open_households(user):
    return (Household.objects.visible_to(user).filter(accounts__isnull=True).select_related("village")
            .order_by("division_path", "number"))


def _open_people(user):
    return (Person.objects.visible_to(user).filter(political_status__in=PARTY_STATUSES)
            .exclude(pk__in=Account.objects.filter(person__isnull=False).values("person_id"))
            .select_related("home_division").order_by("name", "pk"))


def _setup_forms(user, data=None, which: str = "") -> dict:
    orgs = keeping_orgs(user)
    org = default_of(user, list(orgs[:200]))
    users = linkable_users(user)

    def bound(name):
        return data if which == name else None

    return {
        "household": HouseholdForm(bound("household"), villages=_villages(user), prefix="hh",
                                   initial={"village": getattr(getattr(user.organisation, "division", None), "pk",
                                                               None)}),
        "household_open": OpenHouseholdForm(bound("household_open"), households=_open_households(user),
                                            organisations=orgs, users=users, prefix="oh",
                                            initial={"organisation": org}),
        "member_open": OpenMemberForm(bound("member_open"), people=_open_people(user), organisations=orgs,
                                      users=users, prefix="om", initial={"organisation": org}),
    }


@module_required(roles.M_POINTS)
def households(request):
    return _households_page(request)


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def household_new(request):
    form = _setup_forms(request.user, request.POST, "household")["household"]
    if form.is_valid():
        data = form.cleaned_data
        try:
            h = setup.household_create(actor=request.user, village=data["village"], number=data["number"],
                                       head_name=data["head_name"], members=data["members"],
                                       address=data["address"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记农户:{h.number} {h.head_name}。下一步可为该户开立积分账户。")
            return redirect("points:households")
    return _households_page(request, household_form=form, status=400)


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def open_household(request):
    form = _setup_forms(request.user, request.POST, "household_open")["household_open"]
    if form.is_valid():
        data = form.cleaned_data
        try:
            acc = setup.account_open(actor=request.user, organisation=data["organisation"],
                                     household=data["household"], user=data["user"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已开立积分账户:{acc.name}")
            return redirect("points:account", pk=acc.pk)
    return _households_page(request, household_open=form, status=400)


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def open_member(request):
    form = _setup_forms(request.user, request.POST, "member_open")["member_open"]
    if form.is_valid():
        data = form.cleaned_data
        try:
            acc = setup.account_open(actor=request.user, organisation=data["organisation"], person=data["person"],
                                     user=data["user"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已开立党员积分账户:{acc.name}")
            return redirect("points:account", pk=acc.pk)
    return _households_page(request, member_open=form, status=400)


@module_required(roles.M_POINTS_MANAGE)
@require_POST
def account_link(request, pk):
    acc = get_visible_or_404(Account, request.user, pk=pk)
    form = LinkForm(request.POST, users=linkable_users(request.user))
    if form.is_valid():
        user = form.cleaned_data["user"]
        run_action(request, lambda: account_link_user(actor=request.user, account=acc, user=user),
                   f"已关联登录账号:{user.audit_label}" if user else "已解除登录账号关联")
    else:
        messages.error(request, form_errors(form))
    return redirect("points:account", pk=acc.pk)


@module_required(roles.M_POINTS_MANAGE)
@require_GET
def user_options(request):
    """htmx: ``<option>``s of the villagers' logins the user may link, matching ``user_q`` (name or the start of
    the phone number)."""
    qs = linkable_users(request.user)
    q = request.GET.get("user_q", "").strip()[:30]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(person__name__contains=q) | Q(phone__startswith=q))
    return render(request, "points/_user_options.html", {
        "options": list(qs.select_related("organisation")[:PICKER_LIMIT]), "searched": bool(q)})
