"""Writes to the organisation tree; each use case one transaction with its audit record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr

from ningju.core import audit, hooks

from .models import Organisation

A_CREATED = audit.register_action("orgs.organisation.created", "新增组织")
A_UPDATED = audit.register_action("orgs.organisation.updated", "修改组织")
A_DELETED = audit.register_action("orgs.organisation.deleted", "删除组织")

EDITABLE = ("name", "kind", "industry", "parent", "division", "contact_name", "contact_phone", "address",
            "is_active")


def _b36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = chars[r] + out
        if n == 0:
            return out


def _check(org: Organisation) -> None:
    if org.parent_id:
        parent = org.parent
        if org.pk and parent.path.startswith(org.path):
            raise ValidationError({"parent": "上级组织不能是本组织或其下级"})
        if not org.division.path.startswith(parent.division.path):
            raise ValidationError({"division": f"所在区划应在上级组织所在区划({parent.division})范围内"})
    org.full_clean(exclude=["path"])


@transaction.atomic
def organisation_create(*, actor, source: str = "web", **fields) -> Organisation:
    org = Organisation(**{k: v for k, v in fields.items() if k in EDITABLE})
    _check(org)
    org.save()
    org.path = (org.parent.path if org.parent_id else "") + _b36(org.pk) + "/"
    org.save(update_fields=["path"])
    audit.record(actor=actor, action=A_CREATED, obj=org, after=audit.snapshot(org), source=source)
    hooks.emit("orgs.changed", org_ids={org.pk, org.parent_id})
    return org


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, source: str = "web", **fields) -> Organisation:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = audit.snapshot(org)
    old_path = org.path
    old_parent = org.parent_id
    for k, v in fields.items():
        if k not in EDITABLE:
            raise ValidationError({k: "该字段不可修改"})
        setattr(org, k, v)
    _check(org)
    new_path = (org.parent.path if org.parent_id else "") + _b36(org.pk) + "/"
    org.path = new_path
    org.save()
    if new_path != old_path:
        # Move the whole subtree in one statement (portable: CONCAT + SUBSTR on both databases).
        Organisation.objects.filter(path__startswith=old_path).exclude(pk=org.pk).update(
            path=Concat(Value(new_path), Substr(F("path"), Length(Value(old_path)) + 1))
        )
    audit.record(actor=actor, action=A_UPDATED, obj=org, before=before, after=audit.snapshot(org), source=source)
    hooks.emit("orgs.changed", org_ids={org.pk, org.parent_id, old_parent})
    return org


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation, source: str = "web") -> None:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if org.children.exists():
        raise ValidationError("该组织下还有下级组织,不能删除")
    if org.employees.exists() or org.users.exists():
        raise ValidationError("该组织还有关联的人员或账号,不能删除;可将其设为无效")
    before = audit.snapshot(org)
    audit.record(actor=actor, action=A_DELETED, obj=org, before=before, source=source)
    parent_id = org.parent_id
    org.delete()
    hooks.emit("orgs.changed", org_ids={parent_id})
