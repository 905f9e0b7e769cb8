"""The five-star campaign's API (五星支部创建): standards, creation plans and self-assessments, review and
evaluation, awarding with publicity and withdrawal, supervision plans with their unannounced visits, findings
and the progress board, post-evaluation, and the project library.

Thin over :mod:`.services` and :mod:`.selectors`. A refusal answers like the rest of the API: 400 with the
service's Chinese message under the request's field name, 403 for a role or person who may not take the
step, 404 for an object the caller may not see. Planned visits are unannounced (四不两直): the per-unit
assignment table and the visits themselves are shown only to the organiser and the groups' members.
"""

import datetime as dt
from contextlib import contextmanager
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AfterValidator

from ningju.accounts.models import User
from ningju.api.auth import require_module
from ningju.api.errors import referenced_or_400
from ningju.api.pagination import PagePagination
from ningju.api.params import ID_MAX, IdFilter
from ningju.cases.states import Status as CaseStatus
from ningju.core import roles, uploads
from ningju.core.scoping import get_visible_or_404
from ningju.geo.models import Division
from ningju.orgs.models import Organisation

from . import selectors, services
from .models import (
    Aspect,
    Assessment,
    Award,
    Evidence,
    Finding,
    Group,
    Plan,
    PostEvaluation,
    Project,
    StandardItem,
    Star,
    SupervisionPlan,
    UnitKind,
    Visit,
)
from .services.creation import MAX_EVIDENCE
from .services.supervision import FindingSpec, GroupSpec, Verification, open_findings

router = Router(tags=["五星支部创建"])

YEAR_MIN, YEAR_MAX = 2000, 2100
FIRST_DAY, LAST_DAY = dt.date(YEAR_MIN, 1, 1), dt.date(YEAR_MAX, 12, 31)

# Services name model fields; requests name the references as below.
_FIELDS = {"branch": "branch_id", "targets": "target_star_ids", "item": "item_id", "star": "star_id",
           "district": "district_code", "unit": "unit_id", "__all__": ""}


def _in_range(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"日期应在{YEAR_MIN}年至{YEAR_MAX}年之间")
    return day


Day = Annotated[dt.date, AfterValidator(_in_range)]
PositiveId = Annotated[int, Field(ge=1, le=ID_MAX)]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
YearFilter = Annotated[int | None, Query(None, ge=YEAR_MIN, le=YEAR_MAX)]

# Choices as inline enums: several models name their choices "Status" or "Kind", and OpenAPI components
# are named after the class, so enum classes of different apps would overwrite each other in the document.
AspectCode = Literal[tuple(Aspect.values)]
UnitKindCode = Literal[tuple(UnitKind.values)]
ItemMode = Literal[tuple(StandardItem.Mode.values)]
PlanStatus = Literal[tuple(Plan.Status.values)]
AssessmentStatus = Literal[tuple(Assessment.Status.values)]
AwardStatus = Literal[tuple(Award.Status.values)]
VisitStatus = Literal[tuple(Visit.Status.values)]
PostEvaluationResult = Literal[tuple(PostEvaluation.Result.values)]
ProjectKind = Literal[tuple(Project.Kind.values)]
ProjectStatus = Literal[tuple(Project.Status.values)]


@contextmanager
def _refusals():
    """The services' refusals with the field names the requests use."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({_FIELDS.get(k, k): v for k, v in exc.message_dict.items()}) from None
        raise


# --- schemas: standards -------------------------------------------------------------------------------

class StarsItemOut(Schema):
    id: int
    order: int
    text: str
    mode: ItemMode
    mode_label: str
    max_score: int
    pass_score: int
    required: bool = Field(..., description="必达项:未达标不得评星")
    evidence: str = Field(..., description="佐证材料要求;自评达标时须上传")
    min_files: int = Field(..., description="自评达标时至少上传的佐证文件数(evidence 为空时不要求)")

    @staticmethod
    def resolve_mode_label(obj):
        return obj.get_mode_display()


class StarsStarOut(Schema):
    id: int
    code: str
    name: str
    order: int
    description: str
    pass_score: int = Field(..., description="计分项目得分合计的达星分数线,0为不设")
    items: list[StarsItemOut]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class StarsStandardOut(Schema):
    id: int
    year: int
    unit_kind: UnitKindCode
    unit_kind_label: str
    name: str
    published: bool
    stars: list[StarsStarOut]

    @staticmethod
    def resolve_unit_kind_label(obj):
        return obj.get_unit_kind_display()

    @staticmethod
    def resolve_stars(obj):
        return list(obj.stars.all())


class StarsStarRef(Schema):
    id: int
    code: str
    name: str


# --- schemas: creation --------------------------------------------------------------------------------

class StarsEvidenceOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    created_at: dt.datetime
    url: str = Field(..., description="下载地址(需同样的认证,按范围校验)")

    @staticmethod
    def resolve_url(obj):
        return reverse("api:stars_evidence", kwargs={"evidence_id": obj.pk})


class StarsAssessmentOut(Schema):
    id: int
    plan_id: int
    branch_name: str
    item_id: int
    item_text: str
    item_mode: ItemMode
    item_max_score: int
    star_id: int
    star_name: str
    claim_met: bool
    claim_score: int | None
    note: str
    status: AssessmentStatus
    status_label: str
    score: int | None = Field(..., description="区县评定得分")
    town_comment: str
    town_at: dt.datetime | None
    district_comment: str
    district_at: dt.datetime | None
    submitted_at: dt.datetime
    evidence: list[StarsEvidenceOut]

    @staticmethod
    def resolve_branch_name(obj):
        return obj.plan.branch.name

    @staticmethod
    def resolve_item_text(obj):
        return obj.item.text

    @staticmethod
    def resolve_item_mode(obj):
        return obj.item.mode

    @staticmethod
    def resolve_item_max_score(obj):
        return obj.item.max_score

    @staticmethod
    def resolve_star_id(obj):
        return obj.item.star_id

    @staticmethod
    def resolve_star_name(obj):
        return obj.item.star.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_evidence(obj):
        return list(obj.evidence.all())


class StarsPlanOut(Schema):
    id: int
    branch_id: int
    branch_name: str
    year: int
    standard_id: int
    standard_name: str
    targets: list[StarsStarRef] = Field(..., description="目标星")
    measures: str
    status: PlanStatus
    status_label: str
    submitted_at: dt.datetime | None

    @staticmethod
    def resolve_branch_name(obj):
        return obj.branch.name

    @staticmethod
    def resolve_standard_name(obj):
        return obj.standard.name

    @staticmethod
    def resolve_targets(obj):
        return list(obj.targets.all())

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class StarsPlanDetailOut(StarsPlanOut):
    assessments: list[StarsAssessmentOut]

    @staticmethod
    def resolve_assessments(obj):
        return list(obj.assessments.select_related("plan__branch", "item__star").prefetch_related("evidence")
                    .order_by("item__star__order", "item__order", "pk"))


class StarsPlanIn(Schema):
    branch_id: PositiveId | None = Field(None, description="村(社区)党组织;缺省为调用者所在组织")
    year: Year
    target_star_ids: list[PositiveId] = Field(..., min_length=1, max_length=10, description="目标星")
    measures: str = Field(..., min_length=1, max_length=3000, description="创建措施")
    submit: bool = Field(False, description="true:提交计划(提交后才能逐项自评)")


class StarsAssessmentIn(Schema):
    item_id: PositiveId = Field(..., description="创建标准条目")
    claim_met: bool = Field(..., description="自评是否达标")
    claim_score: int | None = Field(None, ge=0, le=1000, description="计分项目的自评得分")
    note: str = Field("", max_length=2000)


class StarsReviewIn(Schema):
    approve: bool = Field(..., description="true:审核通过报区县评定;false:退回(须写明原因)")
    comment: str = Field("", max_length=500)


class StarsEvaluationIn(Schema):
    met: bool = Field(..., description="达标制条目是否达标(计分制条目按得分与达标分比较)")
    score: int | None = Field(None, ge=0, le=1000, description="计分制条目的评定得分")
    comment: str = Field("", max_length=500)


# --- schemas: awards ----------------------------------------------------------------------------------

class StarsAwardOut(Schema):
    id: int
    branch_id: int
    branch_name: str
    plan_id: int
    star_id: int
    star_name: str
    year: int
    status: AwardStatus
    status_label: str
    awarded_at: dt.datetime
    publicity_until: dt.datetime = Field(..., description="公示截止;期满且无待处理异议即授星")
    objections: str
    objection_open: bool
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str

    @staticmethod
    def resolve_branch_name(obj):
        return obj.branch.name

    @staticmethod
    def resolve_star_name(obj):
        return obj.star.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class StarsAwardIn(Schema):
    star_id: PositiveId


class StarsObjectionIn(Schema):
    text: str = Field(..., min_length=1, max_length=500)


class StarsObjectionDecisionIn(Schema):
    uphold_award: bool = Field(..., description="true:维持评定;false:异议成立,摘星")
    comment: str = Field(..., min_length=1, max_length=500)


class StarsWithdrawalIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


# --- schemas: supervision -----------------------------------------------------------------------------

class StarsUserRef(Schema):
    id: int
    name: str


class StarsGroupOut(Schema):
    id: int
    name: str
    organisation_id: int
    organisation_name: str
    leader_id: int
    leader_name: str
    members: list[StarsUserRef]

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_leader_name(obj):
        return obj.leader.name

    @staticmethod
    def resolve_members(obj):
        return sorted(obj.members.all(), key=lambda u: u.pk)


class StarsRoundOut(Schema):
    number: int
    starts_on: dt.date
    ends_on: dt.date


class StarsSupervisionPlanOut(Schema):
    id: int
    name: str
    year: int
    district_code: str
    district_name: str
    organiser_id: int
    organiser_name: str
    starts_on: dt.date
    ends_on: dt.date
    rectify_workdays: int = Field(..., description="整改期限(工作日)")

    @staticmethod
    def resolve_district_code(obj):
        return obj.district.code

    @staticmethod
    def resolve_district_name(obj):
        return obj.district.name

    @staticmethod
    def resolve_organiser_name(obj):
        return obj.organiser.name


class StarsProgressOut(Schema):
    found: int = Field(..., description="发现问题")
    rectified: int = Field(..., description="已整改(已答复待核验或已核验)")
    verified: int = Field(..., description="再督导核验通过")
    open: int = Field(..., description="未整改")
    rate: float | None = Field(..., description="核验通过率(%)")


class StarsVisitCountOut(Schema):
    round_number: int
    group_name: str
    planned: int
    done: int


class StarsAssignmentOut(Schema):
    visit_id: int
    round_number: int
    group_id: int
    group_name: str
    unit_id: int
    unit_name: str
    status: VisitStatus
    visited_at: dt.datetime | None


class StarsSupervisionPlanDetailOut(StarsSupervisionPlanOut):
    groups: list[StarsGroupOut] = Field(..., alias="groups_shown")
    rounds: list[StarsRoundOut] = Field(..., alias="rounds_shown")
    visits: list[StarsVisitCountOut] = Field(..., alias="visit_counts",
                                        description="各轮次各组督导数与已完成数(按调用者可见范围)")
    findings: StarsProgressOut = Field(..., alias="finding_totals", description="发现问题的整改合计")
    post_evaluations: int = Field(..., alias="post_evaluation_count", description="已后评估的村(社区)数")
    assignments: list[StarsAssignmentOut] | None = Field(
        ..., description="逐村(社区)的督导安排;仅组织单位和督导组成员可见(成员只见本组),其他人为空")


class StarsGroupIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    organisation_id: PositiveId = Field(..., description="督导组(组织)")
    leader_id: PositiveId = Field(..., description="组长账号")
    member_ids: list[PositiveId] = Field([], max_length=50, description="成员账号(组长自动为成员)")


class StarsRoundIn(Schema):
    starts_on: Day
    ends_on: Day


class StarsSupervisionPlanIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    year: Year
    district_code: str = Field(..., min_length=1, max_length=15, description="区县区划代码")
    starts_on: Day
    ends_on: Day
    groups: list[StarsGroupIn] = Field(..., min_length=1, max_length=20)
    rounds: list[StarsRoundIn] = Field(..., min_length=1, max_length=12)
    rectify_workdays: int = Field(10, ge=1, le=60, description="整改期限(工作日)")


class StarsBoardRowOut(StarsProgressOut):
    label: str


class StarsBoardOut(Schema):
    by: str
    rows: list[StarsBoardRowOut]
    totals: StarsProgressOut


class StarsFindingOut(Schema):
    id: int
    plan_id: int
    round_number: int
    visit_id: int
    group_name: str
    unit_id: int
    unit_name: str
    aspect: AspectCode
    aspect_label: str
    text: str
    case_id: int = Field(..., description="整改事项(闭环事项)")
    case_number: str
    case_status: str
    case_status_label: str
    reply_due: dt.datetime | None = Field(..., description="整改答复期限")
    verified_in_id: int | None = Field(..., description="核验通过的再督导")
    created_at: dt.datetime

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name

    @staticmethod
    def resolve_aspect_label(obj):
        return obj.get_aspect_display()

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number

    @staticmethod
    def resolve_case_status_label(obj):
        return CaseStatus(obj.case_status).label if obj.case_status in CaseStatus.values else obj.case_status

    @staticmethod
    def resolve_reply_due(obj):
        return obj.case.reply_due


class StarsCheckOut(Schema):
    aspect: AspectCode
    aspect_label: str
    ok: bool
    note: str

    @staticmethod
    def resolve_aspect_label(obj):
        return obj.get_aspect_display()


class StarsVisitOut(Schema):
    id: int
    plan_id: int
    plan_name: str
    round_number: int
    round_starts_on: dt.date
    round_ends_on: dt.date
    group_id: int
    group_name: str
    unit_id: int
    unit_name: str
    status: VisitStatus
    status_label: str
    visited_at: dt.datetime | None
    notes: str

    @staticmethod
    def resolve_plan_id(obj):
        return obj.round.plan_id

    @staticmethod
    def resolve_plan_name(obj):
        return obj.round.plan.name

    @staticmethod
    def resolve_round_number(obj):
        return obj.round.number

    @staticmethod
    def resolve_round_starts_on(obj):
        return obj.round.starts_on

    @staticmethod
    def resolve_round_ends_on(obj):
        return obj.round.ends_on

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class StarsVisitDetailOut(StarsVisitOut):
    checks: list[StarsCheckOut]
    findings: list[StarsFindingOut] = Field(..., description="本次督导发现的问题")
    to_verify: list[StarsFindingOut] = Field(
        ..., description="该村(社区)本计划中尚未核验通过的问题;已答复整改情况(case_status=replied)的可在记录时核验")

    @staticmethod
    def resolve_checks(obj):
        return list(obj.checks.all())

    @staticmethod
    def resolve_findings(obj):
        return list(obj.findings.select_related("case", "unit", "group").order_by("pk"))

    @staticmethod
    def resolve_to_verify(obj):
        if obj.status == Visit.Status.DONE:
            return []
        return list(Finding.objects.filter(pk__in=[f.pk for f in open_findings(obj.round.plan, obj.unit)])
                    .select_related("case", "unit", "group").order_by("pk"))


class StarsCheckIn(Schema):
    aspect: AspectCode
    ok: bool = Field(..., description="该方面无问题")
    note: str = Field("", max_length=300)


class StarsFindingIn(Schema):
    aspect: AspectCode = Field(..., description="所属方面")
    text: str = Field(..., min_length=1, max_length=500)


class StarsVerificationIn(Schema):
    finding_id: PositiveId
    done: bool = Field(..., description="true:整改到位,核验通过;false:未整改到位,退回重新整改")
    comment: str = Field("", max_length=500)


class StarsVisitRecordIn(Schema):
    checks: list[StarsCheckIn] = Field(..., min_length=1, max_length=len(Aspect),
                                  description="七个方面逐项检查:档案资料、创建氛围、创建计划、清洁卫生、教育培训、工作成效、规范标牌")
    findings: list[StarsFindingIn] = Field([], max_length=50, description="发现的问题,每个生成一件整改事项")
    verifications: list[StarsVerificationIn] = Field([], max_length=100, description="对该村(社区)此前问题的再督导核验")
    notes: str = Field("", max_length=3000)


class StarsPostEvaluationOut(Schema):
    id: int
    plan_id: int
    unit_id: int
    unit_name: str
    result: PostEvaluationResult
    result_label: str
    comment: str
    evaluated_at: dt.datetime

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name

    @staticmethod
    def resolve_result_label(obj):
        return obj.get_result_display()


class StarsPostEvaluationIn(Schema):
    unit_id: PositiveId = Field(..., description="村(社区)党组织")
    result: PostEvaluationResult
    comment: str = Field(..., min_length=1, max_length=2000)


# --- schemas: projects --------------------------------------------------------------------------------

class StarsProjectUpdateOut(Schema):
    progress: int
    note: str
    at: dt.datetime


class StarsProjectOut(Schema):
    id: int
    branch_id: int
    branch_name: str
    star_id: int
    star_name: str
    kind: ProjectKind
    kind_label: str
    name: str
    description: str
    budget: float | None = Field(..., description="预算(万元)")
    planned_end: dt.date
    status: ProjectStatus
    status_label: str
    progress: int = Field(..., description="进度(%)")
    decision_comment: str
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    proposed_at: dt.datetime

    @staticmethod
    def resolve_branch_name(obj):
        return obj.branch.name

    @staticmethod
    def resolve_star_name(obj):
        return obj.star.name

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_budget(obj):
        return float(obj.budget) if obj.budget is not None else None

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class StarsProjectDetailOut(StarsProjectOut):
    updates: list[StarsProjectUpdateOut]

    @staticmethod
    def resolve_updates(obj):
        return list(obj.updates.all())


class StarsProjectIn(Schema):
    branch_id: PositiveId | None = Field(None, description="村(社区)党组织;缺省为调用者所在组织")
    star_id: PositiveId = Field(..., description="对应星")
    kind: ProjectKind = "star"
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field(..., min_length=1, max_length=3000)
    budget: float | None = Field(None, ge=0, le=99999999, allow_inf_nan=False, description="预算(万元)")
    planned_end: Day = Field(..., description="计划完成日期,不早于今天")


class StarsDecisionIn(Schema):
    approve: bool
    comment: str = Field("", max_length=300, description="不予立项须写明原因")


class StarsProgressIn(Schema):
    progress: int = Field(..., ge=0, le=100, description="进度(%),不能倒退;100即完成")
    note: str = Field(..., min_length=1, max_length=500)


# --- helpers ------------------------------------------------------------------------------------------

def _branch(request, branch_id: int | None) -> Organisation:
    if branch_id is None:
        branch = request.auth.organisation
        if branch is None:
            raise ValidationError({"branch_id": "请指定村(社区)党组织"})
        return branch
    return referenced_or_400(Organisation, request.auth, "branch_id", "村(社区)党组织", pk=branch_id)


def _star(request, star_id: int) -> Star:
    return referenced_or_400(Star, request.auth, "star_id", "星", pk=star_id)


def _evidence(files) -> list[uploads.CleanFile]:
    files = list(files or ())
    if len(files) > MAX_EVIDENCE:
        raise ValidationError({"files": f"每个条目最多{MAX_EVIDENCE}个佐证文件"})
    cleaned = []
    for f in files:
        try:
            cleaned.append(uploads.clean_upload(f, allow_documents=True, label="佐证材料"))
        except ValidationError as exc:
            raise ValidationError({"files": exc.messages}) from None
    return cleaned


def _assessment_get(request, assessment_id: int) -> Assessment:
    return get_visible_or_404(Assessment.objects.select_related("plan__branch", "item__star"), request.auth,
                              pk=assessment_id)


def _is_organiser(user, plan: SupervisionPlan) -> bool:
    return user.is_superuser or (user.organisation_id is not None and user.organisation_id == plan.organiser_id)


def _supervision_plans(user):
    """The plans the caller may see (the organiser's subtree) and those whose group the caller belongs to."""
    return (SupervisionPlan.objects.filter(Q(pk__in=selectors.supervision_plans(user=user).values("pk"))
                                           | Q(pk__in=Group.objects.filter(members=user).values("plan_id")))
            .select_related("district", "organiser"))


def _supervision_plan_get(request, plan_id: int) -> SupervisionPlan:
    require_module(request, roles.M_STARS)
    return _one_or_404(_supervision_plans(request.auth), plan_id)


def _one_or_404(qs, pk: int):
    """One object of a queryset already limited to what the caller may see; the same 404 for missing and hidden."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404("对象不存在或无权查看")
    return obj


def _assignments(user, plan: SupervisionPlan):
    """The per-unit table: all of it for the organiser, a member's own groups for a member, else nothing."""
    visits = Visit.objects.filter(round__plan=plan).select_related("round", "group", "unit")
    if not _is_organiser(user, plan):
        if not plan.groups.filter(members=user).exists():
            return None
        visits = visits.filter(group__members=user)
    return [{"visit_id": v.pk, "round_number": v.round.number, "group_id": v.group_id, "group_name": v.group.name,
             "unit_id": v.unit_id, "unit_name": v.unit.name, "status": v.status, "visited_at": v.visited_at}
            for v in visits.order_by("round__number", "group__order", "unit__division__code", "pk")]


def _visit_get(request, visit_id: int) -> Visit:
    """A visit of a plan the caller organises or takes part in (a member of any of its groups); 404 otherwise,
    alike for a visit that does not exist and one of another plan."""
    user = request.auth
    qs = Visit.objects.select_related("round__plan", "group", "unit")
    if not user.is_superuser:
        plans = Q(round__plan__in=Group.objects.filter(members=user).values("plan_id"))
        if user.organisation_id is not None:
            plans |= Q(round__plan__organiser_id=user.organisation_id)
        qs = qs.filter(plans)
    return _one_or_404(qs, visit_id)


def _progress(p: selectors.Progress) -> dict:
    return {"found": p.found, "rectified": p.rectified, "verified": p.verified, "open": p.open, "rate": p.rate}


def _project_get(request, project_id: int) -> Project:
    return get_visible_or_404(Project.objects.select_related("branch", "star"), request.auth, pk=project_id)


# --- standards ----------------------------------------------------------------------------------------

@router.get("/stars/standards", response=list[StarsStandardOut], summary="创建标准(含星和条目)",
            description="按年度和适用对象(行政村/城市社区);未发布的标准只有组织部门可见")
@paginate(PagePagination)
def list_standards(request, year: YearFilter = None, unit_kind: UnitKindCode | None = None):
    require_module(request, roles.M_STARS)
    qs = selectors.standards(year=year)
    if unit_kind:
        qs = qs.filter(unit_kind=unit_kind)
    if not request.auth.can(roles.M_STARS_MANAGE):
        qs = qs.filter(published=True)
    return qs.order_by("-year", "unit_kind")


# --- creation plans and self-assessment ---------------------------------------------------------------

@router.get("/stars/plans", response=list[StarsPlanOut], summary="创建计划列表")
@paginate(PagePagination)
def list_plans(request, year: YearFilter = None):
    require_module(request, roles.M_STARS)
    return selectors.plans(user=request.auth, year=year).prefetch_related("targets").order_by("-year", "org_path")


@router.get("/stars/plans/{int:plan_id}", response=StarsPlanDetailOut, summary="创建计划详情(含逐项自评)")
def get_plan(request, plan_id: int):
    require_module(request, roles.M_STARS)
    return selectors.plan_get(user=request.auth, pk=plan_id)


@router.post("/stars/plans", response={201: StarsPlanDetailOut, 200: StarsPlanDetailOut}, summary="填写或提交创建计划",
             description="每个支部每年一份:首次填写为201,再次保存为200。submit=true 提交计划,提交后才能逐项自评。"
                         "由本支部书记或组织部门填写。")
def save_plan(request, payload: StarsPlanIn):
    require_module(request, roles.M_STARS)
    branch = _branch(request, payload.branch_id)
    ids = set(payload.target_star_ids)
    targets = list(Star.objects.filter(pk__in=ids))
    if len(targets) != len(ids):
        raise ValidationError({"target_star_ids": "目标星不存在"})
    existed = Plan.objects.filter(branch=branch, year=payload.year).exists()
    with _refusals():
        plan = services.plan_save(actor=request.auth, branch=branch, year=payload.year, targets=targets,
                                  measures=payload.measures, submit=payload.submit)
    return Status(200 if existed else 201, selectors.plan_get(user=request.auth, pk=plan.pk))


@router.post("/stars/plans/{int:plan_id}/assessments", response={201: StarsAssessmentOut, 200: StarsAssessmentOut},
             summary="逐项自评(multipart,含佐证材料)",
             description=f"表单字段 item_id、claim_met、claim_score(计分项目)、note,另加 files:最多{MAX_EVIDENCE}个"
                         "JPEG、PNG、WebP 图片或 PDF(按文件内容判断,图片去除EXIF等元数据)。自评达标的条目须上传该条目"
                         "要求的佐证材料。首次自评为201;被乡镇退回后重新提交为200。")
def submit_assessment(request, plan_id: int, payload: Form[StarsAssessmentIn], files: File[list[UploadedFile]] = None):
    require_module(request, roles.M_STARS)
    plan = selectors.plan_get(user=request.auth, pk=plan_id)
    item = referenced_or_400(StandardItem.objects.select_related("star"), request.auth, "item_id", "创建标准条目",
                             pk=payload.item_id)
    cleaned = _evidence(files)
    existed = Assessment.objects.filter(plan=plan, item=item).exists()
    with _refusals():
        a = services.assessment_submit(actor=request.auth, plan=plan, item=item, claim_met=payload.claim_met,
                                       claim_score=payload.claim_score, note=payload.note, files=cleaned)
    return Status(200 if existed else 201, _assessment_get(request, a.pk))


@router.get("/stars/assessments", response=list[StarsAssessmentOut], summary="待审核/待评定的自评",
            description="queue=review:待乡镇审核(乡镇党委);queue=evaluate:待区县评定(组织部门)")
@paginate(PagePagination)
def list_assessments(request, queue: Literal["review", "evaluate"]):
    if queue == "review":
        require_module(request, roles.M_STARS_REVIEW)
        qs = selectors.assessments_to_review(user=request.auth)
    else:
        require_module(request, roles.M_STARS_MANAGE)
        qs = selectors.assessments_to_evaluate(user=request.auth)
    return qs.prefetch_related("evidence")


@router.post("/stars/assessments/{int:assessment_id}/review", response=StarsAssessmentOut, summary="乡镇审核自评",
             description="通过则报区县评定;退回须写明原因,支部修改后重新提交")
def review_assessment(request, assessment_id: int, payload: StarsReviewIn):
    require_module(request, roles.M_STARS_REVIEW)
    a = _assessment_get(request, assessment_id)
    with _refusals():
        services.assessment_review(actor=request.auth, assessment=a, approve=payload.approve, comment=payload.comment)
    return _assessment_get(request, a.pk)


@router.post("/stars/assessments/{int:assessment_id}/evaluation", response=StarsAssessmentOut, summary="区县评定自评",
             description="达标制条目按 met;计分制条目须给 score,不低于达标分即达标")
def evaluate_assessment(request, assessment_id: int, payload: StarsEvaluationIn):
    require_module(request, roles.M_STARS_MANAGE)
    a = _assessment_get(request, assessment_id)
    with _refusals():
        services.assessment_evaluate(actor=request.auth, assessment=a, met=payload.met, score=payload.score,
                                     comment=payload.comment)
    return _assessment_get(request, a.pk)


@router.get("/stars/evidence/{int:evidence_id}", summary="佐证材料文件", url_name="stars_evidence",
            openapi_extra={"responses": {"200": {"description": "佐证材料文件", "content": {
                "image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {}}}}})
def get_evidence(request, evidence_id: int):
    require_module(request, roles.M_STARS)
    ev = get_visible_or_404(Evidence, request.auth, pk=evidence_id)
    return uploads.file_response(ev.file, filename=ev.original_name or f"evidence-{ev.pk}")


# --- awards -------------------------------------------------------------------------------------------

@router.post("/stars/plans/{int:plan_id}/awards", response={201: StarsAwardOut}, summary="评定星级(进入公示)",
             description="该星的必达条目须全部评定达标、计分合计不低于达星分数线;否则 400,"
                         "error.fields 中 star_id 的各条消息列出未达标的条目")
def award_star(request, plan_id: int, payload: StarsAwardIn):
    require_module(request, roles.M_STARS_MANAGE)
    plan = selectors.plan_get(user=request.auth, pk=plan_id)
    star = _star(request, payload.star_id)
    with _refusals():
        award = services.award_star(actor=request.auth, plan=plan, star=star)
    return Status(201, award)


@router.get("/stars/awards", response=list[StarsAwardOut], summary="星级评定(含公示、授星、摘星)")
@paginate(PagePagination)
def list_awards(request, year: YearFilter = None, branch_id: IdFilter = None):
    require_module(request, roles.M_STARS)
    qs = selectors.awards(user=request.auth, year=year)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    return qs.order_by("-year", "org_path", "star__order", "pk")


def _award_get(request, award_id: int) -> Award:
    return get_visible_or_404(Award.objects.select_related("branch", "star"), request.auth, pk=award_id)


@router.post("/stars/awards/{int:award_id}/objections", response=StarsAwardOut, summary="公示期异议",
             description="公示期内可见该评定的人均可提出;有待处理的异议时,公示期满也不授星,待区县处理")
def object_to_award(request, award_id: int, payload: StarsObjectionIn):
    require_module(request, roles.M_STARS)
    award = _award_get(request, award_id)
    with _refusals():
        services.award_object(actor=request.auth, award=award, text=payload.text)
    return _award_get(request, award_id)


@router.post("/stars/awards/{int:award_id}/objection-decision", response=StarsAwardOut, summary="处理公示异议",
             description="uphold_award=true 维持评定(公示期满授星);false 异议成立,摘星")
def decide_objection(request, award_id: int, payload: StarsObjectionDecisionIn):
    require_module(request, roles.M_STARS_MANAGE)
    award = _award_get(request, award_id)
    with _refusals():
        services.award_decide_objection(actor=request.auth, award=award, uphold_award=payload.uphold_award,
                                        comment=payload.comment)
    return _award_get(request, award_id)


@router.post("/stars/awards/{int:award_id}/withdrawal", response=StarsAwardOut, summary="摘星",
             description="须写明原因,记入该支部的星级历史")
def withdraw_award(request, award_id: int, payload: StarsWithdrawalIn):
    require_module(request, roles.M_STARS_MANAGE)
    award = _award_get(request, award_id)
    with _refusals():
        services.award_withdraw(actor=request.auth, award=award, reason=payload.reason)
    return _award_get(request, award_id)


# --- supervision --------------------------------------------------------------------------------------

@router.get("/stars/supervision-plans", response=list[StarsSupervisionPlanOut], summary="督导计划列表",
            description="组织单位及其上级,以及各督导组成员可见")
@paginate(PagePagination)
def list_supervision_plans(request):
    require_module(request, roles.M_STARS)
    return _supervision_plans(request.auth).order_by("-starts_on", "-pk")


@router.get("/stars/supervision-plans/{int:plan_id}", response=StarsSupervisionPlanDetailOut, summary="督导计划详情",
            description="督导组、轮次、督导进度和问题整改合计。逐村(社区)的督导安排不公开(四不两直):"
                        "只有组织单位和督导组成员看到 assignments")
def get_supervision_plan(request, plan_id: int):
    return _plan_detail(request.auth, _supervision_plan_get(request, plan_id))


def _plan_detail(user, plan: SupervisionPlan) -> SupervisionPlan:
    """The plan with what its detail shows, each part read in the caller's scope."""
    plan.groups_shown = list(plan.groups.select_related("organisation", "leader").prefetch_related("members"))
    plan.rounds_shown = list(plan.rounds.all())
    plan.visit_counts = [{"round_number": r["round__number"], "group_name": r["group__name"], "planned": r["planned"],
                          "done": r["done"]} for r in selectors.visit_progress(user=user, plan=plan)]
    plan.finding_totals = _progress(selectors.totals(user=user, plan=plan))
    plan.post_evaluation_count = selectors.post_evaluations(user=user, plan=plan).count()
    plan.assignments = _assignments(user, plan)
    return plan


@router.post("/stars/supervision-plans", response={201: StarsSupervisionPlanDetailOut}, summary="制定督导计划",
             description="区县组织部门为本区县的村(社区)制定计划:督导组和轮次,每轮每个村(社区)均衡分配给一个组,"
                         "相邻两轮不由同一组督导。同一区县的计划时段不能重叠。")
def create_supervision_plan(request, payload: StarsSupervisionPlanIn):
    require_module(request, roles.M_STARS_MANAGE)
    user = request.auth
    if user.organisation_id is None:
        raise ValidationError("当前账号没有所属组织,不能作为督导计划的组织单位")
    district = Division.objects.filter(code=payload.district_code).first()
    if district is None:
        raise ValidationError({"district_code": "区县不存在"})
    names = [g.name.strip() for g in payload.groups]
    if not all(names):
        raise ValidationError({"groups": "请填写督导组名称"})
    if len(set(names)) != len(names):
        raise ValidationError({"groups": "督导组名称不能重复"})
    groups = []
    for i, g in enumerate(payload.groups):
        org = referenced_or_400(Organisation, user, f"groups.{i}.organisation_id", "督导组", pk=g.organisation_id)
        leader = referenced_or_400(User, user, f"groups.{i}.leader_id", "组长", pk=g.leader_id)
        members = [referenced_or_400(User, user, f"groups.{i}.member_ids", "成员", pk=pk)
                   for pk in dict.fromkeys(g.member_ids)]
        groups.append(GroupSpec(name=g.name.strip(), organisation=org, leader=leader, members=members))
    with _refusals():
        plan = services.supervision_plan_create(
            actor=user, name=payload.name, year=payload.year, district=district, starts_on=payload.starts_on,
            ends_on=payload.ends_on, groups=groups, rounds=[(r.starts_on, r.ends_on) for r in payload.rounds],
            rectify_workdays=payload.rectify_workdays)
    return Status(201, _plan_detail(user, _supervision_plans(user).get(pk=plan.pk)))


@router.get("/stars/supervision-plans/{int:plan_id}/board", response=StarsBoardOut, summary="整改进度看板",
            description="发现问题、已整改、核验通过,按轮次(round)、督导组(group)、方面(aspect)或村(社区)(unit)汇总")
def get_board(request, plan_id: int, by: Literal["round", "group", "aspect", "unit"] = "round"):
    plan = _supervision_plan_get(request, plan_id)
    rows = selectors.board(user=request.auth, plan=plan, by=by)
    return {"by": by, "rows": [{"label": label, **_progress(p)} for label, p in rows],
            "totals": _progress(selectors.totals(user=request.auth, plan=plan))}


@router.post("/stars/supervision-plans/{int:plan_id}/post-evaluations", response={201: StarsPostEvaluationOut},
             summary="后评估", description="该村(社区)在本计划中发现的问题全部整改并核验通过后进行")
def create_post_evaluation(request, plan_id: int, payload: StarsPostEvaluationIn):
    require_module(request, roles.M_STARS_MANAGE)
    plan = _supervision_plan_get(request, plan_id)
    unit = referenced_or_400(Organisation, request.auth, "unit_id", "村(社区)党组织", pk=payload.unit_id)
    with _refusals():
        pe = services.post_evaluate(actor=request.auth, plan=plan, unit=unit, result=payload.result,
                                    comment=payload.comment)
    return Status(201, pe)


@router.get("/stars/findings", response=list[StarsFindingOut], summary="督导发现的问题",
            description="state:open 未整改,awaiting_verification 已答复待核验,verified 核验通过。"
                        "村(社区)只看到本单位的问题,整改在闭环事项中办理(case_id)")
@paginate(PagePagination)
def list_findings(request, plan_id: IdFilter = None, aspect: AspectCode | None = None,
                  state: Literal["open", "awaiting_verification", "verified"] | None = None):
    require_module(request, roles.M_STARS)
    qs = selectors.findings(user=request.auth)
    if plan_id:
        qs = qs.filter(plan_id=plan_id)
    if aspect:
        qs = qs.filter(aspect=aspect)
    if state == "open":
        qs = qs.exclude(case_status__in=selectors.RECTIFIED)
    elif state == "awaiting_verification":
        qs = qs.filter(case_status=CaseStatus.REPLIED)
    elif state == "verified":
        qs = qs.filter(case_status=CaseStatus.CLOSED)
    return qs.order_by("-created_at", "-pk")


@router.get("/stars/my-visits", response=list[StarsVisitOut], summary="我的督导任务(督导组成员)",
            description="本人所在督导组的走访安排,不对村(社区)和乡镇公开")
@paginate(PagePagination)
def list_my_visits(request, status: VisitStatus | None = None):
    require_module(request, roles.M_STARS_VISIT)
    qs = selectors.my_visits(user=request.auth)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.get("/stars/visits/{int:visit_id}", response=StarsVisitDetailOut, summary="督导走访详情",
            description="组织单位和该计划督导组成员可见;含检查清单、发现的问题和待核验的问题")
def get_visit(request, visit_id: int):
    require_module(request, roles.M_STARS)
    return _visit_get(request, visit_id)


@router.post("/stars/visits/{int:visit_id}/record", response=StarsVisitDetailOut, summary="记录督导",
             description="本组成员记录:七个方面逐项检查,每个问题选择所属方面并生成整改事项(责任人为村(社区)书记),"
                         "同时核验该村(社区)此前已答复整改的问题。问题照片请在督导页面上传。")
def record_visit(request, visit_id: int, payload: StarsVisitRecordIn):
    require_module(request, roles.M_STARS_VISIT)
    visit = _visit_get(request, visit_id)
    with _refusals():
        services.visit_record(
            actor=request.auth, visit=visit, checks={c.aspect: (c.ok, c.note) for c in payload.checks},
            findings=[FindingSpec(aspect=f.aspect, text=f.text) for f in payload.findings],
            verifications=[Verification(finding_id=v.finding_id, done=v.done, comment=v.comment)
                           for v in payload.verifications],
            notes=payload.notes)
    return _visit_get(request, visit_id)


# --- projects -----------------------------------------------------------------------------------------

@router.get("/stars/projects", response=list[StarsProjectOut], summary="创星项目库")
@paginate(PagePagination)
def list_projects(request, status: ProjectStatus | None = None, branch_id: IdFilter = None):
    require_module(request, roles.M_STARS)
    qs = selectors.projects(user=request.auth, status=status)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    return qs.order_by("-proposed_at", "-pk")


@router.get("/stars/projects/{int:project_id}", response=StarsProjectDetailOut, summary="创星项目详情(含进展)")
def get_project(request, project_id: int):
    require_module(request, roles.M_STARS)
    return _project_get(request, project_id)


@router.post("/stars/projects", response={201: StarsProjectDetailOut}, summary="申报创星项目",
             description="由本支部书记或组织部门申报,对应一颗适用于本村(社区)的星;kind=livelihood 为民生实事(1+10+N)")
def propose_project(request, payload: StarsProjectIn):
    require_module(request, roles.M_STARS)
    branch = _branch(request, payload.branch_id)
    star = _star(request, payload.star_id)
    with _refusals():
        p = services.project_propose(actor=request.auth, branch=branch, star=star, name=payload.name,
                                     description=payload.description, planned_end=payload.planned_end,
                                     kind=payload.kind, budget=payload.budget)
    return Status(201, _project_get(request, p.pk))


@router.post("/stars/projects/{int:project_id}/decision", response=StarsProjectDetailOut, summary="审批创星项目")
def decide_project(request, project_id: int, payload: StarsDecisionIn):
    require_module(request, roles.M_STARS_MANAGE)
    p = _project_get(request, project_id)
    with _refusals():
        services.project_decide(actor=request.auth, project=p, approve=payload.approve, comment=payload.comment)
    return _project_get(request, project_id)


@router.post("/stars/projects/{int:project_id}/progress", response=StarsProjectDetailOut, summary="更新项目进展",
             description="已立项的项目;进度不能倒退,100%即完成")
def report_progress(request, project_id: int, payload: StarsProgressIn):
    require_module(request, roles.M_STARS)
    p = _project_get(request, project_id)
    with _refusals():
        services.project_progress(actor=request.auth, project=p, progress=payload.progress, note=payload.note)
    return _project_get(request, project_id)
