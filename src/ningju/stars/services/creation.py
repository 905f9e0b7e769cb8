"""Creation and awarding: plan → self-assessment with evidence → town review → district evaluation → award
in publicity (公示) → standing; objections during publicity; withdrawal (摘星) with a reason."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ningju.core import audit, roles
from ningju.core.scoping import is_visible
from ningju.workdays import selectors as workdays

from ..models import Assessment, Award, Evidence, Plan, StandardItem, StandardSet, Star
from .common import acts_for_branch, check_branch, unit_kind_of

A_PLAN = audit.register_action("stars.plan.saved", "保存创建计划")
A_ASSESSED = audit.register_action("stars.assessment.submitted", "提交自评")
A_REVIEWED = audit.register_action("stars.assessment.reviewed", "乡镇审核自评")
A_EVALUATED = audit.register_action("stars.assessment.evaluated", "区县评定自评")
A_AWARDED = audit.register_action("stars.award.created", "评定星级(公示)")
A_OBJECTED = audit.register_action("stars.award.objected", "公示期异议")
A_DECIDED = audit.register_action("stars.award.decided", "处理公示异议")
A_STANDING = audit.register_action("stars.award.standing", "公示期满授星")
A_WITHDRAWN = audit.register_action("stars.award.withdrawn", "摘星")

PUBLICITY_WORKDAYS = 5
MAX_EVIDENCE = 10


def _now(at):
    return at or timezone.now()


@transaction.atomic
def plan_save(*, actor, branch, year: int, targets: list[Star], measures: str, submit: bool = False,
              at: dt.datetime | None = None) -> Plan:
    """Write (or change) the branch's creation plan for a year; ``submit`` hands it in."""
    check_branch(branch)
    if not acts_for_branch(actor, branch):
        raise PermissionDenied("只有本支部书记或组织部门可以填写创建计划")
    standard = StandardSet.objects.filter(year=year, unit_kind=unit_kind_of(branch), published=True).first()
    if standard is None:
        raise ValidationError({"year": f"{year}年的创建标准尚未发布"})
    targets = list(targets)
    if not targets:
        raise ValidationError({"targets": "请至少选择一颗目标星"})
    if any(t.standard_id != standard.pk for t in targets):
        raise ValidationError({"targets": "目标星不属于本年度适用的创建标准"})
    measures = (measures or "").strip()
    if not measures:
        raise ValidationError({"measures": "请填写创建措施"})
    if len(measures) > 3000:
        raise ValidationError({"measures": "创建措施不能超过3000字"})
    plan = Plan.objects.select_for_update().filter(branch=branch, year=year).first()
    before = audit.snapshot(plan) if plan else None
    if plan is None:
        plan = Plan(branch=branch, year=year, standard=standard, created_by=actor,
                    division_path=branch.division.path, org_path=branch.path)
    plan.measures = measures
    if submit and plan.status != Plan.Status.SUBMITTED:
        plan.status, plan.submitted_at = Plan.Status.SUBMITTED, _now(at)
    plan.save()
    plan.targets.set(targets)
    after = {**audit.snapshot(plan), "targets": [t.name for t in targets]}
    audit.record(actor=actor, action=A_PLAN, obj=plan, before=before, after=after)
    return plan


def _check_claim(item: StandardItem, claim_met: bool, claim_score) -> int | None:
    if item.mode == StandardItem.Mode.SCORE:
        if claim_score is None or isinstance(claim_score, bool) or not isinstance(claim_score, int):
            raise ValidationError({"claim_score": f"计分项目请填写自评得分(0至{item.max_score}分的整数)"})
        if not 0 <= claim_score <= item.max_score:
            raise ValidationError({"claim_score": f"自评得分应在0至{item.max_score}分之间"})
        return claim_score
    return None


@transaction.atomic
def assessment_submit(*, actor, plan: Plan, item: StandardItem, claim_met: bool, note: str = "",
                      claim_score: int | None = None, files=(), at: dt.datetime | None = None) -> Assessment:
    """The branch's self-assessment of one item, with the evidence the item asks for (files cleaned by
    ``core.uploads.clean_upload``). A returned assessment may be submitted again."""
    at = _now(at)
    if not acts_for_branch(actor, plan.branch):
        raise PermissionDenied("只有本支部书记可以提交自评")
    if plan.status != Plan.Status.SUBMITTED:
        raise ValidationError("请先提交创建计划,再逐项自评")
    if item.star.standard_id != plan.standard_id:
        raise ValidationError({"item": "该条目不属于本计划适用的创建标准"})
    score = _check_claim(item, claim_met, claim_score)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "自评说明不能超过2000字"})
    assessment = Assessment.objects.select_for_update().filter(plan=plan, item=item).first()
    files = list(files or ())
    existing = assessment.evidence.count() if assessment else 0
    if existing + len(files) > MAX_EVIDENCE:
        raise ValidationError({"files": f"每个条目最多{MAX_EVIDENCE}个佐证文件"})
    if claim_met and item.evidence and existing + len(files) < item.min_files:
        raise ValidationError({"files": f"该条目需要佐证材料:{item.evidence}(至少{item.min_files}个文件)"})
    before = None
    if assessment is None:
        assessment = Assessment(plan=plan, item=item, submitted_at=at)
    else:
        if assessment.status not in (Assessment.Status.SUBMITTED, Assessment.Status.RETURNED):
            raise ValidationError(f"该条目已{assessment.get_status_display()},不能再修改自评")
        before = audit.snapshot(assessment)
    assessment.claim_met, assessment.claim_score, assessment.note = bool(claim_met), score, note
    assessment.status, assessment.submitted_by, assessment.submitted_at = Assessment.Status.SUBMITTED, actor, at
    assessment.save()
    for f in files:
        ev = Evidence(assessment=assessment, content_type=f.content_type, size=f.size, sha256=f.sha256,
                      original_name=(f.original_name or "")[:200], uploaded_by=actor)
        ev.file.save(f.storage_name(), f.as_content_file(), save=False)
        ev.save()
    audit.record(actor=actor, action=A_ASSESSED, obj=assessment, before=before,
                 after={**audit.snapshot(assessment), "files": len(files)})
    return assessment


@transaction.atomic
def assessment_review(*, actor, assessment: Assessment, approve: bool, comment: str = "",
                      at: dt.datetime | None = None) -> Assessment:
    """The town checks the self-assessment and its evidence: passed on to the district, or returned."""
    roles.require(actor, roles.M_STARS_REVIEW, "只有乡镇(街道)党(工)委可以审核自评")
    a = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not is_visible(a, actor):
        raise PermissionDenied("该支部不在管辖范围内")
    if a.status != Assessment.Status.SUBMITTED:
        raise ValidationError(f"该条目当前为“{a.get_status_display()}”,不能审核")
    comment = (comment or "").strip()[:500]
    if not approve and not comment:
        raise ValidationError({"comment": "退回时请写明原因"})
    before = audit.snapshot(a)
    a.status = Assessment.Status.REVIEWED if approve else Assessment.Status.RETURNED
    a.town_comment, a.town_by, a.town_at = comment, actor, _now(at)
    a.save()
    audit.record(actor=actor, action=A_REVIEWED, obj=a, before=before, after=audit.snapshot(a))
    return a


@transaction.atomic
def assessment_evaluate(*, actor, assessment: Assessment, met: bool, score: int | None = None, comment: str = "",
                        at: dt.datetime | None = None) -> Assessment:
    """The district decides whether the item is met (and its score for a scored item)."""
    roles.require(actor, roles.M_STARS_MANAGE, "只有区县党委组织部可以评定")
    a = Assessment.objects.select_for_update().select_related("item").get(pk=assessment.pk)
    if not is_visible(a, actor):
        raise PermissionDenied("该支部不在管辖范围内")
    if a.status not in (Assessment.Status.REVIEWED, Assessment.Status.MET, Assessment.Status.NOT_MET):
        raise ValidationError("该条目尚未经乡镇审核,不能评定")
    if Award.objects.filter(plan=a.plan, star=a.item.star).exclude(status=Award.Status.WITHDRAWN).exists():
        raise ValidationError("该星已评定,不能再修改条目评定")
    if a.item.mode == StandardItem.Mode.SCORE:
        if score is None or not 0 <= int(score) <= a.item.max_score:
            raise ValidationError({"score": f"请填写评定得分(0至{a.item.max_score}分)"})
        met = int(score) >= a.item.pass_score
    before = audit.snapshot(a)
    a.status = Assessment.Status.MET if met else Assessment.Status.NOT_MET
    a.score = int(score) if score is not None else (a.item.max_score if met else 0)
    a.district_comment, a.district_by, a.district_at = (comment or "").strip()[:500], actor, _now(at)
    a.save()
    audit.record(actor=actor, action=A_EVALUATED, obj=a, before=before, after=audit.snapshot(a))
    return a


def missing_items(plan: Plan, star: Star) -> list[str]:
    """Why ``star`` cannot be awarded to the plan's branch: the items not met, and a score below the line."""
    items = list(star.items.order_by("order", "pk"))
    done = {a.item_id: a for a in plan.assessments.filter(item__star=star)}
    missing = []
    for n, item in enumerate(items, start=1):
        a = done.get(item.pk)
        if item.required and (a is None or a.status != Assessment.Status.MET):
            state = "未自评" if a is None else a.get_status_display()
            missing.append(f"{n}. {item.text}({state})")
    if star.pass_score:
        total = sum(a.score or 0 for a in done.values() if a.status == Assessment.Status.MET)
        if total < star.pass_score:
            missing.append(f"得分合计{total}分,低于达星分数线{star.pass_score}分")
    return missing


@transaction.atomic
def award_star(*, actor, plan: Plan, star: Star, at: dt.datetime | None = None,
               publicity_workdays: int = PUBLICITY_WORKDAYS) -> Award:
    """Award a star whose items are all met; it stands after the publicity period unless objected to."""
    at = _now(at)
    roles.require(actor, roles.M_STARS_MANAGE, "只有区县党委组织部可以评定星级")
    if not is_visible(plan, actor):
        raise PermissionDenied("该支部不在管辖范围内")
    if star.standard_id != plan.standard_id:
        raise ValidationError({"star": "该星不属于本计划适用的创建标准"})
    missing = missing_items(plan, star)
    if missing:
        raise ValidationError({"star": [f"“{star.name}”尚不能评定,以下条目未达标:", *missing]})
    award = Award(branch=plan.branch, plan=plan, star=star, year=plan.year, awarded_by=actor, awarded_at=at,
                  publicity_until=workdays.add_workdays(at, publicity_workdays),
                  division_path=plan.division_path, org_path=plan.org_path)
    try:
        with transaction.atomic():
            award.save()
    except IntegrityError:
        raise ValidationError({"star": f"{plan.branch.name}已获评“{star.name}”"}) from None
    audit.record(actor=actor, action=A_AWARDED, obj=award, after=audit.snapshot(award))
    return award


@transaction.atomic
def award_object(*, actor, award: Award, text: str, at: dt.datetime | None = None) -> Award:
    """Anyone who may see the award objects to it during its publicity period."""
    at = _now(at)
    a = Award.objects.select_for_update().get(pk=award.pk)
    if not is_visible(a, actor):
        raise PermissionDenied("无权查看该公示")
    if a.status != Award.Status.PUBLICITY or at > a.publicity_until:
        raise ValidationError("公示期已结束,不能再提出异议")
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise ValidationError({"text": "请填写异议内容(500字以内)"})
    before = audit.snapshot(a)
    line = f"{timezone.localtime(at):%Y-%m-%d %H:%M} {getattr(actor, 'name', '')}:{text}"
    a.objections = (a.objections + "\n" + line).strip()[:3000]
    a.objection_open = True
    a.save(update_fields=["objections", "objection_open"])
    audit.record(actor=actor, action=A_OBJECTED, obj=a, before=before, after=audit.snapshot(a))
    return a


@transaction.atomic
def award_decide_objection(*, actor, award: Award, uphold_award: bool, comment: str,
                           at: dt.datetime | None = None) -> Award:
    """The district answers objections: the award stands (after publicity) or is withdrawn."""
    roles.require(actor, roles.M_STARS_MANAGE, "只有区县党委组织部可以处理异议")
    a = Award.objects.select_for_update().get(pk=award.pk)
    if not is_visible(a, actor) or a.status != Award.Status.PUBLICITY or not a.objection_open:
        raise ValidationError("没有待处理的公示异议")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "请写明处理意见"})
    before = audit.snapshot(a)
    a.objections = (a.objections + f"\n处理意见:{comment}" + ("(维持评定)" if uphold_award else "(摘星)"))[:3000]
    a.objection_open = False
    if uphold_award:
        a.save(update_fields=["objections", "objection_open"])
    else:
        _withdraw(a, actor=actor, reason=f"公示异议成立:{comment}"[:300], at=_now(at))
    audit.record(actor=actor, action=A_DECIDED, obj=a, before=before, after=audit.snapshot(a))
    return a


def awards_settle(*, now: dt.datetime | None = None) -> int:
    """Awards whose publicity has ended without an open objection stand. Idempotent (run daily)."""
    now = _now(now)
    settled = 0
    due = Award.objects.filter(status=Award.Status.PUBLICITY, publicity_until__lte=now, objection_open=False)
    for a in due:  # an open objection waits for the district's decision
        with transaction.atomic():
            if Award.objects.filter(pk=a.pk, status=Award.Status.PUBLICITY, objection_open=False).update(
                    status=Award.Status.STANDING):
                audit.record(actor=None, action=A_STANDING, obj=a, after={"status": "standing"}, source="job")
                settled += 1
    return settled


def _withdraw(a: Award, *, actor, reason: str, at: dt.datetime) -> None:
    a.status, a.withdrawn_at, a.withdrawn_by, a.withdrawn_reason = Award.Status.WITHDRAWN, at, actor, reason
    a.save()


@transaction.atomic
def award_withdraw(*, actor, award: Award, reason: str, at: dt.datetime | None = None) -> Award:
    """摘星: the district takes a star back, with the reason kept in the branch's star history."""
    roles.require(actor, roles.M_STARS_MANAGE, "只有区县党委组织部可以摘星")
    a = Award.objects.select_for_update().get(pk=award.pk)
    if not is_visible(a, actor):
        raise PermissionDenied("该支部不在管辖范围内")
    if a.status == Award.Status.WITHDRAWN:
        raise ValidationError("该星已摘除")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "摘星须写明原因"})
    before = audit.snapshot(a)
    _withdraw(a, actor=actor, reason=reason[:300], at=_now(at))
    audit.record(actor=actor, action=A_WITHDRAWN, obj=a, before=before, after=audit.snapshot(a))
    return a
