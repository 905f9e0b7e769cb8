"""申报 → 审核 → 公示 → 入账: a claim under a rule is reviewed by the village, shown to the village for the
rulebook's publicity period (anyone in the village may object), and then posted to the ledger once."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ningju.core import audit
from ningju.core.scoping import is_visible
from ningju.workdays import selectors as workdays

from ..models import Account, Declaration, Rule
from .ledger import check_cap, check_rule, may_manage, post_points

A_DECLARED = audit.register_action("points.declaration.submitted", "积分申报")
A_REVIEWED = audit.register_action("points.declaration.reviewed", "审核积分申报")
A_OBJECTED = audit.register_action("points.declaration.objected", "积分公示异议")
A_RESOLVED = audit.register_action("points.declaration.resolved", "处理积分异议")
A_POSTED = audit.register_action("points.declaration.posted", "公示期满入账")


@transaction.atomic
def submit(*, actor, account: Account, rule: Rule, occurred_on: dt.date, note: str, times: int = 1,
           at: dt.datetime | None = None) -> Declaration:
    at = at or timezone.now()
    if not (account.user_id == getattr(actor, "pk", None) or may_manage(actor, account)):
        raise PermissionDenied("只能为自己的积分账户申报")
    check_rule(account, rule)
    if not rule.declarable:
        raise ValidationError({"rule": f"“{rule.name}”不接受申报,由村(社区)直接记分"})
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 20:
        raise ValidationError({"times": "次数应为1至20的整数"})
    if occurred_on > timezone.localtime(at).date():
        raise ValidationError({"occurred_on": "发生日期不能晚于今天"})
    note = (note or "").strip()
    if not note or len(note) > 300:
        raise ValidationError({"note": "请填写申报说明(300字以内)"})
    check_cap(account, rule, occurred_on, rule.points * times)
    d = Declaration.objects.create(account=account, rule=rule, occurred_on=occurred_on, note=note, times=times,
                                   submitted_by=actor if getattr(actor, "pk", None) else None, submitted_at=at,
                                   division_path=account.division_path, org_path=account.org_path)
    audit.record(actor=actor, action=A_DECLARED, obj=d, after=audit.snapshot(d))
    return d


@transaction.atomic
def review(*, actor, declaration: Declaration, approve: bool, comment: str = "",
           at: dt.datetime | None = None) -> Declaration:
    at = at or timezone.now()
    d = Declaration.objects.select_for_update().select_related("account", "rule__rulebook").get(pk=declaration.pk)
    if not may_manage(actor, d.account):
        raise PermissionDenied("只有本村(社区)积分管理员可以审核")
    if d.status != Declaration.Status.SUBMITTED:
        raise ValidationError(f"该申报{d.get_status_display()},不能审核")
    comment = (comment or "").strip()[:300]
    if not approve and not comment:
        raise ValidationError({"comment": "不通过请写明原因"})
    before = audit.snapshot(d)
    d.reviewed_by, d.reviewed_at, d.review_comment = actor, at, comment
    if approve:
        d.status = Declaration.Status.PUBLICITY
        d.publicity_until = workdays.add_workdays(at, d.rule.rulebook.publicity_workdays)
    else:
        d.status = Declaration.Status.REJECTED
    d.save()
    audit.record(actor=actor, action=A_REVIEWED, obj=d, before=before, after=audit.snapshot(d))
    return d


@transaction.atomic
def object_to(*, actor, declaration: Declaration, text: str, at: dt.datetime | None = None) -> Declaration:
    """Anyone who may see the village's publicity list objects to a declaration during its publicity."""
    at = at or timezone.now()
    d = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if not is_visible(d, actor) and not _same_village(actor, d):
        raise PermissionDenied("无权查看该公示")
    if d.status != Declaration.Status.PUBLICITY or at > d.publicity_until:
        raise ValidationError("该申报不在公示期内")
    text = (text or "").strip()
    if not text or len(text) > 300:
        raise ValidationError({"text": "请填写异议内容(300字以内)"})
    before = audit.snapshot(d)
    d.status = Declaration.Status.OBJECTED
    d.objections = (d.objections + f"\n{timezone.localtime(at):%Y-%m-%d} {getattr(actor, 'name', '')}:{text}"
                    ).strip()[:3000]
    d.save()
    audit.record(actor=actor, action=A_OBJECTED, obj=d, before=before, after=audit.snapshot(d))
    return d


def _same_village(actor, d: Declaration) -> bool:
    """A villager with a points account in the same village sees its publicity list."""
    return bool(getattr(actor, "pk", None)) and Account.objects.filter(
        user=actor, division_path=d.division_path).exists()


@transaction.atomic
def resolve(*, actor, declaration: Declaration, post: bool, comment: str,
            at: dt.datetime | None = None) -> Declaration:
    """The village answers an objection: post the points, or withdraw the declaration."""
    at = at or timezone.now()
    d = Declaration.objects.select_for_update().select_related("account", "rule").get(pk=declaration.pk)
    if not may_manage(actor, d.account):
        raise PermissionDenied("只有本村(社区)积分管理员可以处理异议")
    if d.status != Declaration.Status.OBJECTED:
        raise ValidationError("该申报没有待处理的异议")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "请填写处理意见"})
    before = audit.snapshot(d)
    d.objections = (d.objections + f"\n处理意见:{comment}")[:3000]
    if post:
        _post(d, actor=actor, at=at)
    else:
        d.status = Declaration.Status.WITHDRAWN
    d.save()
    audit.record(actor=actor, action=A_RESOLVED, obj=d, before=before, after=audit.snapshot(d))
    return d


def _post(d: Declaration, *, actor, at: dt.datetime) -> None:
    d.entry = post_points(actor=actor, account=d.account, rule=d.rule, times=d.times, occurred_on=d.occurred_on,
                          reason=f"{d.rule.name}(申报)", idempotency_key=f"declaration:{d.pk}",
                          source_type="points.declaration", source_id=str(d.pk), approved_by=d.reviewed_by, at=at)
    d.status = Declaration.Status.POSTED


def post_due(*, now: dt.datetime | None = None) -> int:
    """Post every declaration whose publicity ended without objection. Idempotent (run daily)."""
    now = now or timezone.now()
    posted = 0
    for d in Declaration.objects.filter(status=Declaration.Status.PUBLICITY, publicity_until__lte=now):
        with transaction.atomic():
            d = Declaration.objects.select_for_update().select_related("account", "rule").get(pk=d.pk)
            if d.status != Declaration.Status.PUBLICITY:
                continue
            try:
                _post(d, actor=None, at=now)
            except ValidationError as exc:  # e.g. the cap was reached meanwhile: keep it visible, not lost
                d.status = Declaration.Status.OBJECTED
                d.objections = (d.objections + "\n系统:入账失败:" + ";".join(exc.messages))[:3000]
            d.save()
            if d.status == Declaration.Status.POSTED:
                audit.record(actor=None, action=A_POSTED, obj=d, after={"entry": d.entry_id}, source="job")
                posted += 1
    return posted
