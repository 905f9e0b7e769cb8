"""Roster import (花名册导入): one file of workers for one enterprise or station.

Flow of :func:`roster_import`, one transaction:

1. lock the target organisation (two imports into one organisation run one after the other);
2. read the file (:mod:`.parsing`) and check every row (:mod:`.validation`): cells, duplicates in the
   file, home divisions, and the registry (an ID number registered outside the importer's scope is an
   error: an import never moves people across scopes);
3. any error: nothing is written to the registry; the import is saved as failed with its errors;
4. otherwise new people are inserted and changed ones updated in batches of thousands of rows (keyed
   hashes and encryption computed in Python; :mod:`.bulk` sends them with COPY/executemany and
   ``UPDATE ... FROM (VALUES ...)``, since ``bulk_create``/``bulk_update`` spent more time compiling
   SQL than the database spent writing), with one audit entry per created or updated person (same
   content as ``core.audit.record``, masked, inserted in batches: :mod:`.bulk_audit`); then the
   coverage rollup is refreshed and ``rosters.imported`` announced. Unchanged rows write nothing, so
   the same file twice changes nothing the second time.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable
from contextlib import contextmanager
from itertools import groupby

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ningju.core import audit, hooks, roles
from ningju.core.models import AuditEntry
from ningju.coverage import rollup
from ningju.geo.models import Division
from ningju.orgs.models import Organisation
from ningju.people.models import Person

from . import bulk, bulk_audit, parsing, validation
from .bulk_audit import EntryMaker, SnapshotMaker
from .models import RosterImport
from .parsing import COLUMN_NAMES, error
from .selectors import TARGET_KINDS, importable_organisations

A_PERSON_CREATED = audit.register_action("rosters.person.created", "花名册导入新增人员")
A_PERSON_UPDATED = audit.register_action("rosters.person.updated", "花名册导入更新人员")
A_IMPORTED = audit.register_action("rosters.import.succeeded", "导入花名册")
A_REFUSED = audit.register_action("rosters.import.failed", "花名册有错误,未导入")

CREATE_BATCH = 5000
UPDATE_BATCH = 5000
MAX_STORED_ERRORS = 10_000

# Roster column → the Person fields it writes (in the order of the model, for the audit diff).
_FIELD_WRITES = {
    "name": ("name",),
    "phone": ("phone", "phone_hash"),
    "political_status": ("political_status",),
    "occupation": ("occupation",),
    "employer": ("employer_id",),
    "home_division": ("home_division_id",),
    "employed_since": ("employed_since",),
}

Progress = Callable[[str, int, int], None]  # (phase "read"/"validate"/"write", done, total)


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def _check_target(actor, org: Organisation) -> None:
    if actor is not None and not actor.can(roles.M_ROSTERS):
        raise PermissionDenied("当前角色无权导入花名册")
    if org.kind not in TARGET_KINDS or not org.is_active:
        raise ValidationError({"organisation": "花名册只能导入到有效的平台企业或站点"})
    if actor is not None and not importable_organisations(actor).filter(pk=org.pk).exists():
        raise ValidationError({"organisation": "该企业/站点不在您的管辖范围内"})


def _clean_name(file_name: str) -> str:
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "花名册"


_COLUMN_ORDER = {name: i for i, name in enumerate(COLUMN_NAMES)}


def _sorted(errors: list[dict]) -> list[dict]:
    errors = sorted(errors, key=lambda e: (e["row"] or 0, _COLUMN_ORDER.get(e["column"], len(_COLUMN_ORDER))))
    if len(errors) > MAX_STORED_ERRORS:
        note = error(None, "", f"共发现 {len(errors):,} 处错误,只保留前 {MAX_STORED_ERRORS:,} 处;请修正后重新上传")
        errors = [*errors[:MAX_STORED_ERRORS], note]
    return errors


@transaction.atomic
def roster_import(*, actor, organisation: Organisation, file_name: str, content: bytes, source: str = "web",
                  progress: Progress | None = None) -> RosterImport:
    """Import one roster file into ``organisation`` for ``actor`` (None: the system, sees everything).

    Always returns the saved :class:`RosterImport`; its ``status`` says whether the rows were written
    (``succeeded``) or refused with ``errors`` (``failed``, nothing written to the registry).
    """
    with _collector_paused():
        return _import(actor=actor, organisation=organisation, file_name=file_name, content=content,
                       source=source, report=progress or _no_progress)


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector during an import, then restore it.

    An import allocates a few million small objects without reference cycles; the collector would scan
    the growing heap again and again (measured: a fifth of a 100,000-row import). Reference counting
    still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(*, actor, organisation: Organisation, file_name: str, content: bytes, source: str,
            report: Progress) -> RosterImport:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _check_target(actor, org)
    org = Organisation.objects.select_related("division").get(pk=org.pk)
    record = RosterImport(organisation=org, file_name=_clean_name(file_name),
                          file_sha256=hashlib.sha256(content).hexdigest(),
                          uploaded_by=actor if getattr(actor, "pk", None) else None, source=source)

    report("read", 0, 1)
    try:
        table = parsing.parse(content, record.file_name)
    except parsing.RosterFileError as exc:
        return _refuse(record, actor=actor, errors=exc.errors, source=source)
    report("read", 1, 1)
    total = len(table.rows)
    record.rows_total = total

    report("validate", 0, total)
    checked = validation.check_rows(table, progress=lambda n: report("validate", n, total))
    validation.check_divisions(checked, actor=actor)
    existing = validation.check_registry(checked, actor=actor)
    report("validate", total, total)
    if checked.errors:
        return _refuse(record, actor=actor, errors=checked.errors, source=source)
    rows = checked.clean

    try:
        with transaction.atomic():
            result = _write(actor=actor, org=org, rows=rows, existing=existing, source=source, report=report)
    except IntegrityError:
        # Someone registered one of these ID numbers between our check and our insert.
        return _refuse(record, actor=actor, source=source, errors=[error(
            None, "", "导入期间有其他操作同时登记了文件中的人员,本次未导入;请重新上传")])

    record.status = RosterImport.Status.SUCCEEDED
    record.created_count, record.updated_count, record.unchanged_count = result.counts
    record.save()
    audit.record(actor=actor, action=A_IMPORTED, obj=record, source=source, after={
        "file_name": record.file_name, "file_sha256": record.file_sha256, "rows_total": record.rows_total,
        "created": record.created_count, "updated": record.updated_count, "unchanged": record.unchanged_count})
    if result.person_ids:
        rollup.refresh_for(sorted(result.org_ids))
        hooks.emit("rosters.imported", org_ids=[org.pk], person_ids=result.person_ids)
    return record


def _refuse(record: RosterImport, *, actor, errors: list[dict], source: str) -> RosterImport:
    record.status = RosterImport.Status.FAILED
    record.errors = _sorted(errors)
    record.created_count = record.updated_count = record.unchanged_count = 0
    record.save()
    audit.record(actor=actor, action=A_REFUSED, obj=record, source=source, after={
        "file_name": record.file_name, "file_sha256": record.file_sha256, "rows_total": record.rows_total,
        "errors": len(errors)})
    return record


class _Result:
    def __init__(self):
        self.counts = (0, 0, 0)
        self.person_ids: list[int] = []
        self.org_ids: set[int] = set()


def _changed(r: validation.CleanRow, cur: dict, org_id: int) -> tuple[str, ...]:
    out = []
    if r.name != cur["name"]:
        out.append("name")
    if r.phone_hash != cur["phone_hash"]:
        out.append("phone")
    if r.political_status != cur["political_status"]:
        out.append("political_status")
    if r.occupation != cur["occupation"]:
        out.append("occupation")
    if org_id != cur["employer_id"]:
        out.append("employer")
    if r.home_division_id is not None and r.home_division_id != cur["home_division_id"]:
        out.append("home_division")
    if r.employed_since is not None and r.employed_since != cur["employed_since"]:
        out.append("employed_since")
    return tuple(out)


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# The Person fields a new row of the roster gives; the others get the model's defaults.
_PERSON_GIVEN = ("name", "id_number", "id_hash", "phone", "phone_hash", "birth_date", "gender",
                 "political_status", "occupation", "employer_id", "home_division_id", "employed_since")


def _write(*, actor, org: Organisation, rows: list[validation.CleanRow], existing: dict[str, dict], source: str,
           report: Progress) -> _Result:
    result = _Result()
    now = timezone.now()
    creates: list[validation.CleanRow] = []
    updates: list[tuple[validation.CleanRow, dict, tuple[str, ...]]] = []
    unchanged = 0
    for r in rows:
        cur = existing.get(r.id_hash)
        if cur is None:
            creates.append(r)
        elif changed := _changed(r, cur, org.pk):
            updates.append((r, cur, changed))
        else:
            unchanged += 1
    result.counts = (len(creates), len(updates), unchanged)
    total = len(creates) + len(updates)
    report("write", 0, total)
    if not total:
        return result

    # Texts and paths of the related objects the audit entries show, read in a few queries.
    org_names = {org.pk: org.name}
    old_employers = {cur["employer_id"] for _, cur, ch in updates if "employer" in ch and cur["employer_id"]}
    org_names.update(Organisation.objects.filter(pk__in=old_employers).values_list("id", "name"))
    division_ids = {r.home_division_id for r in rows if r.home_division_id}
    division_ids |= {cur["home_division_id"] for _, cur, _ in updates if cur["home_division_id"]}
    divisions = {d["id"]: d for d in Division.objects.filter(pk__in=division_ids).values("id", "name", "path")}

    def related(field: str, pk) -> str:
        return org_names[pk] if field in ("employer", "party_org") else divisions[pk]["name"]

    def division_path(home_division_id) -> str:
        return divisions[home_division_id]["path"] if home_division_id else org.division.path

    snapshot = SnapshotMaker(Person, related)
    entry = EntryMaker(actor=actor, model=Person, source=source)
    people = bulk.Inserter(Person, _PERSON_GIVEN, now=now)
    entries = bulk.Inserter(AuditEntry, bulk_audit.GIVEN, now=now)

    done = 0
    if creates:
        above = Person.objects.order_by("-id").values_list("id", flat=True).first() or 0
        values = []
        for chunk in _batches(creates, CREATE_BATCH):
            batch = [{**people.defaults, "name": r.name, "id_number": r.id_number, "id_hash": r.id_hash,
                      "phone": r.phone, "phone_hash": r.phone_hash, "birth_date": r.birth_date, "gender": r.gender,
                      "political_status": r.political_status, "occupation": r.occupation, "employer_id": org.pk,
                      "home_division_id": r.home_division_id, "employed_since": r.employed_since} for r in chunk]
            people.insert([people.row(v) for v in batch])
            values += batch
            done += len(chunk) // 2
            report("write", done, total)
        ids = _ids_by_hash([r.id_hash for r in creates], org_id=org.pk, above=above)
        for chunk in _batches(values, CREATE_BATCH):
            audit_rows = []
            for v in chunk:
                pk = ids[v["id_hash"]]
                audit_rows.append(entries.row(entry(
                    action=A_PERSON_CREATED, object_id=pk, object_repr=v["name"], before=None, after=snapshot(v),
                    division_path=division_path(v["home_division_id"]), org_path=org.path)))
                result.person_ids.append(pk)
            entries.insert(audit_rows)
            done += len(chunk) - len(chunk) // 2
            report("write", done, total)

    if updates:
        result.org_ids |= old_employers
        old_phones = _old_phones([cur["id"] for _, cur, ch in updates if "phone" in ch])
        audit_rows = []
        for changed, group in groupby(sorted(updates, key=lambda u: u[2]), key=lambda u: u[2]):
            group = list(group)
            attnames = [f for c in changed for f in _FIELD_WRITES[c]] + ["updated_at"]
            updater = bulk.Updater(Person, attnames)
            only = set(changed)
            for chunk in _batches(group, UPDATE_BATCH):
                values = []
                for r, cur, _ in chunk:
                    after = {"name": r.name, "phone": r.phone, "phone_hash": r.phone_hash,
                             "political_status": r.political_status, "occupation": r.occupation,
                             "employer_id": org.pk, "home_division_id": r.home_division_id or cur["home_division_id"],
                             "employed_since": r.employed_since or cur["employed_since"], "updated_at": now}
                    before = {**cur, "phone": old_phones.get(cur["id"], "")}
                    values.append((cur["id"], *(after[a] for a in attnames)))
                    audit_rows.append(entries.row(entry(
                        action=A_PERSON_UPDATED, object_id=cur["id"], object_repr=r.name,
                        before=snapshot(before, only), after=snapshot(after, only),
                        division_path=division_path(after["home_division_id"]), org_path=org.path)))
                    result.person_ids.append(cur["id"])
                updater.update(values)
                done += len(chunk)
                report("write", done, total)
        for chunk in _batches(audit_rows, CREATE_BATCH):
            entries.insert(chunk)
    result.org_ids.add(org.pk)
    return result


def _ids_by_hash(hashes: list[str], *, org_id: int, above: int) -> dict[str, int]:
    """Ids of the people just inserted, by keyed hash of the ID number.

    Ids only grow, so the new rows are the organisation's rows above the largest id seen before the
    insert: one query. Anything not found that way is looked up by hash, in batches.
    """
    out = dict(Person.objects.filter(employer_id=org_id, id__gt=above).order_by()
               .values_list("id_hash", "id"))
    missing = [h for h in hashes if h not in out]
    for chunk in _batches(missing, validation.LOOKUP_BATCH):
        out.update(Person.objects.filter(id_hash__in=chunk).order_by().values_list("id_hash", "id"))
    return out


def _old_phones(person_ids: list[int]) -> dict[int, str]:
    """Current phones (decrypted) of the people whose phone changes, for the masked audit 'before'."""
    out: dict[int, str] = {}
    for chunk in _batches(person_ids, validation.LOOKUP_BATCH):
        out.update(Person.objects.filter(pk__in=chunk).values_list("id", "phone"))
    return out
