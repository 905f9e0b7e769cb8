"""Supervision (督导→整改→再督导): plans with groups and rounds, unannounced visits assigned in balance,
visits recorded on a phone with the seven-aspect checklist, findings that become rectification items of the
case engine, re-inspection of earlier findings on the next visit, and post-evaluation (后评估)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ningju.cases import services as case_services
from ningju.cases.models import Category
from ningju.cases.states import CaseKind, Rating, Status
from ningju.core import audit, roles
from ningju.core.scoping import is_visible
from ningju.geo.models import Level

from ..models import (
    ASPECT_CATEGORY,
    Aspect,
    CheckResult,
    Finding,
    Group,
    PostEvaluation,
    Round,
    SupervisionPlan,
    Visit,
)
from .common import secretary_of, units_of

A_PLAN = audit.register_action("stars.supervision.planned", "制定督导计划")
A_VISITED = audit.register_action("stars.visit.recorded", "记录督导")
A_FINDING = audit.register_action("stars.finding.created", "督导发现问题")
A_VERIFIED = audit.register_action("stars.finding.verified", "再督导核验")
A_POST = audit.register_action("stars.post_evaluation.created", "后评估")


@dataclass
class GroupSpec:
    name: str
    organisation: object
    leader: object
    members: list = field(default_factory=list)


def rotation(n_units: int, n_groups: int, n_rounds: int) -> list[list[int]]:
    """Group index per unit per round: counts per group differ by at most one in every round, and no unit
    meets the same group in two rounds in a row (unless there is only one group)."""
    return [[(u + r) % n_groups for u in range(n_units)] for r in range(n_rounds)]


@transaction.atomic
def supervision_plan_create(*, actor, name: str, year: int, district, starts_on: dt.date, ends_on: dt.date,
                            groups: list[GroupSpec], rounds: list[tuple[dt.date, dt.date]],
                            rectify_workdays: int = 10) -> SupervisionPlan:
    """A district's plan: its groups and rounds, and every village/community assigned to a group per round."""
    roles.require(actor, roles.M_STARS_MANAGE, "只有区县党委组织部可以制定督导计划")
    if district.level != Level.COUNTY or not is_visible(district, actor):
        raise ValidationError({"district": "请选择管辖范围内的区县"})
    if not actor.organisation_id and not actor.is_superuser:
        raise ValidationError("当前账号没有所属组织")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写计划名称"})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "结束日期不能早于开始日期"})
    if not 1 <= rectify_workdays <= 60:
        raise ValidationError({"rectify_workdays": "整改期限应为1至60个工作日"})
    clash = SupervisionPlan.objects.filter(district=district, starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if clash:
        raise ValidationError({"starts_on": f"{district.name}在该时段已有督导计划“{clash.name}”"
                                            f"({clash.starts_on}至{clash.ends_on}),同一批村(社区)不能重复安排"})
    if not groups:
        raise ValidationError({"groups": "请至少设置一个督导组"})
    if not rounds:
        raise ValidationError({"rounds": "请至少设置一个轮次"})
    ordered = sorted(rounds)
    for i, (s, e) in enumerate(ordered):
        if e < s or s < starts_on or e > ends_on:
            raise ValidationError({"rounds": f"第{i + 1}轮的日期应在计划期内且结束不早于开始"})
        if i and s <= ordered[i - 1][1]:
            raise ValidationError({"rounds": f"第{i + 1}轮与上一轮的日期重叠"})
    for g in groups:
        members = {m.pk: m for m in [g.leader, *g.members]}
        for m in members.values():
            if not m.is_active or m.organisation_id is None or not m.organisation.path.startswith(g.organisation.path):
                raise ValidationError({"groups": f"{m.name}不是“{g.organisation.name}”的成员"})
    units = units_of(district)
    if not units:
        raise ValidationError({"district": "该区县还没有村(社区)党组织"})

    org = actor.organisation
    plan = SupervisionPlan.objects.create(name=name, year=year, district=district, organiser=org, starts_on=starts_on,
                                          ends_on=ends_on, rectify_workdays=rectify_workdays, org_path=org.path,
                                          created_by=actor)
    group_rows = []
    for n, g in enumerate(groups):
        row = Group.objects.create(plan=plan, name=g.name, organisation=g.organisation, leader=g.leader, order=n)
        row.members.set({m.pk for m in [g.leader, *g.members]})
        group_rows.append(row)
    round_rows = [Round.objects.create(plan=plan, number=i + 1, starts_on=s, ends_on=e)
                  for i, (s, e) in enumerate(ordered)]
    table = rotation(len(units), len(group_rows), len(round_rows))
    Visit.objects.bulk_create([
        Visit(round=rnd, unit=unit, group=group_rows[table[r][u]], plan_org_path=plan.org_path,
              group_org_path=group_rows[table[r][u]].organisation.path, unit_division_path=unit.division.path)
        for r, rnd in enumerate(round_rows) for u, unit in enumerate(units)])
    audit.record(actor=actor, action=A_PLAN, obj=plan, after={
        **audit.snapshot(plan), "groups": [g.name for g in group_rows], "rounds": len(round_rows),
        "units": len(units)})
    return plan


def is_group_member(user, group: Group) -> bool:
    return bool(getattr(user, "pk", None)) and group.members.filter(pk=user.pk).exists()


@dataclass
class FindingSpec:
    aspect: str
    text: str
    photos: list = field(default_factory=list)  # cleaned uploads (core.uploads.CleanFile)


@dataclass
class Verification:
    finding_id: int
    done: bool
    comment: str = ""


@transaction.atomic
def visit_record(*, actor, visit: Visit, checks: dict[str, tuple[bool, str]], findings: list[FindingSpec],
                 verifications: list[Verification] = (), notes: str = "",
                 at: dt.datetime | None = None) -> Visit:
    """A group member records the visit: all seven aspects checked, each problem a finding (and a rectification
    item owned by the branch secretary), and the earlier findings of the unit verified (再督导)."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update().select_related("round__plan", "group", "unit__division").get(pk=visit.pk)
    group, plan, unit = visit.group, visit.round.plan, visit.unit
    if not is_group_member(actor, group):
        raise PermissionDenied(f"只有{group.name}的成员可以记录该村(社区)的督导")
    if visit.status == Visit.Status.DONE:
        raise ValidationError("该次督导已记录")
    missing = [a.label for a in Aspect if a.value not in checks]
    if missing:
        raise ValidationError({"checks": f"请逐项检查七个方面,尚未检查:{'、'.join(missing)}"})
    for spec in findings:
        if spec.aspect not in Aspect.values:
            raise ValidationError({"findings": "每个问题都要选择所属方面(档案资料、创建氛围……)"})
        if not (spec.text or "").strip():
            raise ValidationError({"findings": "问题描述不能为空"})
        if len(spec.text) > 500:
            raise ValidationError({"findings": "问题描述不能超过500字"})
    with_findings = {s.aspect for s in findings}
    owner = secretary_of(unit)
    if findings and owner is None:
        raise ValidationError(f"{unit.name}还没有登录账号,无法指定整改责任人")

    for aspect, (ok, note) in checks.items():
        if aspect not in Aspect.values:
            raise ValidationError({"checks": "未知的检查方面"})
        CheckResult.objects.create(visit=visit, aspect=aspect, ok=bool(ok) and aspect not in with_findings,
                                   note=(note or "")[:300])
    visit.status, visit.visited_at, visit.recorded_by, visit.notes = Visit.Status.DONE, at, actor, (notes or "")[:3000]
    visit.save()
    categories = {c.code: c for c in Category.objects.filter(code__in=ASPECT_CATEGORY.values())}
    # The next round's visit is usually made by another group, so the items are verified by the organiser's
    # subtree (every group sits under the district organisation department), not by this group alone.
    for spec in findings:
        filed = case_services.case_file(
            actor=actor, kind=CaseKind.RECTIFICATION, category=categories[ASPECT_CATEGORY[spec.aspect]],
            text=spec.text.strip(), division=unit.division, organisation=unit, owner=owner,
            reply_workdays=plan.rectify_workdays, reviewer_org=plan.organiser, attachments=spec.photos,
            source_ref=f"stars.visit:{visit.pk}", at=at)
        f = Finding.objects.create(
            visit=visit, aspect=spec.aspect, text=spec.text.strip(), case=filed.case, plan=plan,
            round_number=visit.round.number, group=group, unit=unit, case_status=filed.case.status,
            plan_org_path=plan.org_path, unit_division_path=unit.division.path, unit_org_path=unit.path,
            created_by=actor, created_at=at)
        audit.record(actor=actor, action=A_FINDING, obj=f, after=audit.snapshot(f))
    for v in verifications:
        _verify(actor=actor, visit=visit, v=v, at=at)
    audit.record(actor=actor, action=A_VISITED, obj=visit, after={
        "status": "done", "findings": len(findings), "verified": len(verifications)})
    return visit


def _verify(*, actor, visit: Visit, v: Verification, at: dt.datetime) -> None:
    f = Finding.objects.select_related("case").filter(pk=v.finding_id, plan=visit.round.plan, unit=visit.unit).first()
    if f is None:
        raise ValidationError({"verifications": "要核验的问题不属于本村(社区)本计划"})
    case = f.case
    if case.status != Status.REPLIED:
        state = case.get_status_display()
        raise ValidationError({"verifications": f"问题“{f.text[:20]}”尚未答复整改情况(当前:{state}),不能核验"})
    if v.done:
        case_services.case_rate(actor=actor, case=case, rating=Rating.SATISFIED, comment=v.comment, at=at,
                                source="stars")
        f.verified_in = visit
        f.save(update_fields=["verified_in"])
    else:
        comment = (v.comment or "").strip() or "再督导核验未通过"
        case = case_services.case_rate(actor=actor, case=case, rating=Rating.UNSATISFIED, comment=comment, at=at,
                                       source="stars")
        case_services.case_reopen(actor=actor, case=case, reason=comment, at=at, source="stars")
    audit.record(actor=actor, action=A_VERIFIED, obj=f, after={"done": v.done, "comment": v.comment})


def sync_finding(*, case_id: int, kind: str, status: str, **_) -> None:
    """Hook ``cases.changed``: a finding mirrors its rectification item's state for the progress board."""
    if kind == CaseKind.RECTIFICATION:
        Finding.objects.filter(case_id=case_id).update(case_status=status)


def open_findings(plan: SupervisionPlan, unit) -> list[Finding]:
    return list(Finding.objects.filter(plan=plan, unit=unit).exclude(case_status=Status.CLOSED).order_by("pk"))


@transaction.atomic
def post_evaluate(*, actor, plan: SupervisionPlan, unit, result: str, comment: str,
                  at: dt.datetime | None = None) -> PostEvaluation:
    """后评估 of a branch whose findings in the plan are all rectified and verified."""
    roles.require(actor, roles.M_STARS_MANAGE, "只有区县党委组织部可以开展后评估")
    if not is_visible(plan, actor):
        raise PermissionDenied("该督导计划不在管辖范围内")
    if not Finding.objects.filter(plan=plan, unit=unit).exists():
        raise ValidationError(f"{unit.name}在本计划中没有督导发现的问题")
    still = open_findings(plan, unit)
    if still:
        raise ValidationError(f"{unit.name}还有{len(still)}个问题未整改核验完毕,不能后评估")
    if result not in PostEvaluation.Result.values:
        raise ValidationError({"result": "评估结论不正确"})
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "请填写评估意见"})
    if PostEvaluation.objects.filter(plan=plan, unit=unit).exists():
        raise ValidationError(f"{unit.name}已完成后评估")
    pe = PostEvaluation.objects.create(plan=plan, unit=unit, result=result, comment=comment[:2000],
                                       evaluated_by=actor, evaluated_at=at or timezone.now(),
                                       plan_org_path=plan.org_path, unit_division_path=unit.division.path,
                                       unit_org_path=unit.path)
    audit.record(actor=actor, action=A_POST, obj=pe, after=audit.snapshot(pe))
    return pe

