"""Writes of the coverage survey (全覆盖排查) and of 应建尽建; one transaction per use case, each audited.

* Campaigns: create (units in scope filled from the divisions and industries), add/remove units,
  "核查完成" per unit.
* Finding members, three channels: :func:`match_campaign` (组织找党员, the member registry joined to the
  people employed at the campaign's units), :func:`self_declare` (党员找组织, the public QR page) and
  :func:`referral_create` (党员找党员). Staff verify (:func:`finding_verify`) or reject
  (:func:`finding_reject`); verification writes the person through ``people.services``.
* The member registry import (:func:`member_records_import`), all or nothing.
* 应建尽建: :func:`branch_found`, :func:`joint_branch_attach`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ningju.core import audit, idcard, roles
from ningju.core.crypto import keyed_hash
from ningju.geo.models import Division
from ningju.instructors.models import Assignment
from ningju.orgs import services as org_services
from ningju.orgs.models import PARTY_KINDS, Industry, Kind, Organisation
from ningju.people import services as people_services
from ningju.people.models import Occupation, Person, PoliticalStatus

from . import parsing, rollup
from .models import Campaign, CampaignUnit, Finding, JointBranchLink, MemberRecord, UnitCoverage

A_CAMPAIGN_CREATED = audit.register_action("coverage.campaign.created", "新建排查行动")
A_UNIT_ADDED = audit.register_action("coverage.campaign_unit.added", "排查单位:加入")
A_UNIT_REMOVED = audit.register_action("coverage.campaign_unit.removed", "排查单位:移出")
A_UNIT_CHECKED = audit.register_action("coverage.campaign_unit.checked", "排查单位:核查完成")
A_MATCHED = audit.register_action("coverage.campaign.matched", "组织找党员:比对党员信息库")
A_FINDING_CREATED = audit.register_action("coverage.finding.created", "新增党员线索")
A_FINDING_VERIFIED = audit.register_action("coverage.finding.verified", "核实党员线索")
A_FINDING_REJECTED = audit.register_action("coverage.finding.rejected", "党员线索核实不属实")
A_MEMBER_CREATED = audit.register_action("coverage.member_record.created", "党员信息库:新增")
A_MEMBER_UPDATED = audit.register_action("coverage.member_record.updated", "党员信息库:更新")
A_MEMBERS_IMPORTED = audit.register_action("coverage.member_record.imported", "党员信息库:导入文件")
A_BRANCH_FOUNDED = audit.register_action("coverage.branch.founded", "应建尽建:单独建立党支部")
A_JOINT_ATTACHED = audit.register_action("coverage.joint_branch.attached", "应建尽建:纳入联合党支部")

UNIT_KINDS = rollup.UNIT_KINDS
MIN_BRANCH_MEMBERS = 3  # 党章:正式党员三人以上的,应当成立党的基层组织
PARENT_KINDS = (Kind.PARTY_COMMITTEE, Kind.GENERAL_BRANCH)  # may hold a joint branch
_OCCUPATION_BY_INDUSTRY = {Industry.FOOD_DELIVERY: Occupation.RIDER, Industry.EXPRESS: Occupation.COURIER,
                           Industry.RIDE_HAILING: Occupation.RIDE_HAILING, Industry.FREIGHT: Occupation.TRUCK}
_STATUS_TO_POLITICAL = {MemberRecord.Status.FORMAL: PoliticalStatus.MEMBER,
                        MemberRecord.Status.PROBATIONARY: PoliticalStatus.PROBATIONARY}


def today() -> dt.date:
    return timezone.localdate()


def _occupation_for(unit: Organisation) -> str:
    return _OCCUPATION_BY_INDUSTRY.get(unit.industry, Occupation.OTHER)


def _is_unit(org: Organisation) -> bool:
    return org.kind in UNIT_KINDS


# --- who may do what (beyond the module permission and the scope) ------------------------------------

def instructor_unit_paths(user) -> list[str]:
    """Organisation paths an instructor works for: active assignments and scope grants."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    paths = list(Assignment.objects.filter(instructor__user=user, instructor__active=True, ended_on__isnull=True)
                 .values_list("organisation__path", flat=True))
    paths += list(user.scope_grants.filter(active=True).values_list("organisation__path", flat=True))
    return paths


def may_work_on(user, organisation: Organisation) -> bool:
    """Staff who may verify findings and mark units checked there: the organisation department
    (M_COVERAGE_MANAGE) or an instructor of that enterprise/station (or of the enterprise above it)."""
    if user is None:  # commands and hooks
        return True
    if user.is_superuser or user.can(roles.M_COVERAGE_MANAGE):
        return True
    if user.role == roles.INSTRUCTOR.code:
        return any(organisation.path.startswith(p) for p in instructor_unit_paths(user))
    return False


def _require_work_on(user, organisation: Organisation) -> None:
    if not may_work_on(user, organisation):
        raise PermissionDenied("只有组织部门或该单位的党建指导员可以办理")


# --- campaigns ---------------------------------------------------------------------------------------------

def _organiser_for(actor, divisions: list[Division]) -> Organisation:
    if actor is not None and actor.organisation_id:
        return actor.organisation
    top = min(divisions, key=lambda d: d.depth)
    candidates = [top.path[:i + 1] for i, ch in enumerate(top.path) if ch == "/"]
    org = (Organisation.objects.filter(kind=Kind.ORG_DEPARTMENT, division__path__in=candidates)
           .order_by("-division__path", "path").first())
    if org is None:
        raise ValidationError("未找到该区划的组织部,无法发起排查")
    return org


def _units_for(divisions: Iterable[Division], industries: list[str], actor) -> list[Organisation]:
    qs = Organisation.objects.filter(kind__in=UNIT_KINDS, is_active=True)
    if actor is not None:
        qs = qs.visible_to(actor)
    q = Q()
    for d in divisions:
        q |= Q(division__path__startswith=d.path)
    qs = qs.filter(q)
    if industries:
        qs = qs.filter(industry__in=industries)
    return list(qs.order_by("path"))


@transaction.atomic
def campaign_create(*, actor, name: str, starts_on: dt.date, ends_on: dt.date, divisions: list[Division],
                    industries: list[str], organiser: Organisation | None = None, source: str = "web") -> Campaign:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "请填写排查行动名称"
    elif len(name) > 120:
        errors["name"] = "名称不能超过120个字"
    if starts_on and ends_on and starts_on > ends_on:
        errors["ends_on"] = "结束日期不能早于开始日期"
    divisions = list(dict.fromkeys(divisions or []))
    if not divisions:
        errors["divisions"] = "请至少选择一个覆盖区划"
    elif actor is not None:
        visible = set(Division.objects.visible_to(actor).filter(pk__in=[d.pk for d in divisions])
                      .values_list("pk", flat=True))
        outside = [d.name for d in divisions if d.pk not in visible]
        if outside:
            errors["divisions"] = f"区划不在管辖范围内:{'、'.join(outside)}"
    valid_industries = {c for c, _ in Industry.choices if c}
    industries = list(dict.fromkeys(industries or []))
    bad = [i for i in industries if i not in valid_industries]
    if bad:
        errors["industries"] = f"行业代码无效:{'、'.join(bad)}"
    if errors:
        raise ValidationError(errors)
    organiser = organiser or _organiser_for(actor, divisions)
    campaign = Campaign(name=name, organiser=organiser, starts_on=starts_on, ends_on=ends_on, industries=industries,
                        public_token=secrets.token_urlsafe(18))
    campaign.full_clean(exclude=["public_token", "industries"])
    campaign.save()
    campaign.divisions.set(divisions)
    units = _units_for(divisions, industries, actor)
    CampaignUnit.objects.bulk_create([CampaignUnit(campaign=campaign, organisation=u) for u in units])
    after = audit.snapshot(campaign)
    after.update(divisions=[f"{d.name}({d.code})" for d in divisions], units=len(units))
    audit.record(actor=actor, action=A_CAMPAIGN_CREATED, obj=campaign, after=after, source=source)
    return campaign


@transaction.atomic
def campaign_unit_add(*, actor, campaign: Campaign, organisation: Organisation, source: str = "web") -> CampaignUnit:
    if not _is_unit(organisation):
        raise ValidationError({"organisation": "只能加入平台企业或站点"})
    if CampaignUnit.objects.filter(campaign=campaign, organisation=organisation).exists():
        raise ValidationError({"organisation": f"“{organisation.name}”已在本次排查范围内"})
    unit = CampaignUnit.objects.create(campaign=campaign, organisation=organisation)
    audit.record(actor=actor, action=A_UNIT_ADDED, obj=unit, after={"campaign": str(campaign),
                                                                   "organisation": str(organisation)}, source=source)
    return unit


@transaction.atomic
def campaign_unit_remove(*, actor, unit: CampaignUnit, source: str = "web") -> None:
    unit = CampaignUnit.objects.select_for_update().select_related("organisation__division", "campaign").get(
        pk=unit.pk)
    if Finding.objects.filter(campaign=unit.campaign_id, employer=unit.organisation_id).exists():
        raise ValidationError("该单位已有党员线索记录,不能移出排查范围")
    audit.record(actor=actor, action=A_UNIT_REMOVED, obj=unit, before={"campaign": str(unit.campaign),
                                                                      "organisation": str(unit.organisation)},
                 source=source)
    unit.delete()


@transaction.atomic
def campaign_unit_check(*, actor, unit: CampaignUnit, source: str = "web") -> CampaignUnit:
    unit = CampaignUnit.objects.select_for_update().select_related("organisation__division", "campaign").get(
        pk=unit.pk)
    _require_work_on(actor, unit.organisation)
    if unit.checked_at is not None:
        raise ValidationError(f"该单位已于 {timezone.localtime(unit.checked_at):%Y-%m-%d %H:%M} 核查完成")
    unit.checked_at = timezone.now()
    unit.checked_by = actor if getattr(actor, "pk", None) else None
    unit.save(update_fields=["checked_at", "checked_by"])
    audit.record(actor=actor, action=A_UNIT_CHECKED, obj=unit, before={"checked_at": None},
                 after={"checked_at": unit.checked_at.isoformat()}, source=source)
    return unit


# --- channel 1: 组织找党员 ---------------------------------------------------------------------------------

def _audit_findings(actor, findings: list[Finding], source: str) -> None:
    """One audit entry per new finding, with the related objects prefetched (no query per field)."""
    if not findings:
        return
    employers = Organisation.objects.select_related("division").in_bulk({f.employer_id for f in findings})
    people = Person.objects.in_bulk({f.person_id for f in findings if f.person_id})
    records = MemberRecord.objects.in_bulk({f.member_record_id for f in findings if f.member_record_id})
    relation = Organisation.objects.in_bulk({f.relation_org_id for f in findings if f.relation_org_id})
    for f in findings:
        f.employer = employers[f.employer_id]
        if f.person_id:
            f.person = people[f.person_id]
        if f.member_record_id:
            f.member_record = records[f.member_record_id]
        if f.relation_org_id:
            f.relation_org = relation[f.relation_org_id]
        audit.record(actor=actor, action=A_FINDING_CREATED, obj=f, after=audit.snapshot(f), source=source)


def match_campaign(campaign: Campaign, *, actor=None, person_ids: Iterable[int] | None = None,
                   source: str = "web") -> int:
    """Match the people employed at the campaign's units against the member registry.

    One query: MemberRecord ⋈ Person on the keyed ID hash ⋈ the campaign's units on the person's employer,
    leaving out people who already have a 组织找党员 finding in the campaign. Creates pending findings;
    returns how many.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("organiser__division").get(pk=campaign.pk)
        already = Finding.objects.filter(campaign=campaign, channel=Finding.Channel.ORG_FINDS,
                                         person_id=OuterRef("person__pk"))
        matches = (MemberRecord.objects.filter(person__employer__campaign_units__campaign=campaign)
                   .exclude(Exists(already)))
        if person_ids is not None:
            matches = matches.filter(person__pk__in=list(person_ids))
        rows = list(matches.values("pk", "status", "relation_org_id", "relation_text", "person__pk",
                                   "person__name", "person__employer_id"))
        findings = Finding.objects.bulk_create([
            Finding(campaign=campaign, channel=Finding.Channel.ORG_FINDS, person_id=r["person__pk"],
                    employer_id=r["person__employer_id"], declared_name=r["person__name"],
                    member_status=r["status"], relation_org_id=r["relation_org_id"],
                    relation_text=r["relation_text"], member_record_id=r["pk"])
            for r in rows
        ])
        if findings and findings[0].pk is None:  # pragma: no cover - a backend without RETURNING
            findings = list(Finding.objects.filter(campaign=campaign, channel=Finding.Channel.ORG_FINDS,
                                                   person_id__in=[r["person__pk"] for r in rows]))
        _audit_findings(actor, findings, source)
        audit.record(actor=actor, action=A_MATCHED, obj=campaign, after={"new_findings": len(findings)},
                     source=source)
    return len(findings)


def match_after_roster_import(*, org_ids: Iterable[int], person_ids: Iterable[int] | None = None) -> int:
    """The ``rosters.imported`` hook: match the imported people in active campaigns covering those orgs."""
    day = today()
    campaigns = (Campaign.objects.filter(units__organisation_id__in=[i for i in org_ids if i], starts_on__lte=day,
                                         ends_on__gte=day).distinct().order_by("pk"))
    person_ids = None if person_ids is None else list(person_ids)
    return sum(match_campaign(c, person_ids=person_ids, source="rosters") for c in campaigns)


# --- channel 2: 党员找组织 (the public page) --------------------------------------------------------------

def party_orgs_in(campaign: Campaign):
    """Party organisations where a declared membership relation may be held (in the campaign's divisions)."""
    q = Q()
    for d in campaign.divisions.all():
        q |= Q(division__path__startswith=d.path)
    return Organisation.objects.filter(q, kind__in=PARTY_KINDS, is_active=True).order_by("path")


def _check_relation(relation_org: Organisation | None, relation_text: str, errors: dict, *,
                    required: bool = True) -> str:
    relation_text = (relation_text or "").strip()
    if relation_org is not None and relation_text:
        errors["relation_text"] = "组织关系所在请二选一:选择本地党组织,或填写外地党组织"
    elif required and relation_org is None and not relation_text:
        errors["relation_org"] = "请选择组织关系所在的党组织,或填写外地党组织名称"
    elif len(relation_text) > 200:
        errors["relation_text"] = "不能超过200个字"
    if relation_org is not None and relation_org.kind not in PARTY_KINDS:
        errors["relation_org"] = "请选择一个党组织"
    return relation_text


@transaction.atomic
def self_declare(*, campaign: Campaign, name: str, id_number: str, phone: str, employer: Organisation,
                 member_status: str, relation_org: Organisation | None = None, relation_text: str = "",
                 source: str = "public") -> Finding | None:
    """A worker declares being a Party member. The answer never depends on whether the ID number is known:
    a known person is linked (not modified until verified), an unknown one is registered."""
    errors: dict = {}
    if not campaign.is_active_on(today()):
        raise ValidationError("本次排查不在进行中")
    name = (name or "").strip()
    if not name or len(name) > 50:
        errors["name"] = "请填写姓名(不超过50个字)"
    try:
        number = idcard.parse(id_number).value
    except ValidationError as exc:
        errors["id_number"] = exc.messages
        number = ""
    try:
        phone = idcard.validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if not CampaignUnit.objects.filter(campaign=campaign, organisation=employer).exists():
        errors["employer"] = "请选择本次排查范围内的企业或站点"
    if member_status not in MemberRecord.Status.values:
        errors["member_status"] = "请选择正式党员或预备党员"
    relation_text = _check_relation(relation_org, relation_text, errors)
    if relation_org is not None and not party_orgs_in(campaign).filter(pk=relation_org.pk).exists():
        errors["relation_org"] = "请选择本地区的党组织,外地的请填写名称"
    if errors:
        raise ValidationError(errors)

    person = Person.objects.filter(id_hash=keyed_hash(number)).first()
    if person is None:
        try:
            person = people_services.person_create(actor=None, source=source, name=name, id_number=number,
                                                   phone=phone, employer=employer,
                                                   occupation=_occupation_for(employer))
        except ValidationError:
            person = Person.objects.filter(id_hash=keyed_hash(number)).first()  # registered meanwhile
            if person is None:
                raise
    if Finding.objects.filter(campaign=campaign, channel=Finding.Channel.SELF_DECLARED, person=person,
                              status=Finding.Status.PENDING).exists():
        return None  # already waiting for verification; the page answers the same
    finding = Finding.objects.create(
        campaign=campaign, channel=Finding.Channel.SELF_DECLARED, person=person, employer=employer,
        declared_name=name, declared_phone=phone, member_status=member_status, relation_org=relation_org,
        relation_text=relation_text)
    audit.record(actor=None, action=A_FINDING_CREATED, obj=finding, after=audit.snapshot(finding), source=source)
    return finding


# --- channel 3: 党员找党员 -------------------------------------------------------------------------------

@transaction.atomic
def referral_create(*, actor, unit: CampaignUnit, name: str, phone: str, note: str = "",
                    referrer: Person | None = None, source: str = "web") -> Finding:
    """A member refers a colleague (or staff record a referral) at a unit of an active campaign."""
    errors: dict = {}
    campaign = unit.campaign
    if not campaign.is_active_on(today()):
        errors["unit"] = f"“{campaign.name}”不在进行中"
    name = (name or "").strip()
    if not name or len(name) > 50:
        errors["name"] = "请填写被推荐人姓名(不超过50个字)"
    try:
        phone = idcard.validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = "说明不能超过2000个字"
    if referrer is not None and not referrer.is_party_member:
        errors["referrer"] = "推荐人应为党员"
    if errors:
        raise ValidationError(errors)
    finding = Finding.objects.create(
        campaign=campaign, channel=Finding.Channel.REFERRED, employer=unit.organisation, declared_name=name,
        declared_phone=phone, referrer=referrer, note=note)
    audit.record(actor=actor, action=A_FINDING_CREATED, obj=finding, after=audit.snapshot(finding), source=source)
    return finding


# --- verification ------------------------------------------------------------------------------------------

def is_mobile(*, employer: Organisation, relation_org: Organisation | None, relation_text: str) -> bool:
    """流动党员: the membership relation is held elsewhere (free text) or outside the employer's county."""
    if (relation_text or "").strip():
        return True
    if relation_org is None:
        return False
    county = "/".join(employer.division.path.split("/")[:2]) + "/"
    return not relation_org.division.path.startswith(county)


_UNSET = object()


@transaction.atomic
def finding_verify(*, actor, finding: Finding, id_number: str = "", member_status: str | None = None,
                   relation_org=_UNSET, relation_text: str | None = None, reason: str = "",
                   source: str = "web") -> Finding:
    finding = (Finding.objects.select_for_update(of=("self",))
               .select_related("employer__division", "person", "campaign", "relation_org__division")
               .get(pk=finding.pk))
    _require_work_on(actor, finding.employer)
    if finding.status != Finding.Status.PENDING:
        raise ValidationError(f"该线索已处理({finding.get_status_display()})")
    before = audit.snapshot(finding)
    errors: dict = {}
    member_status = member_status or finding.member_status
    if member_status not in MemberRecord.Status.values:
        errors["member_status"] = "请选择正式党员或预备党员"
    if relation_org is _UNSET:
        relation_org = finding.relation_org
    relation_text = finding.relation_text if relation_text is None else relation_text
    relation_text = _check_relation(relation_org, relation_text, errors, required=False)
    reason = (reason or "").strip()
    if len(reason) > 500:
        errors["reason"] = "核实意见不能超过500个字"
    number = ""
    if id_number:
        try:
            number = idcard.parse(id_number).value
        except ValidationError as exc:
            errors["id_number"] = exc.messages
    elif finding.person_id is None:
        errors["id_number"] = "请填写被推荐人的身份证号码,核实身份后登记"
    if number and finding.person_id and finding.person.id_hash != keyed_hash(number):
        errors["id_number"] = "身份证号码与该线索关联的人员不一致"
    if errors:
        raise ValidationError(errors)

    person = finding.person
    if person is None:
        person = Person.objects.filter(id_hash=keyed_hash(number)).first()
    if person is None:
        person = people_services.person_create(
            actor=actor, source=source, name=finding.declared_name, id_number=number,
            phone=finding.declared_phone, employer=finding.employer, occupation=_occupation_for(finding.employer))
    finding.person = person
    finding.status = Finding.Status.VERIFIED
    finding.member_status = member_status
    finding.relation_org = relation_org
    finding.relation_text = relation_text
    finding.reviewed_by = actor if getattr(actor, "pk", None) else None
    finding.reviewed_at = timezone.now()
    finding.review_reason = reason
    try:
        with transaction.atomic():
            finding.save()
    except IntegrityError as exc:  # pragma: no cover - the partial unique index of pending findings
        raise ValidationError("该人员已有一条同渠道的待核实线索") from exc
    audit.record(actor=actor, action=A_FINDING_VERIFIED, obj=finding, before=before, after=audit.snapshot(finding),
                 source=source)
    changes = {
        "political_status": _STATUS_TO_POLITICAL[member_status],
        "party_org": relation_org,
        "party_org_text": relation_text,
        "is_mobile_member": is_mobile(employer=finding.employer, relation_org=relation_org,
                                      relation_text=relation_text),
        "employer": finding.employer,
    }
    if not person.phone and finding.declared_phone:
        changes["phone"] = finding.declared_phone
    people_services.person_update(actor=actor, person=person, source=source, **changes)
    rollup.refresh_for({finding.employer_id})
    return finding


@transaction.atomic
def finding_reject(*, actor, finding: Finding, reason: str, source: str = "web") -> Finding:
    finding = Finding.objects.select_for_update().select_related("employer__division").get(pk=finding.pk)
    _require_work_on(actor, finding.employer)
    if finding.status != Finding.Status.PENDING:
        raise ValidationError(f"该线索已处理({finding.get_status_display()})")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写核实不属实的原因"})
    if len(reason) > 500:
        raise ValidationError({"reason": "原因不能超过500个字"})
    before = audit.snapshot(finding)
    finding.status = Finding.Status.REJECTED
    finding.reviewed_by = actor if getattr(actor, "pk", None) else None
    finding.reviewed_at = timezone.now()
    finding.review_reason = reason
    finding.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    audit.record(actor=actor, action=A_FINDING_REJECTED, obj=finding, before=before, after=audit.snapshot(finding),
                 source=source)
    return finding


# --- the member registry -----------------------------------------------------------------------------------

@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _relation_orgs(division: Division, actor) -> dict[str, list[Organisation]]:
    qs = Organisation.objects.filter(kind__in=PARTY_KINDS, division__path__startswith=division.path)
    if actor is not None:
        qs = qs.visible_to(actor)
    by_name: dict[str, list[Organisation]] = {}
    for org in qs.select_related("division"):
        by_name.setdefault(org.name, []).append(org)
    return by_name


def member_records_import(*, actor, division: Division, file_name: str, data: bytes, source: str = "web",
                          progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import the registry file into ``division``: every row checked first; nothing written on any error.

    Records are keyed by the ID number: a known one is updated, a new one created.
    """
    result = ImportResult()
    try:
        rows, errors = parsing.check_rows(parsing.read_table(file_name, data))
    except parsing.MemberFileError as exc:
        result.errors = exc.errors
        return result
    result.rows = len(rows)
    orgs = _relation_orgs(division, actor)
    hashes = {r.row: keyed_hash(r.id_number) for r in rows if r.id_number}
    existing: dict[str, MemberRecord] = {}
    hash_list = list(hashes.values())
    for start in range(0, len(hash_list), 5000):
        for rec in MemberRecord.objects.filter(id_hash__in=hash_list[start:start + 5000]):
            existing[rec.id_hash] = rec
    visible = set()
    if actor is not None and existing:
        ids = [r.pk for r in existing.values()]
        for start in range(0, len(ids), 5000):
            visible |= set(MemberRecord.objects.visible_to(actor).filter(pk__in=ids[start:start + 5000])
                           .values_list("pk", flat=True))
    resolved: list[tuple[parsing.MemberRow, Organisation | None]] = []
    for r in rows:
        relation_org = None
        if r.relation:
            found = orgs.get(r.relation, [])
            if len(found) > 1:
                errors.append(parsing.error(r.row, "组织关系所在",
                                            f"“{r.relation}”对应多个党组织,请填写全称"))
            elif found:
                relation_org = found[0]
        rec = existing.get(hashes.get(r.row, ""))
        if rec is not None and actor is not None and rec.pk not in visible:
            errors.append(parsing.error(r.row, "身份证号", "该党员已登记在其他地区的党员信息库中,请联系上级组织部门"))
        resolved.append((r, relation_org))
    if errors:
        result.errors = sorted(errors, key=lambda e: (e["row"] or 0, parsing.COLUMNS.index(e["column"])
                                                      if e["column"] in parsing.COLUMNS else 9))
        return result

    with transaction.atomic():
        to_create: list[MemberRecord] = []
        for i, (r, relation_org) in enumerate(resolved, start=1):
            values = {"name": r.name, "status": r.status, "relation_org": relation_org,
                      "relation_text": "" if relation_org else r.relation, "joined_on": r.joined_on,
                      "division": division}
            rec = existing.get(hashes[r.row])
            if rec is None:
                to_create.append(MemberRecord(id_number=r.id_number, id_hash=hashes[r.row], **values))
            else:
                current = {"name": rec.name, "status": rec.status, "relation_org": rec.relation_org_id,
                           "relation_text": rec.relation_text, "joined_on": rec.joined_on,
                           "division": rec.division_id}
                wanted = {**values, "relation_org": relation_org.pk if relation_org else None,
                          "division": division.pk}
                if current == wanted:
                    result.unchanged += 1
                else:
                    before = audit.snapshot(rec)
                    for k, v in values.items():
                        setattr(rec, k, v)
                    rec.save()
                    audit.record(actor=actor, action=A_MEMBER_UPDATED, obj=rec, before=before,
                                 after=audit.snapshot(rec), source=source)
                    result.updated += 1
            if progress and i % 500 == 0:
                progress(i, len(resolved))
        for start in range(0, len(to_create), 2000):
            chunk = MemberRecord.objects.bulk_create(to_create[start:start + 2000])
            for rec in chunk:
                audit.record(actor=actor, action=A_MEMBER_CREATED, obj=rec, after=audit.snapshot(rec), source=source)
            result.created += len(chunk)
        audit.record(actor=actor, action=A_MEMBERS_IMPORTED, obj=division,
                     after={"file": file_name[:200], "rows": result.rows, "created": result.created,
                            "updated": result.updated, "unchanged": result.unchanged}, source=source)
        if progress:
            progress(len(resolved), len(resolved))
    return result


# --- 应建尽建 ----------------------------------------------------------------------------------------------

def formal_members(unit: Organisation) -> int:
    return Person.objects.filter(employer__path__startswith=unit.path, political_status=PoliticalStatus.MEMBER).count()


@transaction.atomic
def branch_found(*, actor, organisation: Organisation, source: str = "web") -> Organisation:
    """Found a Party branch at an enterprise or station with three or more formal members."""
    unit = Organisation.objects.select_for_update().select_related("division").get(pk=organisation.pk)
    if not _is_unit(unit):
        raise ValidationError("只能在平台企业或站点建立党支部")
    if Organisation.objects.filter(parent=unit, kind__in=PARTY_KINDS, is_active=True).exists():
        raise ValidationError(f"“{unit.name}”已建立党组织")
    n = formal_members(unit)
    if n < MIN_BRANCH_MEMBERS:
        raise ValidationError(f"“{unit.name}”正式党员 {n} 名,不足3名,不能单独建立党支部;"
                              "可纳入联合党支部或选派党建指导员")
    branch = org_services.organisation_create(actor=actor, source=source, name=f"{unit.name}党支部",
                                              kind=Kind.BRANCH, parent=unit, division=unit.division,
                                              industry=unit.industry)
    audit.record(actor=actor, action=A_BRANCH_FOUNDED, obj=unit,
                 after={"branch": str(branch), "formal_members": n}, source=source)
    rollup.refresh_for({unit.pk})
    return branch


@transaction.atomic
def joint_branch_attach(*, actor, organisation: Organisation, joint_branch: Organisation | None = None,
                        new_name: str = "", new_parent: Organisation | None = None,
                        source: str = "web") -> JointBranchLink:
    """Attach a unit to a joint branch (联合党支部), an existing one or one created on the spot."""
    unit = Organisation.objects.select_for_update().select_related("division").get(pk=organisation.pk)
    if not _is_unit(unit):
        raise ValidationError("只能将平台企业或站点纳入联合党支部")
    link = JointBranchLink.objects.filter(organisation=unit).select_related("joint_branch").first()
    if link is not None:
        raise ValidationError(f"“{unit.name}”已纳入“{link.joint_branch.name}”")
    if joint_branch is None:
        new_name = (new_name or "").strip()
        errors = {}
        if not new_name:
            errors["new_name"] = "请选择已有的联合党支部,或填写新建联合党支部的名称"
        if new_parent is None:
            errors["new_parent"] = "请选择新建联合党支部的上级党组织"
        elif new_parent.kind not in PARENT_KINDS:
            errors["new_parent"] = "上级党组织应为党委(党工委)或党总支"
        if errors:
            raise ValidationError(errors)
        division = unit.division if unit.division.path.startswith(new_parent.division.path) else new_parent.division
        joint_branch = org_services.organisation_create(actor=actor, source=source, name=new_name,
                                                        kind=Kind.JOINT_BRANCH, parent=new_parent,
                                                        division=division)
    elif joint_branch.kind != Kind.JOINT_BRANCH or not joint_branch.is_active:
        raise ValidationError({"joint_branch": "请选择一个有效的联合党支部"})
    link = JointBranchLink.objects.create(organisation=unit, joint_branch=joint_branch, since=today())
    audit.record(actor=actor, action=A_JOINT_ATTACHED, obj=link,
                 after={"organisation": str(unit), "joint_branch": str(joint_branch), "since": link.since.isoformat()},
                 source=source)
    rollup.refresh_for({unit.pk})
    return link


def coverage_of(organisation: Organisation) -> UnitCoverage | None:
    return UnitCoverage.objects.filter(organisation=organisation).first()
