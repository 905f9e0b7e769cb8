"""Supervision pages of the five-star campaign (督导→整改→再督导): thin views over ``selectors`` and
``services``.

* ``supervision_home`` — the plans in scope and, for a group member, their visits (我的督导任务); branches and
  towns see only the findings of their units (visits are unannounced, 四不两直).
* ``supervision_create`` — the district's plan with its groups and rounds (fixed rows, blank rows ignored).
* ``supervision_plan`` — groups, rounds, the assignment table, visit progress, the progress board (htmx tabs and
  a chart per aspect), post-evaluation, and the Excel export of every finding (audited).
* ``visit`` — the group member's phone page: the seven-aspect checklist, findings with photos, and the
  verification of earlier findings the branch has replied to; done visits read-only.
* ``findings`` — the findings in scope with filters, each linked to its rectification item.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ningju.cases.states import Status
from ningju.core import audit, roles
from ningju.core.excel import xlsx_bytes
from ningju.core.scoping import get_visible_or_404
from ningju.orgs.models import Organisation
from ningju.web.access import attach_errors, module_required, render_htmx, run_action

from .. import selectors, services
from ..forms_supervision import (
    MAX_FINDINGS,
    MAX_GROUPS,
    STATE_CHOICES,
    GroupRowForm,
    PlanForm,
    PostEvaluationForm,
    VisitForm,
    finding_row_count,
    finding_rows,
    group_rows,
    round_rows,
    state_of,
)
from ..models import Aspect, Finding, SupervisionPlan, Visit
from ..services.supervision import FindingSpec, GroupSpec, Verification, is_group_member

A_EXPORTED = audit.register_action("stars.finding.exported", "导出督导发现问题")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 30
EXPORT_LIMIT = 50_000
BOARD_TABS = [("round", "按轮次"), ("group", "按督导组"), ("aspect", "按方面"), ("unit", "按村(社区)")]
ZERO = selectors.Progress(found=0, rectified=0, verified=0)


def _local(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def _sees_groups(user) -> bool:
    """Who may see which group made a visit: the organisers and the groups, never the branches and towns."""
    return user.can(roles.M_STARS_MANAGE) or user.can(roles.M_STARS_VISIT)


def _mark_state(findings) -> list[Finding]:
    for f in findings:
        f.state_code, f.state_label = state_of(f.case_status)
    return findings


def _nav(user, current: str) -> list[dict]:
    links = [("stars:supervision_home", "督导整改", roles.M_STARS), ("stars:findings", "发现问题", roles.M_STARS),
             ("stars:supervision_create", "新建督导计划", roles.M_STARS_MANAGE)]
    return [{"label": label, "url": reverse(name), "current": name == current}
            for name, label, module in links if user.can(module)]


# --- home ------------------------------------------------------------------------------------------------

@module_required(roles.M_STARS)
def supervision_home(request):
    user = request.user
    plans = list(selectors.supervision_plans(user=user)
                 .annotate(n_groups=Count("groups", distinct=True), n_rounds=Count("rounds", distinct=True)))
    today = timezone.localdate()
    for p in plans:
        p.phase = "未开始" if today < p.starts_on else ("已结束" if today > p.ends_on else "进行中")
    ctx = {"plans": plans, "nav": _nav(user, "stars:supervision_home"),
           "can_manage": user.can(roles.M_STARS_MANAGE), "is_visitor": user.can(roles.M_STARS_VISIT)}
    if ctx["is_visitor"]:  # a group member's own visits; the query itself starts from the user's groups
        visits = list(selectors.my_visits(user=user).select_related("unit__division__parent"))
        ctx["planned"] = [v for v in visits if v.status == Visit.Status.PLANNED]
        ctx["done"] = sorted((v for v in visits if v.status == Visit.Status.DONE),
                             key=lambda v: v.visited_at or timezone.now(), reverse=True)[:20]
    counts = selectors.findings(user=user).aggregate(
        found=Count("id"), replied=Count("id", filter=Q(case_status=Status.REPLIED)),
        closed=Count("id", filter=Q(case_status=Status.CLOSED)))
    counts["open"] = counts["found"] - counts["replied"] - counts["closed"]
    ctx["counts"] = counts
    ctx["recent"] = _mark_state(list(selectors.findings(user=user).select_related("unit__division__parent")
                                     .exclude(case_status=Status.CLOSED).order_by("-created_at", "-pk")[:10]))
    ctx["sees_groups"] = _sees_groups(user)
    return render(request, "stars/supervision/home.html", ctx)


# --- creating a plan -------------------------------------------------------------------------------------

@module_required(roles.M_STARS_MANAGE)
def supervision_create(request):
    user = request.user
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST, user=user)
        groups, rounds = group_rows(user, request.POST), round_rows(request.POST)
        valid = form.is_valid()
        valid = all([g.is_valid() for g in groups]) and valid
        valid = all([r.is_valid() for r in rounds]) and valid
        if valid:
            d = form.cleaned_data
            specs = [GroupSpec(name=g.cleaned_data["name"].strip(), organisation=g.cleaned_data["organisation"],
                               leader=g.cleaned_data["leader"], members=list(g.cleaned_data["members"]))
                     for g in groups if not g.is_blank]
            spans = [(r.cleaned_data["starts_on"], r.cleaned_data["ends_on"]) for r in rounds if not r.is_blank]
            try:
                plan = services.supervision_plan_create(
                    actor=user, name=d["name"], year=d["year"], district=d["district"], starts_on=d["starts_on"],
                    ends_on=d["ends_on"], groups=specs, rounds=spans, rectify_workdays=d["rectify_workdays"])
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                visits = Visit.objects.filter(round__plan=plan).count()
                messages.success(request, f"已制定督导计划“{plan.name}”:{len(specs)}个督导组、{len(spans)}轮,"
                                          f"共安排{visits}次督导")
                return redirect("stars:supervision_plan", pk=plan.pk)
        status = 400
    else:
        form, groups, rounds = PlanForm(user=user), group_rows(user), round_rows()
    ctx = {"form": form, "groups": groups, "rounds": rounds, "nav": _nav(user, "stars:supervision_create")}
    return render(request, "stars/supervision/create.html", ctx, status=status)


@module_required(roles.M_STARS_MANAGE)
def group_people(request):
    """htmx: the leader and member pickers of one group row, for the organisation chosen in it."""
    prefix = request.GET.get("prefix", "")
    if prefix not in {f"g-{i}" for i in range(MAX_GROUPS)}:
        return HttpResponse(status=400)
    row = GroupRowForm(user=request.user, prefix=prefix,
                       initial={"organisation": request.GET.get(f"{prefix}-organisation", "")})
    return render(request, "stars/supervision/_group_people.html", {"g": row})


# --- the plan --------------------------------------------------------------------------------------------

def _aspect_chart(rows: dict) -> dict:
    labels = [a.label for a in Aspect]
    data = [rows.get(label, ZERO) for label in labels]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["发现问题", "已整改", "已核验销号"], "top": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "name": "个", "minInterval": 1},
        "series": [
            {"name": "发现问题", "type": "bar", "data": [p.found for p in data], "itemStyle": {"color": "#b71c1c"}},
            {"name": "已整改", "type": "bar", "data": [p.rectified for p in data], "itemStyle": {"color": "#9a6700"}},
            {"name": "已核验销号", "type": "bar", "data": [p.verified for p in data],
             "itemStyle": {"color": "#1a7f37"}},
        ],
    }


def _assignment(user, plan, rounds) -> list[dict]:
    """Unit × round → the visit (its group and state), from the visits the user may see."""
    visits = (Visit.objects.visible_to(user).filter(round__plan=plan)
              .select_related("unit__division__parent", "group", "round"))
    numbers = [r.number for r in rounds]
    rows: dict[int, dict] = {}
    for v in visits:
        row = rows.setdefault(v.unit_id, {"unit": v.unit, "code": v.unit.division.code,
                                          "town": v.unit.division.parent.name if v.unit.division.parent else "",
                                          "cells": {}})
        row["cells"][v.round.number] = v
    out = sorted(rows.values(), key=lambda r: (r["code"], r["unit"].pk))
    for row in out:
        row["cells"] = [row["cells"].get(n) for n in numbers]
    return out


def _balance(user, plan, groups, rounds) -> list[dict]:
    """Visits per group per round (done / planned), from ``selectors.visit_progress``."""
    cells = {(r["round__number"], r["group__name"]): r for r in selectors.visit_progress(user=user, plan=plan)}
    return [{"group": g, "cells": [cells.get((r.number, g.name)) for r in rounds]} for g in groups]


def _board_context(request, plan) -> dict:
    by = request.GET.get("by", "round")
    by = by if by in dict(BOARD_TABS) else "round"
    return {"plan": plan, "by": by, "by_label": dict(BOARD_TABS)[by], "board_tabs": BOARD_TABS,
            "board": selectors.board(user=request.user, plan=plan, by=by)}


@module_required(roles.M_STARS)
def supervision_plan(request, pk):
    user = request.user
    plan = get_visible_or_404(SupervisionPlan.objects.select_related("district", "organiser"), user, pk=pk)
    board_ctx = _board_context(request, plan)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return render(request, "stars/supervision/_board.html", board_ctx)
    groups = list(plan.groups.select_related("organisation", "leader").prefetch_related("members"))
    rounds = list(plan.rounds.all())
    ready = selectors.ready_for_post_evaluation(user=user, plan=plan)
    can_manage = user.can(roles.M_STARS_MANAGE)
    for r in ready:
        r["form"] = PostEvaluationForm(initial={"unit": r["unit_id"]}, auto_id=f"pe{r['unit_id']}_%s")
    ctx = {
        **board_ctx, "groups": groups, "rounds": rounds, "assignment": _assignment(user, plan, rounds),
        "balance": _balance(user, plan, groups, rounds), "totals": selectors.totals(user=user, plan=plan),
        "chart": _aspect_chart(dict(selectors.board(user=user, plan=plan, by="aspect"))),
        "ready": ready, "post_evaluations": selectors.post_evaluations(user=user, plan=plan)
        .select_related("evaluated_by"), "can_manage": can_manage, "nav": _nav(user, ""),
    }
    return render(request, "stars/supervision/plan.html", ctx)


@require_POST
@module_required(roles.M_STARS_MANAGE)
def post_evaluate(request, pk):
    user = request.user
    plan = get_visible_or_404(SupervisionPlan, user, pk=pk)
    form = PostEvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(request, ";".join(e for errs in form.errors.values() for e in errs))
    else:
        d = form.cleaned_data
        unit = get_visible_or_404(Organisation, user, pk=d["unit"])
        run_action(request, lambda: services.post_evaluate(actor=user, plan=plan, unit=unit, result=d["result"],
                                                           comment=d["comment"]),
                   lambda pe: f"已完成{unit.name}的后评估:{pe.get_result_display()}")
    return redirect(reverse("stars:supervision_plan", args=[plan.pk]) + "#post-evaluation")


EXPORT_HEADER = ["村(社区)党组织", "乡镇(街道)", "轮次", "督导组", "方面", "问题", "发现时间", "整改责任人",
                 "整改期限", "事项编号", "整改状态", "督导环节", "核验轮次", "核验时间"]


@module_required(roles.M_STARS)
def findings_export(request, pk):
    user = request.user
    plan = get_visible_or_404(SupervisionPlan, user, pk=pk)
    qs = (selectors.findings(user=user, plan=plan)
          .select_related("unit__division__parent", "case__owner", "verified_in__round")
          .order_by("round_number", "unit__division__code", "pk"))
    rows = []
    for f in qs[:EXPORT_LIMIT]:
        town = f.unit.division.parent.name if f.unit.division.parent_id else ""
        verified = f.verified_in
        verified_round = f"第{verified.round.number}轮" if verified else ""
        rows.append([f.unit.name, town, f.round_number, f.group.name, f.get_aspect_display(), f.text,
                     _local(f.created_at), f.case.owner.name if f.case.owner_id else "", _local(f.case.reply_due),
                     f.case.number, Status(f.case_status).label, state_of(f.case_status)[1],
                     verified_round, _local(verified.visited_at) if verified else ""])
    audit.record(actor=user, action=A_EXPORTED, obj=plan, after={"rows": len(rows), "plan": plan.name})
    response = HttpResponse(xlsx_bytes("督导发现问题", EXPORT_HEADER, rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="supervision-{plan.pk}-findings.xlsx"'
    return response


# --- the visit (phone) -----------------------------------------------------------------------------------

def _visit_for(request, pk) -> tuple[Visit, bool]:
    """The visit and whether the user is a member of its group. Only group members and the organisers reach
    it (403 for everyone else; a visit outside the user's scope is a 404 like any other object)."""
    user = request.user
    if not (user.can(roles.M_STARS_VISIT) or user.can(roles.M_STARS_MANAGE)):
        raise PermissionDenied("只有督导组成员可以记录督导")
    visit = get_visible_or_404(Visit.objects.select_related("round__plan", "group", "unit__division__parent",
                                                            "recorded_by"), user, pk=pk)
    member = is_group_member(user, visit.group)
    if not member and not user.can(roles.M_STARS_MANAGE):
        raise PermissionDenied(f"只有{visit.group.name}的成员可以记录该村(社区)的督导")
    return visit, member


def _earlier(user, visit) -> tuple[list[Finding], list[Finding]]:
    """The unit's earlier findings of this plan still open: those the branch replied to (to verify now), and
    those still being rectified."""
    qs = (selectors.findings(user=user, plan=visit.round.plan).filter(unit=visit.unit)
          .exclude(visit=visit).exclude(case_status=Status.CLOSED).order_by("round_number", "pk"))
    rows = _mark_state(list(qs))
    return [f for f in rows if f.case_status == Status.REPLIED], [f for f in rows if f.case_status != Status.REPLIED]


@module_required(roles.M_STARS)
def visit(request, pk):
    user = request.user
    v, member = _visit_for(request, pk)
    done = v.status == Visit.Status.DONE
    replied, in_progress = ([], []) if done else _earlier(user, v)
    ctx = {"visit": v, "plan": v.round.plan, "member": member, "done": done, "replied": replied,
           "in_progress": in_progress, "max_findings": MAX_FINDINGS}
    status = 200
    if request.method == "POST":
        if not member:
            raise PermissionDenied(f"只有{v.group.name}的成员可以记录该村(社区)的督导")
        if done:
            messages.error(request, "该次督导已记录")
            return redirect("stars:visit", pk=v.pk)
        form = VisitForm(request.POST, replied=replied)
        rows = finding_rows(request.POST, request.FILES, finding_row_count(request.POST))
        valid = form.is_valid()
        valid = all([r.is_valid() for r in rows]) and valid
        if valid:
            specs = [FindingSpec(aspect=r.cleaned_data["aspect"], text=r.cleaned_data["text"],
                                 photos=r.cleaned_data["photos"]) for r in rows if not r.is_blank]
            checks = [Verification(finding_id=fid, done=ok, comment=comment)
                      for fid, ok, comment in form.verifications()]
            try:
                services.visit_record(actor=user, visit=v, checks=form.checks(), findings=specs,
                                      verifications=checks, notes=form.cleaned_data["notes"])
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                passed = sum(1 for c in checks if c.done)
                parts = [f"发现问题{len(specs)}个" + (",已转为整改事项交支部整改" if specs else "")]
                if checks:
                    parts.append(f"核验{len(checks)}个(通过{passed}个,退回{len(checks) - passed}个)")
                messages.success(request, f"已记录{v.unit.name}的督导:" + ";".join(parts))
                return redirect("stars:visit", pk=v.pk)
        status = 400
    elif member and not done:
        form, rows = VisitForm(replied=replied), finding_rows()
    else:
        form, rows = None, []
    if done:
        order = {a.value: n for n, a in enumerate(Aspect)}
        ctx.update(checks=sorted(v.checks.all(), key=lambda c: order.get(c.aspect, 99)),
                   findings=_mark_state(list(v.findings.select_related("case"))),
                   verified=_mark_state(list(v.verified_findings.select_related("case"))))
    ctx.update(form=form, rows=rows)
    return render(request, "stars/supervision/visit.html", ctx, status=status)


@module_required(roles.M_STARS_VISIT)
def visit_finding_row(request, pk):
    """htmx: one more finding row for the visit form (the rows there are counted by their aspect selects)."""
    v, member = _visit_for(request, pk)
    if not member or v.status == Visit.Status.DONE:
        raise PermissionDenied("只有督导组成员可以记录督导")
    n = finding_row_count(request.GET)
    if n >= MAX_FINDINGS:
        return HttpResponse(status=204)
    row = finding_rows(count=n + 1)[n]
    return render(request, "stars/supervision/_finding_row.html", {"row": row, "n": n})


# --- findings --------------------------------------------------------------------------------------------

def _findings_filters(request, base) -> tuple[dict, dict]:
    g = request.GET
    plans = list(base.order_by().values_list("plan_id", "plan__name").distinct())
    plan = g.get("plan", "")
    plan = plan if plan.isdigit() and any(str(pid) == plan for pid, _ in plans) else ""
    rnd = g.get("round", "")
    rnd = rnd if rnd.isdigit() and 0 < int(rnd) < 100 else ""
    aspect = g.get("aspect", "") if g.get("aspect", "") in Aspect.values else ""
    state = g.get("state", "") if g.get("state", "") in dict(STATE_CHOICES) else ""
    rounds = sorted(set(base.order_by().values_list("round_number", flat=True).distinct()))
    return ({"plan": plan, "round": rnd, "aspect": aspect, "state": state},
            {"plans": sorted(plans, key=lambda p: -p[0]), "rounds": rounds})


@module_required(roles.M_STARS)
def findings(request):
    user = request.user
    base = selectors.findings(user=user)
    f, choices = _findings_filters(request, base)
    qs = base.select_related("unit__division__parent")
    if f["plan"]:
        qs = qs.filter(plan_id=int(f["plan"]))
    if f["round"]:
        qs = qs.filter(round_number=int(f["round"]))
    if f["aspect"]:
        qs = qs.filter(aspect=f["aspect"])
    if f["state"] == "closed":
        qs = qs.filter(case_status=Status.CLOSED)
    elif f["state"] == "replied":
        qs = qs.filter(case_status=Status.REPLIED)
    elif f["state"] == "open":
        qs = qs.exclude(case_status__in=(Status.REPLIED, Status.CLOSED))
    page = Paginator(qs.order_by("-created_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _mark_state(list(page.object_list))
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {"page": page, "f": f, **choices, "aspects": Aspect.choices, "states": STATE_CHOICES,
           "sees_groups": _sees_groups(user), "query": params.urlencode(), "nav": _nav(user, "stars:findings")}
    return render_htmx(request, "stars/supervision/findings.html", "stars/supervision/_finding_list.html", ctx)
