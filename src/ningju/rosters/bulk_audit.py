"""Audit entries for bulk writes: the same content as ``core.audit.record``, built in memory.

``core.audit.record`` saves one entry per call; an import of 100,000 rows builds the entries here and
inserts them in batches (new rows only: the trail stays append-only). Values are snapshotted exactly
like ``core.audit.snapshot`` (sensitive fields masked by the model's ``audit_masked``, relations as
"name (#id)"), from dicts of field values, with related objects' names from caches the caller filled
in batches instead of one query per row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from ningju.core import audit, context

# The AuditEntry fields an entry from here gives (``at`` is the insert time, the model's auto_now_add).
GIVEN = ("actor_id", "actor_label", "action", "content_type_id", "object_id", "object_repr", "changes",
         "division_path", "org_path", "request_id", "source")


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


class SnapshotMaker:
    """``snapshot(values)`` like ``core.audit.snapshot(obj)``, from a dict of the object's attnames.

    ``related(field_name, pk)`` gives the text of a related object (its ``str()``).
    """

    def __init__(self, model: type[models.Model], related: Callable[[str, object], str]):
        masked = getattr(model, "audit_masked", {})
        skip = set(getattr(model, "audit_skip", ()))
        self.fields = [(f.name, f.attname, masked.get(f.name), f.is_relation)
                       for f in model._meta.concrete_fields if f.name not in skip and not f.primary_key]
        self.related = related

    def __call__(self, values: dict, only: set[str] | None = None) -> dict:
        data = {}
        for name, attname, mask, is_relation in self.fields:
            if only is not None and name not in only:
                continue
            value = values[attname]
            if mask is not None:
                data[name] = mask(value)
            elif is_relation:
                data[name] = None if value is None else f"{self.related(name, value)} (#{value})"
            else:
                data[name] = _plain(value)
        return data


class EntryMaker:
    """Field values (attnames) of new AuditEntry rows for one actor, source and model."""

    def __init__(self, *, actor, model: type[models.Model], source: str):
        self.base = {
            "actor_id": actor.pk if getattr(actor, "pk", None) else None,
            "actor_label": (getattr(actor, "audit_label", None) or str(actor or "系统"))[:100],
            "content_type_id": ContentType.objects.get_for_model(model).pk,
            "request_id": context.request_id.get(),
            "source": source,
        }

    def __call__(self, *, action: str, object_id, object_repr: str, before: dict | None, after: dict | None,
                 division_path: str, org_path: str) -> dict:
        if action not in audit.ACTIONS:
            raise ValueError(f"unregistered audit action {action!r}")
        return {**self.base, "action": action, "object_id": str(object_id), "object_repr": object_repr[:200],
                "changes": audit.diff(before, after), "division_path": division_path or "",
                "org_path": org_path or ""}
