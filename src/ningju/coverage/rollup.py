"""The coverage rollup: one :class:`UnitCoverage` row per enterprise and station.

Coverage rule (应建尽建): a unit is covered when
  * a Party organisation (branch, general branch, committee or joint branch) has been founded at it,
    or at the platform enterprise above it, or
  * it, or its enterprise, is attached to a joint branch (联合党支部), or
  * an active Party-building instructor is assigned to it or to its enterprise.
Workers and members are counted over the unit's subtree (an enterprise includes its stations) for the
rule, and at the unit itself (``own_*``, ``found_*``) for figures that add up over many units.
``found_*`` count the members employed at the unit who have a verified finding, per channel and in all
(distinct persons): a person found through two channels counts once in ``found_total``.

Services that change any input call :func:`refresh_for` inside their transaction (roster import,
finding verification, founding a branch, joint-branch links, instructor assignments, person edits).
``manage.py check_coverage`` recomputes everything and compares.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q

from ningju.instructors.models import Assignment
from ningju.orgs.models import PARTY_KINDS, Kind, Organisation
from ningju.people.models import Person, PoliticalStatus

from .models import Finding, JointBranchLink, UnitCoverage

UNIT_KINDS = (Kind.PLATFORM_ENTERPRISE, Kind.STATION)
# Above this many units a computation reads whole tables once instead of filtering by the units.
_WHOLE_TABLE = 300

_COUNTS = ("workers", "formal", "probationary", "mobile")
_CHANNEL_FIELD = {Finding.Channel.ORG_FINDS: "found_org", Finding.Channel.SELF_DECLARED: "found_self",
                  Finding.Channel.REFERRED: "found_referred"}


def _ancestor_paths(path: str) -> list[str]:
    segments = [s for s in path.split("/") if s]
    return ["/".join(segments[:i]) + "/" for i in range(1, len(segments))]


def _chain_ids(unit: Organisation, by_path: dict[str, Organisation]) -> list[int]:
    """The unit and the platform enterprises above it (their ids)."""
    ids = [unit.pk]
    for p in _ancestor_paths(unit.path):
        ancestor = by_path.get(p)
        if ancestor is not None and ancestor.kind == Kind.PLATFORM_ENTERPRISE:
            ids.append(ancestor.pk)
    return ids


def _outermost(paths: Iterable[str]) -> list[str]:
    """The paths not inside another one of them: their subtrees cover all the others'."""
    out: list[str] = []
    for p in sorted(set(paths)):
        if not out or not p.startswith(out[-1]):
            out.append(p)
    return out


def _people_counts(units: list[Organisation], whole: bool) -> dict[str, dict[str, int]]:
    """Workers and members per employer path, for employers in the units' subtrees."""
    mobile_q = Q(is_mobile_member=True, political_status__in=[PoliticalStatus.MEMBER, PoliticalStatus.PROBATIONARY])
    qs = Person.objects.filter(employer__isnull=False)
    if not whole:
        prefix_q = Q()
        for p in _outermost(u.path for u in units):
            prefix_q |= Q(employer__path__startswith=p)
        qs = qs.filter(prefix_q)
    rows = (qs.values("employer_id")
            .annotate(workers=Count("id"),
                      formal=Count("id", filter=Q(political_status=PoliticalStatus.MEMBER)),
                      probationary=Count("id", filter=Q(political_status=PoliticalStatus.PROBATIONARY)),
                      mobile=Count("id", filter=mobile_q)))
    per_id = {r["employer_id"]: r for r in rows}
    paths_qs = Organisation.objects.all() if whole else Organisation.objects.filter(pk__in=list(per_id))
    paths = dict(paths_qs.values_list("id", "path"))
    return {paths[i]: r for i, r in per_id.items() if i in paths}


def _found_counts(unit_ids: list[int], whole: bool) -> dict[int, dict[str, int]]:
    """Distinct persons with a verified finding, per their employer, per channel and in all."""
    qs = Finding.objects.filter(status=Finding.Status.VERIFIED, person__isnull=False,
                                person__employer__isnull=False)
    if not whole:
        qs = qs.filter(person__employer_id__in=unit_ids)
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for employer_id, channel, n in (qs.values("person__employer_id", "channel")
                                    .annotate(n=Count("person_id", distinct=True))
                                    .values_list("person__employer_id", "channel", "n")):
        out[employer_id][_CHANNEL_FIELD[channel]] = n
    for employer_id, n in (qs.values("person__employer_id").annotate(n=Count("person_id", distinct=True))
                           .values_list("person__employer_id", "n")):
        out[employer_id]["found_total"] = n
    return out


def compute(units: list[Organisation], *, whole: bool | None = None) -> list[UnitCoverage]:
    """Coverage rows for ``units`` computed from the records (no writes).

    ``whole`` reads whole tables once (refreshing everything); by default it is chosen by the size.
    """
    if not units:
        return []
    if whole is None:  # many separate subtrees: one pass over whole tables is cheaper than many prefixes
        whole = len(_outermost(u.path for u in units)) > _WHOLE_TABLE
    ancestor_paths = {p for u in units for p in _ancestor_paths(u.path)}
    by_path = {o.path: o for o in Organisation.objects.filter(path__in=ancestor_paths).only("id", "path", "kind")} \
        if not whole else {o.path: o for o in Organisation.objects.filter(kind=Kind.PLATFORM_ENTERPRISE)
                           .only("id", "path", "kind")}
    chains = {u.pk: _chain_ids(u, by_path) for u in units}
    chain_ids = {i for ids in chains.values() for i in ids}

    founded_qs = Organisation.objects.filter(kind__in=PARTY_KINDS, is_active=True)
    links_qs = JointBranchLink.objects.all()
    assign_qs = Assignment.objects.filter(ended_on__isnull=True, instructor__active=True)
    if not whole:
        founded_qs = founded_qs.filter(parent_id__in=chain_ids)
        links_qs = links_qs.filter(organisation_id__in=chain_ids)
        assign_qs = assign_qs.filter(organisation_id__in=chain_ids)
    founded = set(founded_qs.values_list("parent_id", flat=True))
    linked = set(links_qs.values_list("organisation_id", flat=True))
    assigned: dict[int, int] = dict(assign_qs.values("organisation_id").annotate(n=Count("id"))
                                    .values_list("organisation_id", "n"))

    per_path = _people_counts(units, whole)
    sorted_paths = sorted(per_path)
    found = _found_counts([u.pk for u in units], whole)

    rows = []
    for u in units:
        totals = dict.fromkeys(_COUNTS, 0)
        i = bisect_left(sorted_paths, u.path)
        while i < len(sorted_paths) and sorted_paths[i].startswith(u.path):
            row = per_path[sorted_paths[i]]
            for k in _COUNTS:
                totals[k] += row[k]
            i += 1
        own = per_path.get(u.path) or dict.fromkeys(_COUNTS, 0)
        chain = chains[u.pk]
        has_branch = any(c in founded for c in chain)
        has_joint = any(c in linked for c in chain)
        n_instructors = sum(assigned.get(c, 0) for c in chain)
        f = found.get(u.pk, {})
        rows.append(UnitCoverage(
            organisation_id=u.pk, division_path=u.division.path, org_path=u.path, industry=u.industry,
            workers=totals["workers"], formal_members=totals["formal"],
            probationary_members=totals["probationary"], mobile_members=totals["mobile"],
            own_workers=own["workers"], own_formal=own["formal"], own_probationary=own["probationary"],
            own_mobile=own["mobile"],
            found_org=f.get("found_org", 0), found_self=f.get("found_self", 0),
            found_referred=f.get("found_referred", 0), found_total=f.get("found_total", 0),
            has_branch=has_branch, has_joint_branch=has_joint, instructors=n_instructors,
            covered=has_branch or has_joint or n_instructors > 0,
        ))
    return rows


FIELDS = ["division_path", "org_path", "industry", "workers", "formal_members", "probationary_members",
          "mobile_members", "own_workers", "own_formal", "own_probationary", "own_mobile", "found_org",
          "found_self", "found_referred", "found_total", "has_branch", "has_joint_branch", "instructors", "covered"]


def _save(rows: list[UnitCoverage]) -> None:
    existing = set(UnitCoverage.objects.filter(organisation_id__in=[r.organisation_id for r in rows])
                   .values_list("organisation_id", flat=True))
    UnitCoverage.objects.bulk_create([r for r in rows if r.organisation_id not in existing], batch_size=2000)
    UnitCoverage.objects.bulk_update([r for r in rows if r.organisation_id in existing], FIELDS, batch_size=500)


def affected_units(org_ids: Iterable[int]) -> list[Organisation]:
    """Units whose coverage depends on the given organisations: themselves, above and below."""
    paths = list(Organisation.objects.filter(pk__in=list(org_ids)).values_list("path", flat=True))
    if not paths:
        return []
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
        q |= Q(path__in=_ancestor_paths(p))
    return list(Organisation.objects.filter(q, kind__in=UNIT_KINDS).select_related("division"))


def refresh_for(org_ids: Iterable[int]) -> int:
    """Recompute the rollup of every unit affected by a change at ``org_ids``; returns rows written."""
    units = affected_units([i for i in org_ids if i])
    _save(compute(units))
    return len(units)


def _all_units() -> list[Organisation]:
    return list(Organisation.objects.filter(kind__in=UNIT_KINDS).select_related("division").order_by("path"))


@transaction.atomic
def refresh_all(batch: int = 2000, progress=None) -> int:
    """Recompute every unit (used by the check command, the demo and the benchmarks).

    Reads each input table once, then replaces the rollup in one transaction (readers keep seeing the
    previous rows until it commits).
    """
    units = _all_units()
    rows = compute(units, whole=True)
    UnitCoverage.objects.all().delete()
    done = 0
    for start in range(0, len(rows), batch):
        UnitCoverage.objects.bulk_create(rows[start:start + batch])
        done += len(rows[start:start + batch])
        if progress:
            progress(done)
    return done


def differences() -> list[str]:
    """Rows of the rollup that differ from a fresh computation (empty when consistent)."""
    out = []
    units = _all_units()
    stored = {r.organisation_id: r for r in UnitCoverage.objects.all()}
    for fresh in compute(units, whole=True):
        have = stored.get(fresh.organisation_id)
        if have is None:
            out.append(f"组织#{fresh.organisation_id}:缺少覆盖汇总")
            continue
        for f in FIELDS:
            if getattr(have, f) != getattr(fresh, f):
                out.append(f"组织#{fresh.organisation_id}:{f} 汇总为 {getattr(have, f)},实际为 {getattr(fresh, f)}")
    extra = set(stored) - {u.pk for u in units}
    out += [f"组织#{i}:多余的覆盖汇总" for i in sorted(extra)]
    return out
