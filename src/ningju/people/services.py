"""Writes to the people registry; one transaction per use case, each with its audit record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ningju.core import audit, hooks, idcard
from ningju.core.crypto import keyed_hash

from .models import Person

A_CREATED = audit.register_action("people.person.created", "新增人员")
A_UPDATED = audit.register_action("people.person.updated", "修改人员")
A_DELETED = audit.register_action("people.person.deleted", "删除人员")

EDITABLE = ("name", "id_number", "phone", "political_status", "occupation", "employer", "home_division",
            "employed_since", "party_org", "party_org_text", "is_mobile_member")


def _apply(person: Person, fields: dict) -> None:
    errors = {}
    for key, value in fields.items():
        if key not in EDITABLE:
            raise ValidationError({key: "该字段不可修改"})
        if key == "id_number":
            try:
                parsed = idcard.parse(value)
            except ValidationError as exc:
                errors["id_number"] = exc.messages
                continue
            person.id_number = parsed.value
            person.id_hash = keyed_hash(parsed.value)
            person.birth_date = parsed.birth_date
            person.gender = parsed.gender
        elif key == "phone":
            if value:
                try:
                    value = idcard.validate_phone(value)
                except ValidationError as exc:
                    errors["phone"] = exc.messages
                    continue
            person.phone = value or ""
            person.phone_hash = keyed_hash(value) if value else ""
        elif key == "name":
            person.name = (value or "").strip()
        else:
            setattr(person, key, value)
    if errors:
        raise ValidationError(errors)
    person.full_clean(exclude=["id_hash", "phone_hash"])


def _save_unique(person: Person) -> None:
    clash = Person.objects.filter(id_hash=person.id_hash).exclude(pk=person.pk).exists()
    if clash:
        raise ValidationError({"id_number": ["该身份证号码已登记"]})
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # a concurrent insert of the same ID number
        raise ValidationError({"id_number": ["该身份证号码已登记"]}) from exc


@transaction.atomic
def person_create(*, actor, source: str = "web", **fields) -> Person:
    if not fields.get("id_number"):
        raise ValidationError({"id_number": ["身份证号码不能为空"]})
    person = Person()
    _apply(person, fields)
    _save_unique(person)
    audit.record(actor=actor, action=A_CREATED, obj=person, after=audit.snapshot(person), source=source)
    hooks.emit("people.changed", org_ids={person.employer_id})
    return person


@transaction.atomic
def person_update(*, actor, person: Person, source: str = "web", **fields) -> Person:
    current = Person.objects.select_for_update().get(pk=person.pk)
    before = audit.snapshot(current)
    old_employer = current.employer_id
    _apply(current, fields)
    _save_unique(current)
    audit.record(actor=actor, action=A_UPDATED, obj=current, before=before, after=audit.snapshot(current),
                 source=source)
    hooks.emit("people.changed", org_ids={old_employer, current.employer_id})
    return current


@transaction.atomic
def person_delete(*, actor, person: Person, source: str = "web") -> None:
    current = Person.objects.select_for_update().get(pk=person.pk)
    if hasattr(current, "user_account"):
        raise ValidationError("该人员已关联登录账号,不能删除")
    audit.record(actor=actor, action=A_DELETED, obj=current, before=audit.snapshot(current), source=source)
    employer = current.employer_id
    current.delete()
    hooks.emit("people.changed", org_ids={employer})
