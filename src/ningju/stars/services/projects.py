"""The project library (创星项目库): a branch proposes a project tied to a star, the district approves it,
the branch reports progress until it is completed."""

from __future__ import annotations

import datetime as dt
import decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ningju.core import audit, roles
from ningju.core.scoping import is_visible

from ..models import Project, ProjectUpdate, StandardSet, Star
from .common import acts_for_branch, check_branch, unit_kind_of

A_PROPOSED = audit.register_action("stars.project.proposed", "申报创星项目")
A_DECIDED = audit.register_action("stars.project.decided", "审批创星项目")
A_PROGRESS = audit.register_action("stars.project.progress", "更新项目进展")


@transaction.atomic
def project_propose(*, actor, branch, star: Star, name: str, description: str, planned_end: dt.date,
                    kind: str = Project.Kind.STAR, budget=None, at: dt.datetime | None = None) -> Project:
    check_branch(branch)
    if not acts_for_branch(actor, branch):
        raise PermissionDenied("只有本支部书记或组织部门可以申报项目")
    std = StandardSet.objects.filter(pk=star.standard_id, unit_kind=unit_kind_of(branch)).first()
    if std is None:
        raise ValidationError({"star": "该星不适用于本村(社区)"})
    if kind not in Project.Kind.values:
        raise ValidationError({"kind": "项目类型不正确"})
    name, description = (name or "").strip(), (description or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "请填写项目名称(100字以内)"})
    if not description or len(description) > 3000:
        raise ValidationError({"description": "请填写项目内容(3000字以内)"})
    if budget not in (None, ""):
        try:
            budget = decimal.Decimal(str(budget)).quantize(decimal.Decimal("0.01"))
        except decimal.InvalidOperation:
            raise ValidationError({"budget": "预算应为数字(万元)"}) from None
        if budget < 0 or budget > decimal.Decimal("99999999"):
            raise ValidationError({"budget": "预算应为0至99999999万元"})
    else:
        budget = None
    at = at or timezone.now()
    if planned_end < at.date():
        raise ValidationError({"planned_end": "计划完成日期不能早于今天"})
    p = Project.objects.create(branch=branch, star=star, kind=kind, name=name, description=description,
                               budget=budget, planned_end=planned_end, proposed_by=actor, proposed_at=at,
                               division_path=branch.division.path, org_path=branch.path)
    audit.record(actor=actor, action=A_PROPOSED, obj=p, after=audit.snapshot(p))
    return p


@transaction.atomic
def project_decide(*, actor, project: Project, approve: bool, comment: str = "",
                   at: dt.datetime | None = None) -> Project:
    roles.require(actor, roles.M_STARS_MANAGE, "只有组织部门可以审批项目")
    p = Project.objects.select_for_update().get(pk=project.pk)
    if not is_visible(p, actor):
        raise PermissionDenied("该项目不在管辖范围内")
    if p.status != Project.Status.PROPOSED:
        raise ValidationError(f"该项目{p.get_status_display()},不能再审批")
    comment = (comment or "").strip()[:300]
    if not approve and not comment:
        raise ValidationError({"comment": "不予立项请写明原因"})
    before = audit.snapshot(p)
    p.status = Project.Status.APPROVED if approve else Project.Status.REJECTED
    p.decision_comment, p.decided_by, p.decided_at = comment, actor, at or timezone.now()
    p.save()
    audit.record(actor=actor, action=A_DECIDED, obj=p, before=before, after=audit.snapshot(p))
    return p


@transaction.atomic
def project_progress(*, actor, project: Project, progress: int, note: str, at: dt.datetime | None = None) -> Project:
    """Report progress (0–100 %, never backwards); 100 % completes the project."""
    p = Project.objects.select_for_update().get(pk=project.pk)
    if not acts_for_branch(actor, p.branch):
        raise PermissionDenied("只有本支部书记或组织部门可以更新项目进展")
    if p.status != Project.Status.APPROVED:
        raise ValidationError("只有已立项的项目可以更新进展")
    if isinstance(progress, bool) or not isinstance(progress, int) or not p.progress <= progress <= 100:
        raise ValidationError({"progress": f"进度应为{p.progress}至100之间的整数"})
    note = (note or "").strip()
    if not note or len(note) > 500:
        raise ValidationError({"note": "请填写进展情况(500字以内)"})
    at = at or timezone.now()
    before = audit.snapshot(p)
    p.progress = progress
    if progress == 100:
        p.status, p.completed_at = Project.Status.COMPLETED, at
    p.save()
    ProjectUpdate.objects.create(project=p, progress=progress, note=note, by=actor, at=at)
    audit.record(actor=actor, action=A_PROGRESS, obj=p, before=before, after=audit.snapshot(p))
    return p
