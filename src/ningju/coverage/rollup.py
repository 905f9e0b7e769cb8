"""The coverage rollup: one :class:`UnitCoverage` row per enterprise and station.

Coverage rule (应建尽建): a unit is covered when
  * a Party organisation (branch, general branch, committee or joint branch) has been founded at it,
    or at the platform enterprise above it, or
  * it, or its enterprise, is attached to a joint branch (联合党支部), or
  * an active Party-building instructor is assigned to it or to its enterprise.
Workers and members are counted over the unit's subtree (an enterprise includes its stations).

Services that change any input call :func:`refresh_for` inside their transaction (roster import,
finding verification, founding a branch, joint-branch links, instructor assignments, person edits).
``manage.py check_coverage`` recomputes everything and compares.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q

from ningju.instructors.models import Assignment
from ningju.orgs.models import PARTY_KINDS, Kind, Organisation
from ningju.people.models import Person, PoliticalStatus

from .models import JointBranchLink, UnitCoverage

UNIT_KINDS = (Kind.PLATFORM_ENTERPRISE, Kind.STATION)


def _chain_ids(unit: Organisation, by_path: dict[str, Organisation]) -> list[int]:
    """The unit and the platform enterprises above it (their ids)."""
    ids = [unit.pk]
    segments = [s for s in unit.path.split("/") if s]
    for i in range(1, len(segments)):
        ancestor = by_path.get("/".join(segments[:i]) + "/")
        if ancestor is not None and ancestor.kind == Kind.PLATFORM_ENTERPRISE:
            ids.append(ancestor.pk)
    return ids


def compute(units: list[Organisation]) -> list[UnitCoverage]:
    """Coverage rows for ``units`` computed from the records (no writes)."""
    if not units:
        return []
    ancestor_paths = set()
    for u in units:
        segments = [s for s in u.path.split("/") if s]
        ancestor_paths.update("/".join(segments[:i]) + "/" for i in range(1, len(segments)))
    by_path = {o.path: o for o in Organisation.objects.filter(path__in=ancestor_paths).only("id", "path", "kind")}
    chains = {u.pk: _chain_ids(u, by_path) for u in units}
    chain_ids = {i for ids in chains.values() for i in ids}

    founded = set(Organisation.objects.filter(parent_id__in=chain_ids, kind__in=PARTY_KINDS, is_active=True)
                  .values_list("parent_id", flat=True))
    linked = set(JointBranchLink.objects.filter(organisation_id__in=chain_ids).values_list("organisation_id",
                                                                                            flat=True))
    assigned: dict[int, int] = defaultdict(int)
    for org_id, n in (Assignment.objects.filter(organisation_id__in=chain_ids, ended_on__isnull=True,
                                                instructor__active=True)
                      .values_list("organisation_id").annotate(n=Count("id")).values_list("organisation_id", "n")):
        assigned[org_id] = n

    # People per employer under the units, in one grouped query.
    prefix_q = Q()
    for u in units:
        prefix_q |= Q(employer__path__startswith=u.path)
    counts = (Person.objects.filter(prefix_q)
              .values("employer__path")
              .annotate(workers=Count("id"),
                        formal=Count("id", filter=Q(political_status=PoliticalStatus.MEMBER)),
                        probationary=Count("id", filter=Q(political_status=PoliticalStatus.PROBATIONARY)),
                        mobile=Count("id", filter=Q(is_mobile_member=True,
                                                    political_status__in=[PoliticalStatus.MEMBER,
                                                                          PoliticalStatus.PROBATIONARY]))))
    per_path = {row["employer__path"]: row for row in counts}

    rows = []
    for u in units:
        totals = {"workers": 0, "formal": 0, "probationary": 0, "mobile": 0}
        for path, row in per_path.items():
            if path.startswith(u.path):
                for k in totals:
                    totals[k] += row[k]
        chain = chains[u.pk]
        has_branch = any(i in founded for i in chain)
        has_joint = any(i in linked for i in chain)
        n_instructors = sum(assigned.get(i, 0) for i in chain)
        rows.append(UnitCoverage(
            organisation_id=u.pk, division_path=u.division.path, org_path=u.path, industry=u.industry,
            workers=totals["workers"], formal_members=totals["formal"],
            probationary_members=totals["probationary"], mobile_members=totals["mobile"],
            has_branch=has_branch, has_joint_branch=has_joint, instructors=n_instructors,
            covered=has_branch or has_joint or n_instructors > 0,
        ))
    return rows


FIELDS = ["division_path", "org_path", "industry", "workers", "formal_members", "probationary_members",
          "mobile_members", "has_branch", "has_joint_branch", "instructors", "covered"]


def _save(rows: list[UnitCoverage]) -> None:
    existing = set(UnitCoverage.objects.filter(organisation_id__in=[r.organisation_id for r in rows])
                   .values_list("organisation_id", flat=True))
    UnitCoverage.objects.bulk_create([r for r in rows if r.organisation_id not in existing], batch_size=2000)
    UnitCoverage.objects.bulk_update([r for r in rows if r.organisation_id in existing], FIELDS, batch_size=2000)


def affected_units(org_ids: Iterable[int]) -> list[Organisation]:
    """Units whose coverage depends on the given organisations: themselves, above and below."""
    paths = list(Organisation.objects.filter(pk__in=list(org_ids)).values_list("path", flat=True))
    if not paths:
        return []
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
        segments = [s for s in p.split("/") if s]
        q |= Q(path__in=["/".join(segments[:i]) + "/" for i in range(1, len(segments))])
    return list(Organisation.objects.filter(q, kind__in=UNIT_KINDS).select_related("division"))


def refresh_for(org_ids: Iterable[int]) -> int:
    """Recompute the rollup of every unit affected by a change at ``org_ids``; returns rows written."""
    units = affected_units([i for i in org_ids if i])
    _save(compute(units))
    return len(units)


def refresh_all(batch: int = 2000, progress=None) -> int:
    """Recompute every unit (used by the check command, the demo and the benchmarks)."""
    ids = list(Organisation.objects.filter(kind__in=UNIT_KINDS).order_by("path").values_list("id", flat=True))
    done = 0
    for start in range(0, len(ids), batch):
        units = list(Organisation.objects.filter(pk__in=ids[start:start + batch]).select_related("division"))
        _save(compute(units))
        done += len(units)
        if progress:
            progress(done)
    UnitCoverage.objects.exclude(organisation_id__in=ids).delete()
    return done


def differences() -> list[str]:
    """Rows of the rollup that differ from a fresh computation (empty when consistent)."""
    out = []
    ids = list(Organisation.objects.filter(kind__in=UNIT_KINDS).values_list("id", flat=True))
    stored = {r.organisation_id: r for r in UnitCoverage.objects.all()}
    for start in range(0, len(ids), 2000):
        units = list(Organisation.objects.filter(pk__in=ids[start:start + 2000]).select_related("division"))
        for fresh in compute(units):
            have = stored.get(fresh.organisation_id)
            if have is None:
                out.append(f"组织#{fresh.organisation_id}:缺少覆盖汇总")
                continue
            for f in FIELDS:
                if getattr(have, f) != getattr(fresh, f):
                    out.append(f"组织#{fresh.organisation_id}:{f} 汇总为 {getattr(have, f)},实际为 {getattr(fresh, f)}")
    extra = set(stored) - set(ids)
    out += [f"组织#{i}:多余的覆盖汇总" for i in sorted(extra)]
    return out
