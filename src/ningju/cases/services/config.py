"""Configuration kept by staff: categories, routing and deadline rules, seminars, duty, grid members."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ningju.core import audit, roles
from ningju.core.scoping import is_visible

from ..models import Category, DeadlineRule, DutyShift, GridMember, RoutingRule, Seminar
from . import rules

A_CAT_CREATED = audit.register_action("cases.category.created", "新增事项分类")
A_CAT_UPDATED = audit.register_action("cases.category.updated", "修改事项分类")
A_RULE_SAVED = audit.register_action("cases.routing.saved", "保存分派规则")
A_RULE_DELETED = audit.register_action("cases.routing.deleted", "停用分派规则")
A_DEADLINE_SET = audit.register_action("cases.deadline.set", "设置办理时限")
A_SEMINAR = audit.register_action("cases.seminar.created", "登记座谈会")
A_DUTY_CREATED = audit.register_action("cases.duty.created", "安排值班领导")
A_DUTY_DELETED = audit.register_action("cases.duty.deleted", "取消值班安排")
A_GRID_SET = audit.register_action("cases.grid.set", "设置网格成员")


def _city_level(actor) -> bool:
    """Categories and default deadlines are city-wide: kept by the city organisation department."""
    return actor.is_superuser or actor.role == roles.CITY_ORG.code


# --- categories ----------------------------------------------------------------------------------------

@transaction.atomic
def category_create(*, actor, kind: str, code: str, name: str, parent: Category | None = None, **fields) -> Category:
    if not _city_level(actor):
        raise PermissionDenied("事项分类由市委组织部统一维护")
    if parent is not None and parent.kind != kind:
        raise ValidationError({"parent": "上级分类属于另一种事项类型"})
    cat = Category(kind=kind, code=code, name=name, parent=parent, **fields)
    cat.path = rules.category_path(cat)
    cat.full_clean()
    cat.save()
    audit.record(actor=actor, action=A_CAT_CREATED, obj=cat, after=audit.snapshot(cat))
    return cat


CATEGORY_EDITABLE = ("name", "description", "keywords", "is_emergency", "default_priority", "public", "active", "sort")


@transaction.atomic
def category_update(*, actor, category: Category, **fields) -> Category:
    """Change a category's texts and flags; its code and place in the tree are kept (cases refer to them)."""
    if not _city_level(actor):
        raise PermissionDenied("事项分类由市委组织部统一维护")
    cat = Category.objects.select_for_update().get(pk=category.pk)
    before = audit.snapshot(cat)
    for k, v in fields.items():
        if k not in CATEGORY_EDITABLE:
            raise ValidationError({k: "该字段不能修改"})
        setattr(cat, k, v)
    cat.full_clean()
    cat.save()
    audit.record(actor=actor, action=A_CAT_UPDATED, obj=cat, before=before, after=audit.snapshot(cat))
    return cat


# --- routing and deadlines ------------------------------------------------------------------------------

@transaction.atomic
def routing_rule_save(*, actor, category: Category, division, target: str = RoutingRule.Target.ORG,
                      organisation=None, note: str = "", rule: RoutingRule | None = None) -> RoutingRule:
    """Create a rule, or change ``rule``; one active rule per category and division."""
    roles.require(actor, roles.M_CASES_DISPATCH, "只有分派人员可以维护分派规则")
    if not is_visible(division, actor):
        raise ValidationError({"division": "适用区划不在管辖范围内"})
    if target not in RoutingRule.Target.values:
        raise ValidationError({"target": "承办方式不正确"})
    if target == RoutingRule.Target.ORG:
        if organisation is None:
            raise ValidationError({"organisation": "请选择承办单位"})
        if not organisation.is_active or not is_visible(organisation, actor):
            raise ValidationError({"organisation": "承办单位不存在或不在管辖范围内"})
    else:
        organisation = None
    if category.kind == "rectification":
        raise ValidationError({"category": "整改事项直接交给责任单位,不按规则分派"})
    clash = RoutingRule.objects.filter(active=True, category=category, division=division)
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise ValidationError({"category": f"“{category.name}”在{division.name}已有分派规则,请修改原规则"})
    before = None
    if rule is None:
        rule = RoutingRule(created_by=actor)
    else:
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        if not is_visible(rule, actor):
            raise ValidationError("规则不存在或不在管辖范围内")
        before = audit.snapshot(rule)
    rule.category, rule.division, rule.target, rule.organisation = category, division, target, organisation
    rule.note, rule.active = (note or "")[:200], True
    rule.save()
    audit.record(actor=actor, action=A_RULE_SAVED, obj=rule, before=before, after=audit.snapshot(rule))
    return rule


@transaction.atomic
def routing_rule_delete(*, actor, rule: RoutingRule) -> None:
    """Rules are switched off, not deleted, so the history of a case keeps pointing at the rule used."""
    roles.require(actor, roles.M_CASES_DISPATCH, "只有分派人员可以维护分派规则")
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    if not is_visible(rule, actor):
        raise ValidationError("规则不存在或不在管辖范围内")
    before = audit.snapshot(rule)
    rule.active = False
    rule.save(update_fields=["active", "updated_at"])
    audit.record(actor=actor, action=A_RULE_DELETED, obj=rule, before=before, after=audit.snapshot(rule))


@transaction.atomic
def deadline_rule_set(*, actor, priority: str, accept_amount: int, accept_unit: str, reply_amount: int,
                      reply_unit: str, category: Category | None = None) -> DeadlineRule:
    if not _city_level(actor):
        raise PermissionDenied("办理时限由市委组织部统一设置")
    rule = DeadlineRule.objects.filter(category=category, priority=priority).first() or \
        DeadlineRule(category=category, priority=priority)
    before = audit.snapshot(rule) if rule.pk else None
    rule.accept_amount, rule.accept_unit = accept_amount, accept_unit
    rule.reply_amount, rule.reply_unit = reply_amount, reply_unit
    rule.full_clean(validate_unique=False, validate_constraints=False)
    if rule.accept_amount < 1 or rule.reply_amount < 1:
        raise ValidationError("时限必须大于0")
    rule.save()
    audit.record(actor=actor, action=A_DEADLINE_SET, obj=rule, before=before, after=audit.snapshot(rule))
    return rule


# --- seminars, duty, grid ------------------------------------------------------------------------------

@transaction.atomic
def seminar_create(*, actor, level: str, title: str, held_on: dt.date, place: str, division, organiser,
                   attendee_count: int, attendees: str = "") -> Seminar:
    roles.require(actor, roles.M_SEMINARS, "当前角色无权登记座谈会")
    if not is_visible(division, actor):
        raise ValidationError({"division": "所在区划不在管辖范围内"})
    if not is_visible(organiser, actor):
        raise ValidationError({"organiser": "组织单位不在管辖范围内"})
    if held_on > dt.date.today() + dt.timedelta(days=60):
        raise ValidationError({"held_on": "日期过远,请核对"})
    seminar = Seminar(level=level, title=(title or "").strip(), held_on=held_on, place=(place or "").strip(),
                      division=division, organiser=organiser, attendee_count=attendee_count,
                      attendees=(attendees or "").strip(), created_by=actor)
    seminar.full_clean()
    seminar.save()
    audit.record(actor=actor, action=A_SEMINAR, obj=seminar, after=audit.snapshot(seminar))
    return seminar


@transaction.atomic
def duty_shift_create(*, actor, organisation, user, starts_on: dt.date, ends_on: dt.date) -> DutyShift:
    roles.require(actor, roles.M_DUTY, "当前角色无权安排值班")
    if not is_visible(organisation, actor):
        raise ValidationError({"organisation": "单位不在管辖范围内"})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "结束日期不能早于开始日期"})
    if not user.is_active or not user.role_obj or not user.role_obj.staff:
        raise ValidationError({"user": "值班领导应为启用的工作人员账号"})
    shift = DutyShift.objects.create(organisation=organisation, user=user, starts_on=starts_on, ends_on=ends_on,
                                     created_by=actor)
    audit.record(actor=actor, action=A_DUTY_CREATED, obj=shift, after=audit.snapshot(shift))
    return shift


@transaction.atomic
def duty_shift_delete(*, actor, shift: DutyShift) -> None:
    roles.require(actor, roles.M_DUTY, "当前角色无权安排值班")
    if not is_visible(shift, actor):
        raise ValidationError("值班安排不存在或不在管辖范围内")
    before = audit.snapshot(shift)
    audit.record(actor=actor, action=A_DUTY_DELETED, obj=shift, before=before)
    shift.delete()


@transaction.atomic
def grid_member_set(*, actor, user, division, role: str = GridMember.Role.SCOUT, active: bool = True) -> GridMember:
    """Enrol a login in a grid (or change / end the enrolment); members may file incident reports."""
    roles.require(actor, roles.M_DUTY, "当前角色无权设置网格成员")
    if not is_visible(division, actor):
        raise ValidationError({"division": "网格不在管辖范围内"})
    if division.level < 4:
        raise ValidationError({"division": "网格成员应设在村(社区)或网格"})
    if role not in GridMember.Role.values:
        raise ValidationError({"role": "网格角色不正确"})
    member = GridMember.objects.filter(user=user, division=division).first()
    before = audit.snapshot(member) if member else None
    if member is None:
        member = GridMember(user=user, division=division)
    member.role, member.active = role, active
    member.save()
    audit.record(actor=actor, action=A_GRID_SET, obj=member, before=before, after=audit.snapshot(member))
    return member
