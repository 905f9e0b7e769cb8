"""Reads of the coverage survey, 应建尽建 and the coverage figures, each starting from ``visible_to(user)``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Substr
from django.http import Http404

from ningju.core.scoping import get_visible_or_404, scope_of
from ningju.geo.models import Division, Level
from ningju.instructors.models import Assignment
from ningju.orgs.models import PARTY_KINDS, Industry, Kind, Organisation
from ningju.people.models import PARTY_STATUSES, Person
from ningju.rosters.models import RosterImport

from .models import Campaign, CampaignUnit, Finding, JointBranchLink, MemberRecord, UnitCoverage
from .rollup import UNIT_KINDS
from .services import MIN_BRANCH_MEMBERS, PARENT_KINDS, today

SEGMENT = 13  # a 12-digit division code and its slash in a materialised division path
INDUSTRY_LABELS = {c: label for c, label in Industry.choices if c}
INDUSTRY_LABELS[""] = "未分类"


# --- campaigns ---------------------------------------------------------------------------------------------

def _visible_campaigns(user):
    """``Campaign.objects.visible_to(user)`` as one EXISTS per campaign: a campaign is seen through its
    organiser or any of its (possibly tens of thousands of) units, and EXISTS stops at the first match."""
    return Campaign.objects.filter(Exists(Campaign.objects.visible_to(user).filter(pk=OuterRef("pk"))))


def campaign_list(*, user, state: str | None = None, q: str | None = None):
    qs = (_visible_campaigns(user).select_related("organiser")
          .annotate(n_units=Count("units", distinct=True)))
    day = today()
    if state == "active":
        qs = qs.filter(starts_on__lte=day, ends_on__gte=day)
    elif state == "upcoming":
        qs = qs.filter(starts_on__gt=day)
    elif state == "ended":
        qs = qs.filter(ends_on__lt=day)
    if q:
        qs = qs.filter(name__contains=q.strip())
    return qs.order_by("-starts_on", "-id")


def campaign_get(*, user, pk) -> Campaign:
    """One campaign by id, 404 alike for "not there" and "not yours" (see :func:`_visible_campaigns`)."""
    campaign = _visible_campaigns(user).select_related("organiser__division").filter(pk=pk).first()
    if campaign is None:
        raise Http404("对象不存在或无权查看")
    return campaign


def campaign_state(campaign: Campaign) -> tuple[str, str]:
    day = today()
    if day < campaign.starts_on:
        return "upcoming", "未开始"
    if day > campaign.ends_on:
        return "ended", "已结束"
    return "active", "进行中"


def _rosters_in(campaign: Campaign):
    """Successful roster imports of the campaign's period, for the organisation of the outer unit row."""
    return RosterImport.objects.filter(status=RosterImport.Status.SUCCEEDED, organisation=OuterRef("organisation"),
                                       uploaded_at__date__gte=campaign.starts_on,
                                       uploaded_at__date__lte=campaign.ends_on)


def campaign_units(*, user, campaign: Campaign, q: str | None = None, state: str | None = None):
    """The units of ``campaign`` the user may see, each with its survey progress (all for the organisation
    itself, so that they add up over the units): ``roster_at`` (latest successful roster import in the
    period), ``workers`` (people on record employed there), ``checked_at``, ``found`` (verified members,
    distinct persons) and ``pending`` findings."""
    rosters = _rosters_in(campaign)
    findings = Finding.objects.filter(campaign=campaign, employer=OuterRef("organisation"))
    found = (findings.filter(status=Finding.Status.VERIFIED).values("employer")
             .annotate(n=Count("person", distinct=True)).values("n"))
    pending = findings.filter(status=Finding.Status.PENDING).values("employer").annotate(n=Count("id")).values("n")
    qs = (CampaignUnit.objects.visible_to(user).filter(campaign=campaign)
          .select_related("organisation__division", "organisation__coverage", "checked_by")
          .annotate(roster_at=Subquery(rosters.order_by("-uploaded_at").values("uploaded_at")[:1]),
                    workers=Coalesce(F("organisation__coverage__own_workers"), Value(0)),
                    found=Coalesce(Subquery(found[:1], output_field=IntegerField()), Value(0)),
                    pending=Coalesce(Subquery(pending[:1], output_field=IntegerField()), Value(0))))
    if q:
        qs = qs.filter(organisation__name__contains=q.strip())
    if state == "no_roster":
        qs = qs.exclude(Exists(rosters))
    elif state == "unchecked":
        qs = qs.filter(checked_at__isnull=True)
    elif state == "checked":
        qs = qs.filter(checked_at__isnull=False)
    return qs.order_by("organisation__path")


def campaign_summary(*, user, campaign: Campaign) -> dict:
    """Progress over the units the user may see: units, rosters received, checked, workers on record,
    members found (verified, distinct persons, per channel and in all), pending findings, instructors."""
    units = CampaignUnit.objects.visible_to(user).filter(campaign=campaign)
    figures = units.aggregate(units=Count("id"), checked=Count("id", filter=Q(checked_at__isnull=False)),
                              rosters=Count("id", filter=Q(Exists(_rosters_in(campaign)))),
                              workers=Coalesce(Sum("organisation__coverage__own_workers"), Value(0)))
    findings = Finding.objects.visible_to(user).filter(campaign=campaign)
    verified = findings.filter(status=Finding.Status.VERIFIED)
    by_channel = dict(verified.values("channel").annotate(n=Count("person", distinct=True))
                      .values_list("channel", "n"))
    figures["found"] = verified.aggregate(n=Count("person", distinct=True))["n"]
    figures["pending"] = findings.filter(status=Finding.Status.PENDING).count()
    figures["by_channel"] = [(label, by_channel.get(code, 0)) for code, label in Finding.Channel.choices]
    figures["instructors"] = (Assignment.objects.visible_to(user)
                              .filter(ended_on__isnull=True, instructor__active=True,
                                      organisation__in=units.values("organisation"))
                              .values("instructor").distinct().count())
    return figures


def unit_choices_to_add(*, user, campaign: Campaign, q: str = ""):
    qs = (Organisation.objects.visible_to(user).filter(kind__in=UNIT_KINDS, is_active=True)
          .exclude(campaign_units__campaign=campaign).select_related("division"))
    if q:
        qs = qs.filter(name__contains=q.strip())
    return qs.order_by("path")


def campaign_by_token(token: str) -> Campaign:
    """The public self-registration page: the campaign of a link, no user scope (404 if unknown)."""
    campaign = Campaign.objects.filter(public_token=token).first() if token else None
    if campaign is None:
        raise Http404("链接无效")
    return campaign


def referral_units(*, person: Person | None):
    """Units a member may refer a colleague at: units of active campaigns covering the member's employer,
    or of every active campaign when there is none."""
    day = today()
    qs = (CampaignUnit.objects.filter(campaign__starts_on__lte=day, campaign__ends_on__gte=day)
          .select_related("organisation", "campaign"))
    if person is not None and person.employer_id:
        path = person.employer.path
        ancestors = [path[:i + 1] for i, ch in enumerate(path) if ch == "/"]
        mine = qs.filter(campaign__units__organisation__path__in=ancestors).values("campaign")
        if mine.exists():
            qs = qs.filter(campaign__in=mine)
    return qs.order_by("campaign__name", "organisation__name")[:1000]


# --- findings ----------------------------------------------------------------------------------------------

def finding_list(*, user, campaign_id: int | None = None, channel: str | None = None, status: str | None = None,
                 employer_id: int | None = None, q: str | None = None):
    qs = Finding.objects.visible_to(user).select_related("campaign", "employer", "reviewed_by", "relation_org")
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    if employer_id:
        qs = qs.filter(employer_id=employer_id)
    if q:
        qs = qs.filter(declared_name__contains=q.strip())
    return qs.order_by("-created_at", "-id")


def finding_get(*, user, pk) -> Finding:
    return get_visible_or_404(Finding.objects.select_related("campaign", "employer__division", "person",
                                                             "referrer", "relation_org", "member_record"),
                              user, pk=pk)


def other_findings_of(finding: Finding):
    """Other findings of the same person in the campaign (another channel found them too)."""
    if not finding.person_id:
        return Finding.objects.none()
    return Finding.objects.filter(campaign=finding.campaign_id, person=finding.person_id).exclude(pk=finding.pk)


def party_orgs_for(*, user):
    return Organisation.objects.visible_to(user).filter(kind__in=PARTY_KINDS, is_active=True).order_by("path")


# --- the division in the URL -------------------------------------------------------------------------------

def division_roots(user) -> list[Division]:
    """Where the user's figures start: their territory, or the division of their organisation."""
    scope = scope_of(user)
    if scope.everything:
        top = Division.objects.order_by("level", "code").first()
        return [top] if top else []
    paths = list(scope.division_paths)
    if not paths and user.organisation_id:
        paths = [user.organisation.division.path]
    return list(Division.objects.filter(path__in=paths).order_by("level", "code"))


def division_for(*, user, code: str | None) -> Division:
    """The division named in the URL, if it is within the user's territory (404 otherwise); default the root."""
    roots = division_roots(user)
    if not code:
        if not roots:
            raise Http404("没有可查看的区划")
        return roots[0]
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise Http404("区划不存在")
    if scope_of(user).everything or any(division.path.startswith(r.path) for r in roots):
        return division
    raise Http404("区划不在管辖范围内")


def breadcrumbs(user, division: Division) -> list[Division]:
    roots = division_roots(user)
    top = next((r for r in roots if division.path.startswith(r.path)), division)
    codes = [c for c in division.path.split("/") if c]
    chain = {d.code: d for d in Division.objects.filter(code__in=codes)}
    return [chain[c] for c in codes if c in chain and chain[c].path.startswith(top.path)]


# --- coverage figures --------------------------------------------------------------------------------------

_SUMS = {
    "units": Count("pk"),
    "covered": Count("pk", filter=Q(covered=True)),
    "workers": Sum("own_workers"),
    "formal": Sum("own_formal"),
    "probationary": Sum("own_probationary"),
    "mobile": Sum("own_mobile"),
    "found_org": Sum("found_org"),
    "found_self": Sum("found_self"),
    "found_referred": Sum("found_referred"),
    "found_total": Sum("found_total"),
    "with_branch": Count("pk", filter=Q(has_branch=True)),
    "with_joint": Count("pk", filter=Q(has_joint_branch=True)),
}
FIGURE_KEYS = [*_SUMS, "instructors", "rate"]


def _finish(row: dict) -> dict:
    for k in _SUMS:
        row[k] = row.get(k) or 0
    row["rate"] = round(100.0 * row["covered"] / row["units"], 1) if row["units"] else None
    row.setdefault("instructors", 0)
    return row


def _units(user, division: Division, industry: str | None):
    qs = UnitCoverage.objects.visible_to(user).filter(division_path__startswith=division.path)
    if industry is not None:
        qs = qs.filter(industry=industry)
    return qs


def _unit_scope_q(user, prefix: str) -> Q | None:
    """The UnitCoverage scope rules, applied to the organisation at ``prefix`` (e.g. an assignment's)."""
    scope = scope_of(user)
    if scope.everything:
        return None
    q = Q(pk__in=[])
    for p in scope.division_paths:
        q |= Q(**{f"{prefix}division__path__startswith": p})
    for p in scope.org_paths:
        q |= Q(**{f"{prefix}path__startswith": p})
    return q


def _assignments(user, division: Division, industry: str | None):
    qs = (Assignment.objects.visible_to(user)
          .filter(ended_on__isnull=True, instructor__active=True, organisation__kind__in=UNIT_KINDS,
                  organisation__division__path__startswith=division.path))
    q = _unit_scope_q(user, "organisation__")
    if q is not None:
        qs = qs.filter(q)
    if industry is not None:
        qs = qs.filter(organisation__industry=industry)
    return qs


def why_not_covered(uc: UnitCoverage) -> str:
    if uc.covered:
        return ""
    if uc.formal_members >= MIN_BRANCH_MEMBERS:
        return f"正式党员 {uc.formal_members} 名,应单独建立党支部,尚未建立"
    if uc.formal_members + uc.probationary_members == 0:
        return "暂无党员,未纳入联合党支部,未选派党建指导员"
    return (f"正式党员 {uc.formal_members} 名(不足3名),未纳入联合党支部,未选派党建指导员")


@dataclass
class Figures:
    division: Division
    industry: str | None
    totals: dict
    by_division: list[dict] | None  # None at town level and below: the unit list instead
    by_industry: list[dict]
    uncovered: list[UnitCoverage]
    uncovered_count: int
    crumbs: list[Division]


def _add(into: dict, row: dict) -> None:
    for k in _SUMS:
        into[k] = into.get(k, 0) + (row.get(k) or 0)


def figures(*, user, division: Division, industry: str | None = None, uncovered_limit: int = 200) -> Figures:
    """Coverage figures for the user's scope within ``division`` (and one industry, if given), from the
    rollup (:class:`UnitCoverage`), with distinct instructors from their assignments.

    One scan of the rollup grouped by (child division, industry) gives every count and sum, added up here
    into totals, rows per child division and rows per industry; one query gives the distinct
    (child division, industry, instructor) triples for the distinct-instructor counts.
    """
    by_division_wanted = division.level < Level.TOWN
    width = len(division.path) + SEGMENT
    units = _units(user, division, industry)
    assignments = _assignments(user, division, industry)
    if by_division_wanted:
        units = units.annotate(bucket=Substr("division_path", 1, width))
        assignments = assignments.annotate(bucket=Substr("organisation__division__path", 1, width))
    else:
        units = units.annotate(bucket=Value("", output_field=CharField()))
        assignments = assignments.annotate(bucket=Value("", output_field=CharField()))
    groups = list(units.values("bucket", "industry").annotate(**_SUMS).order_by())
    teach = set(assignments.values_list("bucket", "organisation__industry", "instructor_id").order_by().distinct())

    totals: dict = {}
    per_bucket: dict[str, dict] = {}
    per_industry: dict[str, dict] = {}
    for g in groups:
        _add(totals, g)
        _add(per_bucket.setdefault(g["bucket"], {}), g)
        _add(per_industry.setdefault(g["industry"], {}), g)
    totals = _finish({**totals, "instructors": len({i for _, _, i in teach})})

    by_division = None
    if by_division_wanted:
        buckets = set(per_bucket) | {b for b, _, _ in teach}
        children = {d.path: d for d in Division.objects.filter(path__in=list(buckets))}
        by_division = []
        for path in sorted(buckets):
            row = _finish({**per_bucket.get(path, {}), "instructors": len({i for b, _, i in teach if b == path})})
            child = children.get(path)
            row["division"] = child
            row["label"] = child.name if child and path != division.path else f"{division.name}(本级)"
            row["code"] = child.code if child and path != division.path else ""
            by_division.append(row)

    by_industry = []
    codes = set(per_industry) | {c for _, c, _ in teach}
    for code in sorted(codes, key=lambda c: (c == "", c)):
        row = _finish({**per_industry.get(code, {}), "instructors": len({i for _, c, i in teach if c == code})})
        row["industry"] = code
        row["param"] = code or "none"
        row["label"] = INDUSTRY_LABELS.get(code, code)
        by_industry.append(row)

    uncovered = list(_units(user, division, industry).filter(covered=False)
                     .select_related("organisation__division").order_by("org_path")[:uncovered_limit])
    for uc in uncovered:
        uc.why = why_not_covered(uc)
    return Figures(division=division, industry=industry, totals=totals, by_division=by_division,
                   by_industry=by_industry, uncovered=uncovered,
                   uncovered_count=totals["units"] - totals["covered"], crumbs=breadcrumbs(user, division))


def unit_rows(*, user, division: Division, industry: str | None = None):
    """Every unit in the division (the drill-down's last level and the export), with its rollup."""
    qs = _units(user, division, industry).select_related("organisation__division", "organisation__parent")
    return qs.order_by("org_path")


# --- 应建尽建 ----------------------------------------------------------------------------------------------

CATEGORIES = {
    "should_found": "应单独建立党支部",
    "needs_cover": "应纳入联合党支部或选派指导员",
    "covered": "已覆盖",
}


def category_of(uc: UnitCoverage) -> str:
    if uc.formal_members >= MIN_BRANCH_MEMBERS and not uc.has_branch:
        return "should_found"
    if not uc.covered:
        return "needs_cover"
    return "covered"


def should_build(*, user, division: Division, category: str | None = None, q: str | None = None):
    """Units in scope with the 应建尽建 rule applied (``category`` filters)."""
    qs = (UnitCoverage.objects.visible_to(user).filter(division_path__startswith=division.path)
          .select_related("organisation__division", "organisation__parent", "organisation__joint_branch_link"))
    if category == "should_found":
        qs = qs.filter(formal_members__gte=MIN_BRANCH_MEMBERS, has_branch=False)
    elif category == "needs_cover":
        qs = qs.filter(formal_members__lt=MIN_BRANCH_MEMBERS, covered=False)
    elif category == "covered":
        qs = qs.filter(covered=True).exclude(formal_members__gte=MIN_BRANCH_MEMBERS, has_branch=False)
    if q:
        qs = qs.filter(organisation__name__contains=q.strip())
    return qs.order_by("org_path")


def should_build_counts(*, user, division: Division) -> dict:
    qs = UnitCoverage.objects.visible_to(user).filter(division_path__startswith=division.path)
    return qs.aggregate(
        should_found=Count("pk", filter=Q(formal_members__gte=MIN_BRANCH_MEMBERS, has_branch=False)),
        needs_cover=Count("pk", filter=Q(formal_members__lt=MIN_BRANCH_MEMBERS, covered=False)),
        covered=Count("pk", filter=Q(covered=True) & ~Q(formal_members__gte=MIN_BRANCH_MEMBERS, has_branch=False)),
        total=Count("pk"),
    )


def mobile_members(*, user, division: Division, limit: int = 200):
    """流动党员 employed at enterprises and stations in the division (the relation is held elsewhere)."""
    return (Person.objects.visible_to(user)
            .filter(is_mobile_member=True, political_status__in=PARTY_STATUSES, employer__kind__in=UNIT_KINDS,
                    employer__division__path__startswith=division.path)
            .select_related("employer", "party_org")
            .only("name", "political_status", "party_org_text", "employer__name", "employer__path", "party_org__name")
            .order_by("employer__path", "name")[:limit])


def unit_get(*, user, pk) -> Organisation:
    return get_visible_or_404(Organisation.objects.filter(kind__in=UNIT_KINDS).select_related("division"),
                              user, pk=pk)


def joint_branch_choices(*, user, unit: Organisation):
    """Joint branches the user may attach the unit to: visible ones in the unit's county."""
    county = "/".join(unit.division.path.split("/")[:2]) + "/"
    return (Organisation.objects.visible_to(user)
            .filter(kind=Kind.JOINT_BRANCH, is_active=True, division__path__startswith=county)
            .annotate(n_units=Count("attached_units")).order_by("path"))


def joint_parent_choices(*, user, unit: Organisation):
    county = "/".join(unit.division.path.split("/")[:2]) + "/"
    return (Organisation.objects.visible_to(user)
            .filter(kind__in=PARENT_KINDS, is_active=True, division__path__startswith=county)
            .select_related("division").order_by("path"))


def joint_link_of(unit: Organisation) -> JointBranchLink | None:
    return JointBranchLink.objects.filter(organisation=unit).select_related("joint_branch").first()


# --- the member registry -----------------------------------------------------------------------------------

def member_record_list(*, user, q: str | None = None, status: str | None = None):
    from ningju.core import idcard
    from ningju.core.crypto import keyed_hash

    qs = MemberRecord.objects.visible_to(user).select_related("division", "relation_org")
    if q:
        q = q.strip()
        norm = idcard.normalise(q)
        qs = qs.filter(id_hash=keyed_hash(norm)) if len(norm) == 18 else qs.filter(name__contains=q)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("division__code", "name", "id")


def member_divisions(*, user):
    return Division.objects.visible_to(user).filter(level__lte=Level.TOWN).order_by("code")
