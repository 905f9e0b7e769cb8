"""Writes for Party-building instructors (党建指导员): registration, assignments, visits.

Each use case is one transaction with its audit record. An active assignment gives the instructor's
login a scope grant on the unit and counts for the unit's coverage, so every change of an assignment
keeps the grants and the coverage rollup in step inside the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ningju.accounts import services as account_services
from ningju.accounts.models import User
from ningju.core import audit, idcard, roles, uploads
from ningju.core.scoping import is_visible
from ningju.coverage import rollup
from ningju.orgs.models import Kind, Organisation

from .models import Assignment, Instructor, Visit

A_CREATED = audit.register_action("instructors.instructor.created", "登记党建指导员")
A_UPDATED = audit.register_action("instructors.instructor.updated", "修改党建指导员")
A_DEACTIVATED = audit.register_action("instructors.instructor.deactivated", "党建指导员离岗")
A_REACTIVATED = audit.register_action("instructors.instructor.reactivated", "党建指导员恢复在岗")
A_ASSIGNED = audit.register_action("instructors.assignment.created", "选派党建指导员")
A_ENDED = audit.register_action("instructors.assignment.ended", "结束党建指导员选派")
A_VISITED = audit.register_action("instructors.visit.created", "记录走访")

UNIT_KINDS = (Kind.PLATFORM_ENTERPRISE, Kind.STATION)
GRANT_REASON = "党建指导员选派"
EDITABLE = ("name", "phone", "title", "appointed_by", "user")


# --- checks ------------------------------------------------------------------------------------------

def _text(value, *, field: str, label: str, max_length: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: f"{label}不能为空"})
    if len(value) > max_length:
        raise ValidationError({field: f"{label}不能超过{max_length}个字"})
    if "\x00" in value:
        raise ValidationError({field: f"{label}含有不可见的控制字符"})
    return value


def _visible(actor, obj) -> bool:
    """Scope check of a referenced object; services called without a user (commands, tests) are not scoped."""
    return actor is None or not getattr(actor, "is_authenticated", False) or is_visible(obj, actor)


def _today() -> dt.date:
    return timezone.localdate()


def _check_date(value, *, field: str, label: str) -> dt.date:
    if value is None:
        return _today()
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: f"{label}格式不正确"})
    if value > _today():
        raise ValidationError({field: f"{label}不能晚于今天"})
    return value


def _check_user(actor, user: User, instructor: Instructor | None) -> None:
    if user.role != roles.INSTRUCTOR.code:
        raise ValidationError({"user": "只能关联角色为“党建指导员”的账号"})
    if not user.is_active:
        raise ValidationError({"user": "该账号已停用"})
    if not _visible(actor, user):
        raise ValidationError({"user": "账号不存在或不在管辖范围内"})
    clash = Instructor.objects.filter(user=user)
    if instructor is not None:
        clash = clash.exclude(pk=instructor.pk)
    if clash.exists():
        raise ValidationError({"user": "该账号已关联其他指导员"})


def _check_appointer(actor, organisation) -> None:
    if organisation is None:
        raise ValidationError({"appointed_by": "选派单位不能为空"})
    if not _visible(actor, organisation):
        raise ValidationError({"appointed_by": "选派单位不存在或不在管辖范围内"})


# --- grants and coverage -----------------------------------------------------------------------------

def _grant(actor, instructor: Instructor, organisation: Organisation, source: str) -> None:
    if instructor.user_id:
        account_services.grant_create(actor=actor, user=instructor.user, organisation=organisation,
                                      reason=GRANT_REASON, source=source)


def _revoke(actor, instructor: Instructor, organisation: Organisation, source: str) -> None:
    """Take back the grant unless another active assignment of the instructor still covers the unit."""
    if not instructor.user_id:
        return
    still = Assignment.objects.filter(instructor=instructor, organisation=organisation, ended_on__isnull=True)
    if not still.exists():
        account_services.grant_revoke(actor=actor, user=instructor.user, organisation=organisation, source=source)


# --- instructors -------------------------------------------------------------------------------------

def _apply(instructor: Instructor, fields: dict, actor) -> None:
    for key, value in fields.items():
        if key not in EDITABLE:
            raise ValidationError({key: "该字段不可修改"})
        if key == "name":
            instructor.name = _text(value, field="name", label="姓名", max_length=50, required=True)
        elif key == "title":
            instructor.title = _text(value, field="title", label="职务", max_length=100, required=False)
        elif key == "phone":
            value = (value or "").strip()
            try:
                instructor.phone = idcard.validate_phone(value) if value else ""
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from exc
        elif key == "appointed_by":
            _check_appointer(actor, value)
            instructor.appointed_by = value
        elif key == "user":
            if value is None:
                if instructor.user_id:
                    raise ValidationError({"user": "不能解除已关联的登录账号"})
                continue
            if instructor.user_id and instructor.user_id != value.pk:
                raise ValidationError({"user": "该指导员已关联登录账号,不能更换"})
            _check_user(actor, value, instructor if instructor.pk else None)
            instructor.user = value


@transaction.atomic
def instructor_create(*, actor, name: str, appointed_by: Organisation, phone: str = "", title: str = "",
                      create_account: bool = False, password: str = "", user: User | None = None,
                      source: str = "web") -> Instructor:
    """Register an instructor; optionally create the login (role instructor, at the appointing
    organisation, phone as login name) or link an existing instructor login."""
    if create_account and user is not None:
        raise ValidationError({"user": "创建新账号和关联已有账号只能选一个"})
    instructor = Instructor()
    _apply(instructor, {"name": name, "phone": phone, "title": title, "appointed_by": appointed_by}, actor)
    if create_account:
        if not instructor.phone:
            raise ValidationError({"phone": "创建登录账号需要填写手机号(作为登录名)"})
        if not password:
            raise ValidationError({"password": "请设置初始密码"})
        user = account_services.user_create(actor=actor, phone=instructor.phone, name=instructor.name,
                                            password=password, role=roles.INSTRUCTOR.code,
                                            organisation=instructor.appointed_by, source=source)
        instructor.user = user
    elif user is not None:
        _apply(instructor, {"user": user}, actor)
    instructor.save()
    audit.record(actor=actor, action=A_CREATED, obj=instructor, after=audit.snapshot(instructor), source=source)
    return instructor


@transaction.atomic
def instructor_update(*, actor, instructor: Instructor, source: str = "web", **fields) -> Instructor:
    current = Instructor.objects.select_for_update(of=("self",)).get(pk=instructor.pk)
    before = audit.snapshot(current)
    had_user = current.user_id
    _apply(current, fields, actor)
    current.save()
    if current.user_id and not had_user:
        # A login linked now gets the scope of the units the instructor already guides.
        for a in current.assignments.filter(ended_on__isnull=True).select_related("organisation__division"):
            _grant(actor, current, a.organisation, source)
    audit.record(actor=actor, action=A_UPDATED, obj=current, before=before, after=audit.snapshot(current),
                 source=source)
    return current


@transaction.atomic
def instructor_deactivate(*, actor, instructor: Instructor, ended_on: dt.date | None = None,
                          source: str = "web") -> Instructor:
    """离岗: the instructor leaves; every active assignment ends on ``ended_on`` (today by default)."""
    current = Instructor.objects.select_for_update(of=("self",)).get(pk=instructor.pk)
    if not current.active:
        raise ValidationError("该指导员已离岗")
    ended_on = _check_date(ended_on, field="ended_on", label="离岗日期")
    before = audit.snapshot(current)
    org_ids = []
    for a in current.assignments.filter(ended_on__isnull=True).select_related("organisation__division"):
        _end(actor, current, a, max(ended_on, a.assigned_on), source)
        org_ids.append(a.organisation_id)
    current.active = False
    current.save(update_fields=["active"])
    audit.record(actor=actor, action=A_DEACTIVATED, obj=current, before=before, after=audit.snapshot(current),
                 source=source)
    rollup.refresh_for(org_ids)
    return current


@transaction.atomic
def instructor_reactivate(*, actor, instructor: Instructor, source: str = "web") -> Instructor:
    """Back on duty (恢复在岗); assignments ended at 离岗 stay ended and are made again if needed."""
    current = Instructor.objects.select_for_update(of=("self",)).get(pk=instructor.pk)
    if current.active:
        raise ValidationError("该指导员在岗,无需恢复")
    before = audit.snapshot(current)
    current.active = True
    current.save(update_fields=["active"])
    audit.record(actor=actor, action=A_REACTIVATED, obj=current, before=before, after=audit.snapshot(current),
                 source=source)
    return current


# --- assignments -------------------------------------------------------------------------------------

@transaction.atomic
def assignment_create(*, actor, instructor: Instructor, organisation: Organisation,
                      assigned_on: dt.date | None = None, source: str = "web") -> Assignment:
    current = Instructor.objects.select_for_update(of=("self",)).select_related("user").get(pk=instructor.pk)
    if not current.active:
        raise ValidationError("该指导员已离岗,不能选派")
    if organisation is None or organisation.kind not in UNIT_KINDS or not _visible(actor, organisation):
        raise ValidationError({"organisation": "请选择管辖范围内的平台企业或站点"})
    if not organisation.is_active:
        raise ValidationError({"organisation": "该企业/站点已停用"})
    assigned_on = _check_date(assigned_on, field="assigned_on", label="选派日期")
    if Assignment.objects.filter(instructor=current, organisation=organisation, ended_on__isnull=True).exists():
        raise ValidationError({"organisation": f"该指导员已在指导“{organisation.name}”"})
    assignment = Assignment(instructor=current, organisation=organisation, assigned_on=assigned_on,
                            assigned_by=actor if getattr(actor, "pk", None) else None)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:  # a concurrent identical assignment
        raise ValidationError({"organisation": f"该指导员已在指导“{organisation.name}”"}) from exc
    _grant(actor, current, organisation, source)
    audit.record(actor=actor, action=A_ASSIGNED, obj=assignment, after=audit.snapshot(assignment), source=source)
    rollup.refresh_for([organisation.pk])
    return assignment


def _end(actor, instructor: Instructor, assignment: Assignment, ended_on: dt.date, source: str) -> None:
    before = audit.snapshot(assignment)
    assignment.ended_on = ended_on
    assignment.save(update_fields=["ended_on"])
    _revoke(actor, instructor, assignment.organisation, source)
    audit.record(actor=actor, action=A_ENDED, obj=assignment, before=before, after=audit.snapshot(assignment),
                 source=source)


@transaction.atomic
def assignment_end(*, actor, assignment: Assignment, ended_on: dt.date | None = None,
                   source: str = "web") -> Assignment:
    current = (Assignment.objects.select_for_update(of=("self",)).select_related("organisation__division")
               .get(pk=assignment.pk))
    if current.ended_on is not None:
        raise ValidationError("该选派已结束")
    ended_on = _check_date(ended_on, field="ended_on", label="结束日期")
    if ended_on < current.assigned_on:
        raise ValidationError({"ended_on": f"结束日期不能早于选派日期({current.assigned_on:%Y-%m-%d})"})
    instructor = Instructor.objects.select_related("user").get(pk=current.instructor_id)
    _end(actor, instructor, current, ended_on, source)
    rollup.refresh_for([current.organisation_id])
    return current


# --- visits ------------------------------------------------------------------------------------------

def check_may_record_visit(user, instructor: Instructor) -> None:
    """Visits are recorded by the instructor's own login or by the department staff who manage instructors."""
    if user is None or not getattr(user, "is_authenticated", False):
        return  # commands and the demo loader
    if user.can(roles.M_INSTRUCTORS_MANAGE):
        return
    if user.role == roles.INSTRUCTOR.code and instructor.user_id == user.pk:
        return
    raise PermissionDenied("只有被选派的指导员本人或组织部门工作人员可以记录走访")


@transaction.atomic
def visit_create(*, actor, instructor: Instructor, organisation: Organisation, visited_on: dt.date,
                 notes: str, photo=None, source: str = "web") -> Visit:
    check_may_record_visit(actor, instructor)
    errors = {}
    try:
        notes = _text(notes, field="notes", label="走访情况", max_length=4000, required=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if visited_on is None:
        errors["visited_on"] = ["请填写走访日期"]
    elif visited_on > _today():
        errors["visited_on"] = ["走访日期不能晚于今天"]
    clean = None
    if photo is not None:
        try:
            clean = uploads.clean_upload(photo, label="照片")
        except ValidationError as exc:
            errors["photo"] = exc.messages
    if errors:
        raise ValidationError(errors)
    if not instructor.active:
        raise ValidationError("该指导员已离岗,不能记录走访")
    assignment = (Assignment.objects.filter(instructor=instructor, organisation=organisation, ended_on__isnull=True)
                  .first())
    if assignment is None or not _visible(actor, assignment):
        raise ValidationError({"organisation": "该指导员未被选派到该企业/站点,不能记录走访"})
    if visited_on < assignment.assigned_on:
        raise ValidationError({"visited_on": f"走访日期不能早于选派日期({assignment.assigned_on:%Y-%m-%d})"})
    visit = Visit(instructor=instructor, organisation=organisation, visited_on=visited_on, notes=notes,
                  created_by=actor if getattr(actor, "pk", None) else None)
    if clean is not None:
        # Re-encoded without metadata (no GPS position), under a random name: nothing of the uploader's file
        # name reaches the disk.
        visit.photo.save(clean.storage_name(), clean.as_content_file(), save=False)
    visit.save()
    audit.record(actor=actor, action=A_VISITED, obj=visit, after=audit.snapshot(visit), source=source)
    return visit
