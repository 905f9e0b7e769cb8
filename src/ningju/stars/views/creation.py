"""Creation pages of the five-star campaign (五星支部创建): thin views over ``selectors`` and ``services``.

* home by role: the district/city overview, the town's review work, the branch's own plan, stars, open
  rectification items and projects;
* standards (read for all, edited by the organisation departments), the branch's plan, the plan page with the
  self-assessment, town review, district evaluation and awarding per item and star, the review and evaluation
  queues, evidence served after the scope check;
* awards with publicity, objections and withdrawal, a branch's star history;
* the project library (创星项目库).

Every refusal of a service is shown on the page it came from, on the form that sent it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ningju.cases.states import Status as CaseStatus
from ningju.core import roles, uploads
from ningju.core.scoping import get_visible_or_404
from ningju.orgs.models import Organisation
from ningju.web.access import attach_errors, module_required, render_htmx

from .. import selectors, services
from ..forms_creation import (
    AssessmentForm,
    CopyYearForm,
    DecideObjectionForm,
    EvaluateForm,
    ItemForm,
    ObjectionForm,
    PlanForm,
    ProjectDecideForm,
    ProjectForm,
    ProjectProgressForm,
    ReviewForm,
    WithdrawForm,
)
from ..models import Assessment, Award, Evidence, Plan, Project, StandardItem, StandardSet, Star, UnitKind
from ..services.common import acts_for_branch, check_branch, unit_kind_of

PER_PAGE = 30
ITEM_FIELDS = ("order", "text", "mode", "max_score", "pass_score", "required", "evidence", "min_files")
OPEN_TO_BRANCH = (Assessment.Status.SUBMITTED, Assessment.Status.RETURNED)
EVALUABLE = (Assessment.Status.REVIEWED, Assessment.Status.MET, Assessment.Status.NOT_MET)
STAR_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九"}


# --- helpers ---------------------------------------------------------------------------------------------

def _int(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _year(request, default: int | None = None) -> int:
    year = _int(request.GET.get("year")) or _int(request.POST.get("year"))
    if year and 2000 <= year <= 2100:
        return year
    return default or timezone.localdate().year


def _years() -> list[int]:
    years = set(StandardSet.objects.values_list("year", flat=True)) | {timezone.localdate().year}
    return sorted(years, reverse=True)


def own_branch(user) -> Organisation | None:
    """The village/community Party organisation the user's own login acts for, if any."""
    org = getattr(user, "organisation", None)
    if org is None or not user.can(roles.M_STARS):
        return None
    try:
        check_branch(org)
    except ValidationError:
        return None
    return org


def _supervision_url(user) -> str | None:
    """The supervision pages (another module of this app) for those who organise or carry out visits."""
    if not (user.can(roles.M_STARS_MANAGE) or user.can(roles.M_STARS_VISIT)):
        return None
    return reverse("stars:supervision_home")


def _nav(user, current: str) -> list[dict]:
    branch = own_branch(user)
    links = [("stars:home", "概览", True), ("stars:standards", "创建标准", True),
             ("stars:plan", "我的创建计划", branch is not None),
             ("stars:plans", "创建计划", branch is None),
             ("stars:review", "待审核", user.can(roles.M_STARS_REVIEW)),
             ("stars:evaluate", "待评定", user.can(roles.M_STARS_MANAGE)),
             ("stars:awards", "星级评定", True), ("stars:projects", "创星项目", True)]
    out = [{"label": label, "url": reverse(name), "current": name == current} for name, label, show in links if show]
    sup = _supervision_url(user)
    if sup:
        out.append({"label": "督导", "url": sup, "current": False})
    return out


def _page(request, qs):
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


def _submit(request, form, call, success):
    """Validate ``form`` and call the service: its result, or None when the form or the service refused (the
    refusal lands on the form). Success becomes a message (a text, or a function of the result)."""
    if not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except ValidationError as exc:
        attach_errors(form, exc)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def _local(value, fmt="%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


# --- home ------------------------------------------------------------------------------------------------

@module_required(roles.M_STARS)
def home(request):
    user, year = request.user, _year(request)
    ctx = {"year": year, "years": _years(), "nav": _nav(user, "stars:home"), "supervision_url": _supervision_url(user)}
    if user.can(roles.M_STARS_MANAGE):
        counts = selectors.star_counts(user=user, year=year)
        top = max([5, *counts]) if counts else 5
        plans = selectors.plans(user=user, year=year)
        proposed = selectors.projects(user=user, status=Project.Status.PROPOSED)
        ctx["overview"] = {
            "star_counts": [(STAR_NUMERALS.get(n, n), counts.get(n, 0)) for n in range(1, top + 1)],
            "awarded": sum(counts.values()),
            "plans": plans.count(),
            "plans_submitted": plans.filter(status=Plan.Status.SUBMITTED).count(),
            "publicity": list(selectors.awards(user=user, year=year).filter(status=Award.Status.PUBLICITY)
                              .order_by("publicity_until", "org_path")[:20]),
            "to_evaluate": selectors.assessments_to_evaluate(user=user).count(),
            "to_approve": list(proposed.order_by("proposed_at")[:10]),
            "to_approve_count": proposed.count(),
        }
    if user.can(roles.M_STARS_REVIEW):
        queue = selectors.assessments_to_review(user=user)
        ctx["review"] = {"count": queue.count(), "first": list(queue[:10]),
                         "plans": selectors.plans(user=user, year=year).count()}
    branch = own_branch(user)
    if branch is not None:
        ctx["branch"] = _branch_home(user, branch, year)
    return render(request, "stars/creation/home.html", ctx)


def _branch_home(user, branch, year) -> dict:
    plan = selectors.plans(user=user, year=year).filter(branch=branch).first()
    progress = None
    if plan is not None:
        by_status = dict(plan.assessments.values_list("status").annotate(n=Count("id")).order_by())
        total = StandardItem.objects.filter(star__standard=plan.standard).count()
        progress = {"total": total, "assessed": sum(by_status.values()),
                    "rows": [(label, by_status.get(value, 0)) for value, label in Assessment.Status.choices]}
    findings = (selectors.findings(user=user).filter(unit=branch).exclude(case_status=CaseStatus.CLOSED)
                .order_by("created_at"))
    return {
        "org": branch, "plan": plan, "progress": progress,
        "targets": list(plan.targets.order_by("order")) if plan else [],
        "history": list(selectors.star_history(user=user, branch=branch)),
        "findings": list(findings[:20]), "findings_count": findings.count(),
        "projects": list(selectors.projects(user=user).filter(branch=branch)[:10]),
    }


# --- standards -------------------------------------------------------------------------------------------

def _standards_visible(user):
    qs = StandardSet.objects.all()
    return qs if user.can(roles.M_STARS_MANAGE) else qs.filter(published=True)


@module_required(roles.M_STARS)
def standards(request):
    user = request.user
    year = _int(request.GET.get("year"))
    sets = (_standards_visible(user)
            .annotate(n_stars=Count("stars", distinct=True), n_items=Count("stars__items", distinct=True))
            .order_by("-year", "unit_kind"))
    if year:
        sets = sets.filter(year=year)
    return render(request, "stars/creation/standards.html", {
        "sets": sets, "year": year, "years": _years(), "nav": _nav(user, "stars:standards"),
        "can_manage": user.can(roles.M_STARS_MANAGE)})


def _standard_page(request, standard, *, copy_form=None, status=200):
    user = request.user
    can_manage = user.can(roles.M_STARS_MANAGE)
    stars = list(standard.stars.prefetch_related("items"))
    assessed = set(Assessment.objects.filter(item__star__standard=standard).values_list("item_id", flat=True))
    for star in stars:
        for item in star.items.all():
            item.locked = item.pk in assessed
    return render(request, "stars/creation/standard_detail.html", {
        "standard": standard, "stars": stars, "nav": _nav(user, "stars:standards"), "can_manage": can_manage,
        "copy_form": copy_form or (CopyYearForm(initial={"year": standard.year + 1}) if can_manage else None),
        "plans": Plan.objects.filter(standard=standard).count() if can_manage else None}, status=status)


@module_required(roles.M_STARS)
def standard_detail(request, pk):
    return _standard_page(request, get_object_or_404(_standards_visible(request.user), pk=pk))


@require_POST
@module_required(roles.M_STARS_MANAGE)
def standard_publish(request, pk):
    standard = get_object_or_404(StandardSet, pk=pk)
    publish = request.POST.get("published") == "1"
    try:
        services.standard_publish(actor=request.user, standard=standard, published=publish)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, f"已发布“{standard.name}”" if publish else f"已撤回发布“{standard.name}”")
    return redirect("stars:standard_detail", pk=standard.pk)


@require_POST
@module_required(roles.M_STARS_MANAGE)
def standard_copy(request, pk):
    standard = get_object_or_404(StandardSet, pk=pk)
    form = CopyYearForm(request.POST)
    new = _submit(request, form,
                  lambda d: services.standard_copy_year(actor=request.user, source=standard, year=d["year"]),
                  lambda new: f"已沿用为“{new.name}”(未发布),请核对条目后发布")
    if new:
        return redirect("stars:standard_detail", pk=new.pk)
    return _standard_page(request, standard, copy_form=form, status=400)


def _item_page(request, star, item=None):
    user = request.user
    initial = {f: getattr(item, f) for f in ITEM_FIELDS} if item else {
        "order": (star.items.order_by("-order").values_list("order", flat=True).first() or 0) + 1}
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST":
        ok = _submit(request, form,
                     lambda d: services.item_save(actor=user, star=star, item=item, **{f: d[f] for f in ITEM_FIELDS}),
                     "已保存条目")
        if ok:
            return redirect(reverse("stars:standard_detail", args=[star.standard_id]) + f"#star-{star.pk}")
    return render(request, "stars/creation/item_form.html", {
        "form": form, "star": star, "item": item, "standard": star.standard, "nav": _nav(user, "stars:standards")},
        status=400 if form.errors else 200)


@module_required(roles.M_STARS_MANAGE)
def item_new(request, star_pk):
    return _item_page(request, get_object_or_404(Star.objects.select_related("standard"), pk=star_pk))


@module_required(roles.M_STARS_MANAGE)
def item_edit(request, pk):
    item = get_object_or_404(StandardItem.objects.select_related("star__standard"), pk=pk)
    return _item_page(request, item.star, item)


# --- the branch's plan -----------------------------------------------------------------------------------

@module_required(roles.M_STARS)
def plan_edit(request):
    user = request.user
    branch = own_branch(user)
    if branch is None:
        raise PermissionDenied("只有村(社区)党组织可以填写本支部的创建计划")
    year = _year(request)
    kind = unit_kind_of(branch)
    standard = StandardSet.objects.filter(year=year, unit_kind=kind, published=True).first()
    plan = Plan.objects.filter(branch=branch, year=year).first()
    form = None
    if standard is not None:
        initial = {"targets": list(plan.targets.all()), "measures": plan.measures} if plan else {}
        form = PlanForm(request.POST or None, initial=initial, stars=standard.stars.order_by("order"))
        if request.method == "POST":
            submit = "submit" in request.POST
            saved = _submit(request, form, lambda d: services.plan_save(
                actor=user, branch=branch, year=year, targets=list(d["targets"]), measures=d["measures"],
                submit=submit), "已提交创建计划,可以开始逐项自评" if submit else "已保存创建计划(草稿)")
            if saved:
                return redirect("stars:plan_detail", pk=saved.pk)
    return render(request, "stars/creation/plan_form.html", {
        "form": form, "plan": plan, "standard": standard, "branch": branch, "year": year, "years": _years(),
        "unit_kind": UnitKind(kind).label, "nav": _nav(user, "stars:plan")},
        status=400 if form is not None and form.errors else 200)


@module_required(roles.M_STARS)
def plans(request):
    user, year = request.user, _year(request)
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:50]
    qs = (selectors.plans(user=user, year=year)
          .annotate(n_targets=Count("targets", distinct=True),
                    n_assessed=Count("assessments", distinct=True),
                    n_met=Count("assessments", filter=Q(assessments__status=Assessment.Status.MET), distinct=True),
                    n_awards=Count("awards", filter=~Q(awards__status=Award.Status.WITHDRAWN), distinct=True))
          .order_by("org_path"))
    if status in Plan.Status.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(branch__name__contains=q)
    ctx = {"page": _page(request, qs), "year": year, "years": _years(), "status": status, "q": q,
           "statuses": Plan.Status.choices, "nav": _nav(user, "stars:plans")}
    return render_htmx(request, "stars/creation/plans.html", "stars/creation/_plan_rows.html", ctx)


# --- the plan page: self-assessment, review, evaluation, awarding ---------------------------------------

def _plan_page(request, plan, *, bound=None, award_errors=None, status=200):
    """``bound``: (kind, item pk, form) of a form that failed, shown open with its errors."""
    user = request.user
    mine = user.organisation_id == plan.branch_id and acts_for_branch(user, plan.branch)
    may_assess = mine and plan.status == Plan.Status.SUBMITTED
    may_review, may_evaluate = user.can(roles.M_STARS_REVIEW), user.can(roles.M_STARS_MANAGE)
    assessments = {a.item_id: a for a in Assessment.objects.visible_to(user).filter(plan=plan)
                   .select_related("town_by", "district_by", "submitted_by").prefetch_related("evidence")}
    active, withdrawn = {}, {}
    for a in Award.objects.visible_to(user).filter(plan=plan).order_by("awarded_at"):
        (withdrawn if a.status == Award.Status.WITHDRAWN else active)[a.star_id] = a
    targets = set(plan.targets.values_list("pk", flat=True))
    award_errors = award_errors or {}

    def form_for(kind, item, make):
        return bound[2] if bound and bound[0] == kind and bound[1] == item.pk else make()

    stars = []
    for star in plan.standard.stars.prefetch_related("items"):
        award = active.get(star.pk)
        rows, met = [], 0
        for item in star.items.all():
            a = assessments.get(item.pk)
            met += bool(a and a.status == Assessment.Status.MET)
            row = {"item": item, "a": a, "open": bound[0] if bound and bound[1] == item.pk else ""}
            if may_assess and (a is None or a.status in OPEN_TO_BRANCH):
                row["assess"] = form_for("assess", item, lambda i=item, a=a: AssessmentForm(
                    item=i, prefix=f"a{i.pk}", initial=_claim_initial(a)))
            if may_review and a and a.status == Assessment.Status.SUBMITTED:
                row["review"] = form_for("review", item, lambda a=a: ReviewForm(prefix=f"r{a.pk}"))
            if may_evaluate and a and a.status in EVALUABLE and award is None:
                row["evaluate"] = form_for("evaluate", item, lambda a=a, i=item: EvaluateForm(
                    item=i, prefix=f"e{a.pk}", initial=_evaluate_initial(a)))
            rows.append(row)
        errors, target = award_errors.get(star.pk), star.pk in targets
        active_star = bool(errors or award or any(r["open"] or r["a"] for r in rows))
        stars.append({"star": star, "target": target, "rows": rows, "met": met, "award": award,
                      "withdrawn": withdrawn.get(star.pk), "errors": errors, "open": active_star,
                      "can_award": may_evaluate and award is None and (target or active_star)})
    stars.sort(key=lambda s: not s["target"])  # the stars the branch aims for first
    return render(request, "stars/creation/plan_detail.html", {
        "plan": plan, "stars": stars, "mine": mine, "may_assess": may_assess,
        "nav": _nav(user, "stars:plan" if mine else "stars:plans"),
        "now": timezone.now()}, status=status)


def _claim_initial(a) -> dict:
    if a is None:
        return {}
    return {"claim_met": "1" if a.claim_met else "0", "claim_score": a.claim_score, "note": a.note}


def _evaluate_initial(a) -> dict:
    initial = {"score": a.score if a.score is not None else a.claim_score, "comment": a.district_comment}
    if a.status == Assessment.Status.NOT_MET:
        initial["met"] = "0"
    return initial


@module_required(roles.M_STARS)
def plan_detail(request, pk):
    return _plan_page(request, selectors.plan_get(user=request.user, pk=pk))


@require_POST
@module_required(roles.M_STARS)
def assess(request, pk, item_pk):
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    item = get_object_or_404(StandardItem.objects.select_related("star"), pk=item_pk, star__standard=plan.standard_id)
    if user.organisation_id != plan.branch_id:
        raise PermissionDenied("只有本支部书记可以提交自评")
    form = AssessmentForm(request.POST, request.FILES, item=item, prefix=f"a{item.pk}")

    def call(d):
        claim_met, claim_score = form.claim()
        return services.assessment_submit(actor=user, plan=plan, item=item, claim_met=claim_met,
                                          claim_score=claim_score, note=d["note"], files=d["files"])

    if _submit(request, form, call, "已提交自评,等待乡镇(街道)审核"):
        return redirect(reverse("stars:plan_detail", args=[plan.pk]) + f"#item-{item.pk}")
    return _plan_page(request, plan, bound=("assess", item.pk, form), status=400)


def _back_to(request, assessment, queue: str):
    if request.POST.get("back") == "queue":
        return redirect(queue)
    return redirect(reverse("stars:plan_detail", args=[assessment.plan_id]) + f"#item-{assessment.item_id}")


@require_POST
@module_required(roles.M_STARS_REVIEW)
def review_act(request, pk):
    user = request.user
    a = get_visible_or_404(Assessment.objects.select_related("plan", "item"), user, pk=pk)
    form = ReviewForm(request.POST, prefix=f"r{a.pk}")

    def call(d):
        return services.assessment_review(actor=user, assessment=a, approve=d["decision"] == "approve",
                                          comment=d["comment"])

    if _submit(request, form, call, lambda r: "已通过审核,报区县评定" if r.status == Assessment.Status.REVIEWED
               else "已退回支部修改"):
        return _back_to(request, a, "stars:review")
    if request.POST.get("back") == "queue":
        return _queue_page(request, "review", bound=(a.pk, form), status=400)
    return _plan_page(request, selectors.plan_get(user=user, pk=a.plan_id), bound=("review", a.item_id, form),
                      status=400)


@require_POST
@module_required(roles.M_STARS_MANAGE)
def evaluate_act(request, pk):
    user = request.user
    a = get_visible_or_404(Assessment.objects.select_related("plan", "item"), user, pk=pk)
    form = EvaluateForm(request.POST, item=a.item, prefix=f"e{a.pk}")

    def call(d):
        met, score = form.decision()
        return services.assessment_evaluate(actor=user, assessment=a, met=met, score=score, comment=d["comment"])

    if _submit(request, form, call, lambda r: f"已评定为“{r.get_status_display()}”"):
        return _back_to(request, a, "stars:evaluate")
    if request.POST.get("back") == "queue":
        return _queue_page(request, "evaluate", bound=(a.pk, form), status=400)
    return _plan_page(request, selectors.plan_get(user=user, pk=a.plan_id), bound=("evaluate", a.item_id, form),
                      status=400)


@require_POST
@module_required(roles.M_STARS_MANAGE)
def award(request, pk, star_pk):
    plan = selectors.plan_get(user=request.user, pk=pk)
    star = get_object_or_404(Star, pk=star_pk, standard_id=plan.standard_id)
    try:
        award = services.award_star(actor=request.user, plan=plan, star=star)
    except ValidationError as exc:
        errors = exc.message_dict.get("star", exc.messages) if hasattr(exc, "error_dict") else exc.messages
        messages.error(request, f"“{star.name}”未能评定,原因列在该星的条目下方")
        return _plan_page(request, plan, award_errors={star.pk: errors}, status=400)
    messages.success(request, f"已评定“{star.name}”,进入公示期,{_local(award.publicity_until)}截止")
    return redirect(reverse("stars:plan_detail", args=[plan.pk]) + f"#star-{star.pk}")


@module_required(roles.M_STARS)
def evidence(request, pk):
    ev = get_visible_or_404(Evidence, request.user, pk=pk)
    return uploads.file_response(ev.file, filename=f"佐证材料-{ev.pk}")


# --- review and evaluation queues ------------------------------------------------------------------------

QUEUES = {
    "review": (roles.M_STARS_REVIEW, selectors.assessments_to_review, "待审核自评", "stars:review"),
    "evaluate": (roles.M_STARS_MANAGE, selectors.assessments_to_evaluate, "待评定自评", "stars:evaluate"),
}


def _queue_page(request, which: str, *, bound=None, status=200):
    user = request.user
    _module, source, title, url_name = QUEUES[which]
    page = _page(request, source(user=user).prefetch_related("evidence"))
    for a in page.object_list:
        if bound and bound[0] == a.pk:
            a.form, a.open = bound[1], True
        elif which == "review":
            a.form, a.open = ReviewForm(prefix=f"r{a.pk}"), False
        else:
            a.form, a.open = EvaluateForm(item=a.item, prefix=f"e{a.pk}", initial=_evaluate_initial(a)), False
    return render(request, "stars/creation/queue.html", {
        "page": page, "which": which, "title": title, "nav": _nav(user, url_name),
        "action": "stars:review_act" if which == "review" else "stars:evaluate_act"}, status=status)


@module_required(roles.M_STARS_REVIEW)
def review_queue(request):
    return _queue_page(request, "review")


@module_required(roles.M_STARS_MANAGE)
def evaluate_queue(request):
    return _queue_page(request, "evaluate")


# --- awards ----------------------------------------------------------------------------------------------

def _awards_page(request, *, year=None, bound=None, status=200):
    user = request.user
    year = year or _year(request)
    state = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:50]
    qs = selectors.awards(user=user, year=year)
    if state in Award.Status.values:
        qs = qs.filter(status=state)
    if q:
        qs = qs.filter(branch__name__contains=q)
    page = _page(request, qs)
    now, manage = timezone.now(), user.can(roles.M_STARS_MANAGE)
    for a in page.object_list:
        forms = {}
        if a.status == Award.Status.PUBLICITY and now <= a.publicity_until:
            forms["object"] = ObjectionForm(prefix=f"o{a.pk}")
        if manage and a.status == Award.Status.PUBLICITY and a.objection_open:
            forms["decide"] = DecideObjectionForm(prefix=f"d{a.pk}")
        if manage and a.status != Award.Status.WITHDRAWN:
            forms["withdraw"] = WithdrawForm(prefix=f"w{a.pk}")
        a.open = ""
        if bound and bound[1] == a.pk:
            forms[bound[0]], a.open = bound[2], bound[0]
        a.forms = forms
        a.objection_lines = [line for line in a.objections.splitlines() if line.strip()]
    ctx = {"page": page, "year": year, "years": _years(), "status": state, "q": q, "statuses": Award.Status.choices,
           "nav": _nav(user, "stars:awards"), "manage": manage}
    if status != 200:
        return render(request, "stars/creation/awards.html", ctx, status=status)
    return render_htmx(request, "stars/creation/awards.html", "stars/creation/_award_rows.html", ctx)


@module_required(roles.M_STARS)
def awards(request):
    return _awards_page(request)


def _award_action(request, pk, kind, form_class, call, success):
    a = get_visible_or_404(Award.objects.select_related("branch", "star"), request.user, pk=pk)
    form = form_class(request.POST, prefix=f"{kind[0]}{a.pk}")
    if _submit(request, form, lambda d: call(a, d), success):
        return redirect(reverse("stars:awards") + f"?year={a.year}#award-{a.pk}")
    return _awards_page(request, year=a.year, bound=(kind, a.pk, form), status=400)


@require_POST
@module_required(roles.M_STARS)
def award_object(request, pk):
    return _award_action(request, pk, "object", ObjectionForm,
                         lambda a, d: services.award_object(actor=request.user, award=a, text=d["text"]),
                         "已提交异议,等待区县党委组织部处理")


@require_POST
@module_required(roles.M_STARS_MANAGE)
def award_decide(request, pk):
    return _award_action(request, pk, "decide", DecideObjectionForm,
                         lambda a, d: services.award_decide_objection(actor=request.user, award=a,
                                                                      uphold_award=d["uphold"] == "1",
                                                                      comment=d["comment"]),
                         lambda r: "已维持评定,公示期满后授星" if r.status == Award.Status.PUBLICITY
                         else "异议成立,已摘星")


@require_POST
@module_required(roles.M_STARS_MANAGE)
def award_withdraw(request, pk):
    return _award_action(request, pk, "withdraw", WithdrawForm,
                         lambda a, d: services.award_withdraw(actor=request.user, award=a, reason=d["reason"]),
                         lambda r: f"已摘除{r.branch.name}的“{r.star.name}”")


@module_required(roles.M_STARS)
def history(request, branch_id):
    user = request.user
    branch = get_visible_or_404(Organisation.objects.select_related("division"), user, pk=branch_id)
    years: dict[int, list] = {}
    for a in selectors.star_history(user=user, branch=branch):
        years.setdefault(a.year, []).append(a)
    plan_ids = dict(selectors.plans(user=user).filter(branch=branch).values_list("year", "pk"))
    for y in plan_ids:
        years.setdefault(y, [])
    rows = [{"year": y, "awards": years[y], "plan": plan_ids.get(y),
             "standing": sum(a.status != Award.Status.WITHDRAWN for a in years[y])}
            for y in sorted(years, reverse=True)]
    return render(request, "stars/creation/history.html", {
        "branch": branch, "rows": rows, "nav": _nav(user, "stars:awards")})


# --- projects --------------------------------------------------------------------------------------------

@module_required(roles.M_STARS)
def projects(request):
    user = request.user
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()[:50]
    qs = selectors.projects(user=user, status=status if status in Project.Status.values else None)
    if kind in Project.Kind.values:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(branch__name__contains=q))
    ctx = {"page": _page(request, qs), "status": status, "kind": kind, "q": q, "statuses": Project.Status.choices,
           "kinds": Project.Kind.choices, "nav": _nav(user, "stars:projects"),
           "can_propose": own_branch(user) is not None}
    return render_htmx(request, "stars/creation/projects.html", "stars/creation/_project_rows.html", ctx)


def _project_stars(branch):
    """The stars of the newest published standard for the branch's kind of unit."""
    standard = (StandardSet.objects.filter(unit_kind=unit_kind_of(branch), published=True)
                .filter(year__lte=timezone.localdate().year).order_by("-year").first()
                or StandardSet.objects.filter(unit_kind=unit_kind_of(branch), published=True).order_by("year").first())
    return Star.objects.filter(standard=standard).order_by("order") if standard else Star.objects.none()


@module_required(roles.M_STARS)
def project_new(request):
    user = request.user
    branch = own_branch(user)
    if branch is None:
        raise PermissionDenied("只有村(社区)党组织可以申报创星项目")
    form = ProjectForm(request.POST or None, stars=_project_stars(branch))
    if request.method == "POST":
        made = _submit(request, form, lambda d: services.project_propose(
            actor=user, branch=branch, star=d["star"], name=d["name"], description=d["description"],
            planned_end=d["planned_end"], kind=d["kind"], budget=d["budget"]), "已申报项目,等待区县审批")
        if made:
            return redirect("stars:project_detail", pk=made.pk)
    return render(request, "stars/creation/project_form.html", {
        "form": form, "branch": branch, "nav": _nav(user, "stars:projects")}, status=400 if form.errors else 200)


def _project_page(request, project, *, bound=None, status=200):
    user = request.user
    decide = progress = None
    if user.can(roles.M_STARS_MANAGE) and project.status == Project.Status.PROPOSED:
        decide = ProjectDecideForm()
    if (user.organisation_id == project.branch_id and acts_for_branch(user, project.branch)
            and project.status == Project.Status.APPROVED):
        progress = ProjectProgressForm(current=project.progress)
    if bound:
        decide, progress = (bound[1], progress) if bound[0] == "decide" else (decide, bound[1])
    return render(request, "stars/creation/project_detail.html", {
        "project": project, "updates": project.updates.select_related("by").order_by("-at", "-id"),
        "decide_form": decide, "progress_form": progress, "open": bound[0] if bound else "",
        "nav": _nav(user, "stars:projects")}, status=status)


def _project_get(request, pk):
    return get_visible_or_404(Project.objects.select_related("branch", "star", "decided_by", "proposed_by"),
                              request.user, pk=pk)


@module_required(roles.M_STARS)
def project_detail(request, pk):
    return _project_page(request, _project_get(request, pk))


@require_POST
@module_required(roles.M_STARS_MANAGE)
def project_decide(request, pk):
    p = _project_get(request, pk)
    form = ProjectDecideForm(request.POST)
    ok = _submit(request, form, lambda d: services.project_decide(
        actor=request.user, project=p, approve=d["decision"] == "approve", comment=d["comment"]),
        lambda r: "已同意立项" if r.status == Project.Status.APPROVED else "已决定不予立项")
    if ok:
        return redirect("stars:project_detail", pk=p.pk)
    return _project_page(request, p, bound=("decide", form), status=400)


@require_POST
@module_required(roles.M_STARS)
def project_progress(request, pk):
    p = _project_get(request, pk)
    if request.user.organisation_id != p.branch_id:
        raise PermissionDenied("只有本支部书记可以更新项目进展")
    form = ProjectProgressForm(request.POST, current=p.progress)
    ok = _submit(request, form, lambda d: services.project_progress(
        actor=request.user, project=p, progress=d["progress"], note=d["note"]),
        lambda r: "项目已完成" if r.status == Project.Status.COMPLETED else f"已更新进度为{r.progress}%")
    if ok:
        return redirect("stars:project_detail", pk=p.pk)
    return _project_page(request, p, bound=("progress", form), status=400)
