"""The audit trail: explicit records written by services, one per change of business data.

Action names are registered, namespaced strings (``"people.person.created"``) with a Chinese
label for the pages. Sensitive fields are recorded masked, so the trail never holds what the
encrypted columns protect.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import context
from .models import AuditEntry

ACTIONS: dict[str, str] = {}


def register_action(code: str, label: str) -> str:
    ACTIONS[code] = label
    return code


def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return f"{value} (#{value.pk})"
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model) -> dict:
    """Field values of ``obj`` ready for JSON, sensitive ones masked by the model's rules."""
    masked = getattr(obj, "audit_masked", {})
    skip = set(getattr(obj, "audit_skip", ()))
    data = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip or f.primary_key:
            continue
        if f.name in masked:
            data[f.name] = masked[f.name](getattr(obj, f.attname))
            continue
        if f.is_relation:
            rel_id = getattr(obj, f.attname)
            data[f.name] = None if rel_id is None else _plain(getattr(obj, f.name))
        else:
            data[f.name] = _plain(getattr(obj, f.attname))
    return data


def diff(before: dict | None, after: dict | None) -> dict:
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(*, actor, action: str, obj: models.Model, before: dict | None = None,
           after: dict | None = None, source: str | None = None, division_path: str | None = None,
           org_path: str | None = None) -> AuditEntry:
    """Write one audit entry. Call inside the service's transaction. Without ``source``, the request's
    channel is recorded ("api" or "web", see ``core.context.channel``)."""
    if action not in ACTIONS:
        raise ValueError(f"unregistered audit action {action!r}")
    if division_path is None or org_path is None:
        d, o = audit_paths(obj)
        division_path = d if division_path is None else division_path
        org_path = o if org_path is None else org_path
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(getattr(actor, "audit_label", None) or str(actor or "系统"))[:100],
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=diff(before, after),
        division_path=division_path or "",
        org_path=org_path or "",
        request_id=context.request_id.get(),
        source=source or context.channel.get(),
    )


def audit_paths(obj) -> tuple[str, str]:
    """The (division path, organisation path) under which ``obj``'s changes are visible."""
    getter = getattr(obj, "audit_scope_paths", None)
    return getter() if getter else ("", "")
