"""The transitions of a case, each an action with a check and an execution in one transaction.

Concurrency: every transition first bumps ``Case.version`` with ``UPDATE ... WHERE version = <expected>``.
That statement takes the row's write lock on both databases, so of two people acting on the same case
at once exactly one goes on; the other finds the version moved and gets :class:`CaseConflict` with the
case's current state. Pages send the version they showed; the API may omit it (then the version read
at the start of the request is expected, which still serialises the two).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ningju.core import audit, hooks
from ningju.core.scoping import is_visible
from ningju.orgs.models import Organisation

from .. import permissions
from ..models import Attachment, Case, CaseEvent, Supervision
from ..states import (
    COMMENT_MAX,
    MAX_ATTACHMENTS,
    REOPEN_LIMIT,
    REOPEN_WINDOW_DAYS,
    TRANSITIONS,
    Action,
    CaseKind,
    Rating,
    Status,
)
from . import notify, rules

A = {a: audit.register_action(f"cases.case.{a.value}", f"事项{a.label}") for a in Action}
A_FILED = audit.register_action("cases.case.filed", "提交事项")


class CaseConflict(ValidationError):
    """Someone else changed the case since the caller looked at it."""


def now_or(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


# --- machinery -----------------------------------------------------------------------------------------

def lock(case: Case | int, version: int | None) -> Case:
    """Claim the case for one transition (see the module docstring) and return it freshly read."""
    pk = getattr(case, "pk", case)
    current = Case.objects.filter(pk=pk).values_list("version", flat=True).first()
    if current is None:
        raise ValidationError("事项不存在")
    expected = current if version is None else int(version)
    # A version other than the one just read is stale (or impossible, e.g. the column's maximum, whose + 1
    # would overflow): refused without writing.
    if expected != current or not Case.objects.filter(pk=pk, version=expected).update(version=expected + 1):
        fresh = Case.objects.get(pk=pk)
        raise CaseConflict(f"该事项刚刚已被他人处理(当前状态:{fresh.get_status_display()}),请刷新后查看最新情况再操作")
    return Case.objects.select_related("category", "division", "organisation", "filer").get(pk=pk)


def check_state(case: Case, action: str) -> None:
    allowed = TRANSITIONS[action]
    if case.status not in allowed:
        label = Action(action).label
        raise ValidationError(f"事项当前状态为“{case.get_status_display()}”,不能{label}")


def event(case: Case, action: str, *, actor, at: dt.datetime, from_status: str = "", to_status: str = "",
          organisation: Organisation | None = None, comment: str = "", data: dict | None = None) -> CaseEvent:
    label = getattr(actor, "audit_label", None) or (str(actor) if actor else "系统")
    return CaseEvent.objects.create(
        case=case, action=action, actor=actor if getattr(actor, "pk", None) else None, actor_label=label[:100],
        at=at, from_status=from_status, to_status=to_status or case.status, organisation=organisation,
        comment=comment, data=data or {})


def attach(case: Case, ev: CaseEvent | None, uploads, *, actor) -> list[Attachment]:
    """Store attachments cleaned by :func:`ningju.core.uploads.clean_upload` (``CleanFile``) on the case."""
    uploads = list(uploads or ())
    if len(uploads) + (case.attachments.count() if case.pk else 0) > MAX_ATTACHMENTS * 3:
        raise ValidationError("该事项的附件已达上限")
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(f"一次最多上传{MAX_ATTACHMENTS}个附件")
    saved = []
    for up in uploads:
        a = Attachment(case=case, event=ev, content_type=up.content_type, size=up.size, sha256=up.sha256,
                       original_name=(up.original_name or "")[:200],
                       uploaded_by=actor if getattr(actor, "pk", None) else None)
        a.file.save(up.storage_name(), up.as_content_file(), save=False)
        a.save()
        saved.append(a)
    return saved


def clean_comment(text: str | None, *, required: bool, label: str = "说明") -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({"comment": f"请填写{label}"})
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": f"{label}不能超过{COMMENT_MAX}字(当前{len(text)}字)"})
    return text


def audit_step(case: Case, action: str, *, actor, before: dict, source: str) -> None:
    """The audit entry of a transition, and the hook that lets the app owning the case's source follow it."""
    audit.record(actor=actor, action=A[action], obj=case, before=before, after=audit.snapshot(case), source=source)
    hooks.emit("cases.changed", case_id=case.pk, kind=case.kind, status=case.status)


def assign(case: Case, org: Organisation, *, at: dt.datetime) -> None:
    """Give the case to ``org`` with fresh deadlines counted from ``at``."""
    case.organisation = org
    case.org_path = org.path
    case.status = Status.DISPATCHED
    case.dispatched_at = at
    case.accept_due, case.reply_due = rules.due_times(case.category, case.priority, at)
    case.accepted_at = case.handled_at = None
    case.accept_reminded = case.reply_reminded = False
    case.extension_days, case.extension_reason = 0, ""


def due_data(case: Case) -> dict:
    return {"accept_due": case.accept_due.isoformat(), "reply_due": case.reply_due.isoformat()}


def notify_assigned(case: Case, *, at: dt.datetime, what: str = "新事项") -> None:
    notify.send(notify.handlers_of(case.organisation), kind="assigned", at=at, case=case,
                title=f"{what}待受理:{case.title}",
                body=f"{case.number},请于{timezone.localtime(case.accept_due):%m月%d日 %H:%M}前受理")


def notify_filer(case: Case, *, at: dt.datetime, title: str, body: str = "") -> None:
    if case.filer_id:
        notify.send([case.filer], kind="progress", at=at, case=case, title=title, body=body)


def resolve_supervisions(case: Case, *, reasons, at: dt.datetime) -> None:
    Supervision.objects.filter(case=case, reason__in=reasons, resolved_at__isnull=True).update(resolved_at=at)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message)


# --- transitions ---------------------------------------------------------------------------------------

@transaction.atomic
def case_dispatch(*, actor, case: Case, organisation: Organisation, version: int | None = None, comment: str = "",
                  at: dt.datetime | None = None, source: str = "web") -> Case:
    """A dispatcher gives a case waiting in the queue to the responsible organisation."""
    at = now_or(at)
    case = lock(case, version)
    check_state(case, Action.DISPATCH)
    _require(permissions.is_dispatcher(actor, case), "只有该区域的分派人员可以分派事项")
    if not organisation.is_active:
        raise ValidationError({"organisation": "该单位已停用"})
    if not is_visible(organisation, actor):
        raise ValidationError({"organisation": "承办单位不存在或不在管辖范围内"})
    comment = clean_comment(comment, required=False)
    before = audit.snapshot(case)
    prev = case.status
    assign(case, organisation, at=at)
    case.save()
    event(case, Action.DISPATCH, actor=actor, at=at, from_status=prev, organisation=organisation, comment=comment,
          data=due_data(case))
    notify_assigned(case, at=at)
    audit_step(case, Action.DISPATCH, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_accept(*, actor, case: Case, version: int | None = None, comment: str = "", at: dt.datetime | None = None,
                source: str = "web") -> Case:
    at = now_or(at)
    case = lock(case, version)
    check_state(case, Action.ACCEPT)
    _require(permissions.is_handler(actor, case), "只有承办单位可以受理该事项")
    comment = clean_comment(comment, required=False)
    before = audit.snapshot(case)
    case.status, case.accepted_at = Status.ACCEPTED, at
    if case.owner_id is None and getattr(actor, "pk", None):
        case.owner = actor
    case.save()
    event(case, Action.ACCEPT, actor=actor, at=at, from_status=Status.DISPATCHED, organisation=case.organisation,
          comment=comment, data={"in_time": at <= case.accept_due})
    resolve_supervisions(case, reasons=[Supervision.Reason.ACCEPT_OVERDUE], at=at)
    notify_filer(case, at=at, title=f"您的{case.get_kind_display()}已受理:{case.title}",
                 body=f"承办单位:{case.organisation.name}")
    audit_step(case, Action.ACCEPT, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_return(*, actor, case: Case, reason: str, version: int | None = None, at: dt.datetime | None = None,
                source: str = "web") -> Case:
    """The organisation says the case is not its matter; it goes back to the dispatchers' queue."""
    at = now_or(at)
    case = lock(case, version)
    check_state(case, Action.RETURN)
    _require(permissions.is_handler(actor, case), "只有承办单位可以退回该事项")
    reason = clean_comment(reason, required=True, label="退回理由")
    before = audit.snapshot(case)
    org = case.organisation
    case.status, case.organisation, case.org_path, case.owner = Status.SUBMITTED, None, "", None
    case.accept_due = case.reply_due = case.dispatched_at = None
    case.save()
    event(case, Action.RETURN, actor=actor, at=at, from_status=Status.DISPATCHED, organisation=org, comment=reason)
    resolve_supervisions(case, reasons=list(Supervision.Reason), at=at)
    notify.send(notify.dispatchers_for(case), kind="returned", at=at, case=case,
                title=f"事项被退回,请重新分派:{case.title}", body=f"{org.name}:{reason}")
    audit_step(case, Action.RETURN, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_transfer(*, actor, case: Case, organisation: Organisation, reason: str, version: int | None = None,
                  at: dt.datetime | None = None, source: str = "web") -> Case:
    """A dispatcher moves a case from one organisation to another (转办); deadlines start again."""
    at = now_or(at)
    case = lock(case, version)
    check_state(case, Action.TRANSFER)
    _require(permissions.is_dispatcher(actor, case), "只有该区域的分派人员可以转办事项")
    if organisation.pk == case.organisation_id:
        raise ValidationError({"organisation": "请选择另一个承办单位"})
    if not organisation.is_active or not is_visible(organisation, actor):
        raise ValidationError({"organisation": "承办单位不存在或不在管辖范围内"})
    reason = clean_comment(reason, required=True, label="转办理由")
    before = audit.snapshot(case)
    prev = case.status
    case.owner = None
    assign(case, organisation, at=at)
    case.save()
    event(case, Action.TRANSFER, actor=actor, at=at, from_status=prev, organisation=organisation, comment=reason,
          data=due_data(case))
    resolve_supervisions(case, reasons=list(Supervision.Reason), at=at)
    notify_assigned(case, at=at, what="转办事项")
    audit_step(case, Action.TRANSFER, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_handle(*, actor, case: Case, result: str, version: int | None = None, attachments=(),
                at: dt.datetime | None = None, source: str = "web") -> Case:
    """The organisation records what it did (办理结果), with evidence if any."""
    at = now_or(at)
    case = lock(case, version)
    check_state(case, Action.HANDLE)
    _require(permissions.is_handler(actor, case), "只有承办单位可以办理该事项")
    result = clean_comment(result, required=True, label="办理结果")
    before = audit.snapshot(case)
    case.status, case.handled_at, case.result = Status.HANDLED, at, result
    case.save()
    ev = event(case, Action.HANDLE, actor=actor, at=at, from_status=Status.ACCEPTED, comment=result)
    attach(case, ev, attachments, actor=actor)
    audit_step(case, Action.HANDLE, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_reply(*, actor, case: Case, reply: str, version: int | None = None, attachments=(),
               at: dt.datetime | None = None, source: str = "web") -> Case:
    """The organisation answers the filer (答复); the filer is asked to rate it."""
    at = now_or(at)
    case = lock(case, version)
    check_state(case, Action.REPLY)
    _require(permissions.is_handler(actor, case), "只有承办单位可以答复该事项")
    reply = clean_comment(reply, required=True, label="答复内容")
    before = audit.snapshot(case)
    case.status, case.replied_at, case.reply = Status.REPLIED, at, reply
    case.save()
    ev = event(case, Action.REPLY, actor=actor, at=at, from_status=Status.HANDLED, comment=reply,
               data={"in_time": at <= case.reply_due})
    attach(case, ev, attachments, actor=actor)
    resolve_supervisions(case, reasons=list(Supervision.Reason), at=at)
    notify_filer(case, at=at, title=f"您的{case.get_kind_display()}已答复,请评价:{case.title}", body=reply[:200])
    audit_step(case, Action.REPLY, actor=actor, before=before, source=source)
    return case


def _close_with_rating(case: Case, rating: str, *, at: dt.datetime) -> None:
    case.rating, case.rated_at = rating, at
    case.status, case.closed_at = Status.CLOSED, at


def _check_rating(rating: str) -> str:
    if rating not in Rating.values:
        raise ValidationError({"rating": "评价只能是满意、基本满意或不满意"})
    return rating


@transaction.atomic
def case_rate(*, actor, case: Case, rating: str, comment: str = "", query_code: str | None = None,
              version: int | None = None, at: dt.datetime | None = None, source: str = "web") -> Case:
    """The filer rates the reply; the case closes. An unsatisfied filer may re-open it once."""
    at = now_or(at)
    rating = _check_rating(rating)
    probe = Case.objects.get(pk=getattr(case, "pk", case))
    _require(permissions.is_filer(actor, probe, query_code), "只有提交人可以评价该事项")
    case = lock(case, version)
    if case.rated_at is not None and case.status != Status.REPLIED:
        raise ValidationError("该事项已评价,不能重复评价")
    check_state(case, Action.RATE)
    comment = clean_comment(comment, required=rating == Rating.UNSATISFIED, label="不满意的原因")
    before = audit.snapshot(case)
    _close_with_rating(case, rating, at=at)
    case.save()
    named = case.filer_id or case.reviewer_org_id  # an anonymous filer stays anonymous in the timeline
    event(case, Action.RATE, actor=actor if named else None, at=at, from_status=Status.REPLIED, comment=comment,
          data={"rating": rating})
    if rating == Rating.UNSATISFIED:
        notify.send(notify.handlers_of(case.organisation), kind="unsatisfied", at=at, case=case,
                    title=f"提交人对答复不满意:{case.title}", body=comment[:200])
    audit_step(case, Action.RATE, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_callback(*, actor, case: Case, rating: str, comment: str, version: int | None = None,
                  at: dt.datetime | None = None, source: str = "web") -> Case:
    """A dispatcher records the rating the filer gave on a call-back (回访), for cases filed without a login."""
    at = now_or(at)
    rating = _check_rating(rating)
    case = lock(case, version)
    check_state(case, Action.CALLBACK)
    _require(permissions.is_dispatcher(actor, case), "只有该区域的分派人员可以录入回访评价")
    if case.filer_id:
        raise ValidationError("该事项由提交人本人在线评价,不能代为录入")
    comment = clean_comment(comment, required=True, label="回访情况")
    before = audit.snapshot(case)
    _close_with_rating(case, rating, at=at)
    case.save()
    event(case, Action.CALLBACK, actor=actor, at=at, from_status=Status.REPLIED, comment=comment,
          data={"rating": rating})
    audit_step(case, Action.CALLBACK, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_reopen(*, actor, case: Case, reason: str, query_code: str | None = None, version: int | None = None,
                at: dt.datetime | None = None, source: str = "web") -> Case:
    """An unsatisfied filer sends a closed case back to the same organisation, once, within 15 days."""
    at = now_or(at)
    probe = Case.objects.get(pk=getattr(case, "pk", case))
    if not permissions.is_filer(actor, probe, query_code):
        _require(not probe.filer_id and permissions.is_dispatcher(actor, probe), "只有提交人可以申请重新办理")
    case = lock(case, version)
    check_state(case, Action.REOPEN)
    if case.rating != Rating.UNSATISFIED:
        raise ValidationError("只有评价为不满意的事项可以重新办理")
    # A rectification item goes back as often as the verifying group finds it not done (督导→整改→再督导).
    limited = case.kind != CaseKind.RECTIFICATION
    if limited and case.reopen_count >= REOPEN_LIMIT:
        raise ValidationError(f"每个事项只能重新办理{REOPEN_LIMIT}次")
    if limited and case.closed_at and at - case.closed_at > dt.timedelta(days=REOPEN_WINDOW_DAYS):
        raise ValidationError(f"办结超过{REOPEN_WINDOW_DAYS}天的事项不能重新办理")
    reason = clean_comment(reason, required=True, label="重新办理的理由")
    before = audit.snapshot(case)
    case.reopen_count += 1
    case.rating, case.rated_at, case.closed_at, case.replied_at = "", None, None, None
    if case.organisation_id:
        assign(case, case.organisation, at=at)
    else:
        case.status = Status.SUBMITTED
    case.save()
    named = case.filer_id or case.reviewer_org_id
    event(case, Action.REOPEN, actor=actor if named else None, at=at, from_status=Status.CLOSED,
          organisation=case.organisation, comment=reason, data=due_data(case) if case.organisation_id else {})
    if case.organisation_id:
        notify_assigned(case, at=at, what="重新办理事项")
    audit_step(case, Action.REOPEN, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_merge(*, actor, case: Case, into: Case, version: int | None = None, comment: str = "",
               at: dt.datetime | None = None, source: str = "web") -> Case:
    """A dispatcher folds a duplicate into the case that stays; the duplicate's filer follows that one."""
    at = now_or(at)
    if getattr(into, "pk", into) == getattr(case, "pk", case):
        raise ValidationError({"into": "不能与自身合并"})
    target = Case.objects.get(pk=getattr(into, "pk", into))
    case = lock(case, version)
    check_state(case, Action.MERGE)
    _require(permissions.is_dispatcher(actor, case), "只有该区域的分派人员可以合并事项")
    if not permissions.is_dispatcher(actor, target):
        raise ValidationError({"into": "要并入的事项不存在或不在管辖范围内"})
    if target.status in (Status.MERGED, Status.CLOSED):
        raise ValidationError({"into": "要并入的事项已办结或已被合并"})
    if target.kind != case.kind:
        raise ValidationError({"into": "只能合并同一类型的事项"})
    comment = clean_comment(comment, required=False)
    before = audit.snapshot(case)
    prev = case.status
    case.status, case.merged_into, case.closed_at = Status.MERGED, target, at
    case.save()
    event(case, Action.MERGE, actor=actor, at=at, from_status=prev, comment=comment,
          data={"into": target.pk, "into_number": target.number})
    event(target, Action.MERGED_IN, actor=actor, at=at, from_status=target.status, to_status=target.status,
          comment=comment, data={"duplicate": case.pk, "duplicate_number": case.number})
    resolve_supervisions(case, reasons=list(Supervision.Reason), at=at)
    notify_filer(case, at=at, title=f"您的{case.get_kind_display()}与相同事项合并办理:{case.title}",
                 body=f"请关注事项 {target.number} 的办理进展")
    audit_step(case, Action.MERGE, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_request_extension(*, actor, case: Case, days: int, reason: str, version: int | None = None,
                           at: dt.datetime | None = None, source: str = "web") -> Case:
    at = now_or(at)
    case = lock(case, version)
    check_state(case, Action.EXTEND_REQUEST)
    _require(permissions.is_handler(actor, case), "只有承办单位可以申请延期")
    if case.extension_days:
        raise ValidationError("已有待审批的延期申请")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 30:
        raise ValidationError({"days": "延期天数应为1至30个工作日"})
    reason = clean_comment(reason, required=True, label="延期理由")
    before = audit.snapshot(case)
    case.extension_days, case.extension_reason = days, reason[:300]
    case.save()
    event(case, Action.EXTEND_REQUEST, actor=actor, at=at, from_status=case.status, comment=reason,
          data={"days": days})
    notify.send(notify.dispatchers_for(case), kind="extension", at=at, case=case,
                title=f"延期申请待审批:{case.title}",
                body=f"{case.organisation.name}申请延期{days}个工作日:{reason[:100]}")
    audit_step(case, Action.EXTEND_REQUEST, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_decide_extension(*, actor, case: Case, approve: bool, comment: str = "", version: int | None = None,
                          at: dt.datetime | None = None, source: str = "web") -> Case:
    at = now_or(at)
    case = lock(case, version)
    action = Action.EXTEND_APPROVE if approve else Action.EXTEND_REJECT
    check_state(case, action)
    _require(permissions.is_dispatcher(actor, case), "只有该区域的分派人员可以审批延期")
    if not case.extension_days:
        raise ValidationError("该事项没有待审批的延期申请")
    comment = clean_comment(comment, required=not approve, label="不同意的理由")
    before = audit.snapshot(case)
    days = case.extension_days
    data = {"days": days}
    if approve:
        case.reply_due = rules.add_time(case.reply_due, days, "workday")
        case.reply_reminded = False
        data["reply_due"] = case.reply_due.isoformat()
    case.extension_days, case.extension_reason = 0, ""
    case.save()
    event(case, action, actor=actor, at=at, from_status=case.status, comment=comment, data=data)
    if approve:
        resolve_supervisions(case, reasons=[Supervision.Reason.REPLY_OVERDUE], at=at)
    notify.send(notify.handlers_of(case.organisation), kind="extension", at=at, case=case,
                title=f"延期申请{'已同意' if approve else '未同意'}:{case.title}",
                body=(f"答复期限延至{timezone.localtime(case.reply_due):%m月%d日 %H:%M}" if approve else comment[:200]))
    audit_step(case, action, actor=actor, before=before, source=source)
    return case


@transaction.atomic
def case_comment(*, actor, case: Case, comment: str, query_code: str | None = None, attachments=(),
                 at: dt.datetime | None = None, source: str = "web") -> Case:
    """The filer adds information, or a handler or dispatcher notes progress (no change of state)."""
    at = now_or(at)
    probe = Case.objects.get(pk=getattr(case, "pk", case))
    filer = permissions.is_filer(actor, probe, query_code)
    _require(filer or permissions.is_handler(actor, probe) or permissions.is_dispatcher(actor, probe),
             "无权对该事项补充说明")
    case = lock(case, None)
    check_state(case, Action.COMMENT)
    comment = clean_comment(comment, required=True)
    ev = event(case, Action.COMMENT, actor=actor if getattr(actor, "pk", None) else None, at=at,
               from_status=case.status, comment=comment, data={"by_filer": filer})
    attach(case, ev, attachments, actor=actor)
    if filer and case.organisation_id:
        notify.send(notify.handlers_of(case.organisation), kind="comment", at=at, case=case,
                    title=f"提交人补充了说明:{case.title}", body=comment[:200])
    elif not filer:
        notify_filer(case, at=at, title=f"您的{case.get_kind_display()}有新进展:{case.title}", body=comment[:200])
    audit.record(actor=actor, action=A[Action.COMMENT], obj=case, after={"comment": comment}, source=source)
    return case
