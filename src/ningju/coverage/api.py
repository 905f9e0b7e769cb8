"""The coverage API: campaigns and their units' progress, findings (three channels, verify/reject),
the coverage figures, the 应建尽建 list and its actions, the member registry. Everything scoped."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ningju.api.auth import require_module
from ningju.api.errors import referenced_or_400
from ningju.api.pagination import PagePagination
from ningju.core import idcard, roles
from ningju.core.crypto import keyed_hash
from ningju.core.scoping import get_visible_or_404
from ningju.geo.models import Division
from ningju.orgs.models import PARTY_KINDS, Industry, Organisation
from ningju.people.models import PARTY_STATUSES, Person
from ningju.people.selectors import may_see_sensitive

from . import selectors, services
from .models import CampaignUnit, Finding, MemberRecord

router = Router(tags=["组织覆盖"])

ID_MAX = 2**63 - 1  # ids are BIGINT: a larger number would overflow the database driver


def id_filter():
    return Query(None, ge=1, le=ID_MAX)


# --- schemas -----------------------------------------------------------------------------------------------

class CampaignOut(Schema):
    id: int
    name: str
    organiser_id: int
    organiser_name: str
    starts_on: dt.date
    ends_on: dt.date
    state: str = Field(..., description="active 进行中 / upcoming 未开始 / ended 已结束")
    division_codes: list[str]
    industries: list[str] = Field(..., description="orgs.Industry 代码;空表示全部行业")
    join_path: str = Field(..., description="党员自主登记(党员找组织)页面的路径")

    @staticmethod
    def resolve_organiser_name(obj):
        return obj.organiser.name

    @staticmethod
    def resolve_state(obj):
        return selectors.campaign_state(obj)[0]

    @staticmethod
    def resolve_division_codes(obj):
        return sorted(obj.divisions.values_list("code", flat=True))

    @staticmethod
    def resolve_join_path(obj):
        return f"/coverage/join/{obj.public_token}/"


class ChannelCount(Schema):
    channel: str
    label: str
    found: int


class CampaignProgress(Schema):
    units: int
    rosters: int = Field(..., description="已报送花名册的单位数(排查期间成功导入)")
    checked: int
    workers: int
    found: int = Field(..., description="已核实的党员(按人去重)")
    pending: int
    instructors: int
    by_channel: list[ChannelCount]


class CampaignDetailOut(CampaignOut):
    progress: CampaignProgress


class CampaignIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    starts_on: dt.date
    ends_on: dt.date
    division_codes: list[str] = Field(..., min_length=1, max_length=200)
    industries: list[Industry] = Field(default_factory=list, max_length=10)


class CampaignUnitOut(Schema):
    id: int
    campaign_id: int
    organisation_id: int
    organisation_name: str
    kind: str
    industry: str
    division_code: str
    roster_received_at: dt.datetime | None
    workers: int = Field(..., description="在册从业人员(本单位)")
    checked_at: dt.datetime | None
    members_found: int
    pending_findings: int

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_kind(obj):
        return obj.organisation.kind

    @staticmethod
    def resolve_industry(obj):
        return obj.organisation.industry

    @staticmethod
    def resolve_division_code(obj):
        return obj.organisation.division.code

    @staticmethod
    def resolve_roster_received_at(obj):
        return getattr(obj, "roster_at", None)

    @staticmethod
    def resolve_workers(obj):
        return getattr(obj, "workers", 0)

    @staticmethod
    def resolve_members_found(obj):
        return getattr(obj, "found", 0)

    @staticmethod
    def resolve_pending_findings(obj):
        return getattr(obj, "pending", 0)


class UnitIn(Schema):
    organisation_id: int = Field(..., ge=1, le=ID_MAX)


class FindingOut(Schema):
    id: int
    campaign_id: int
    channel: str
    channel_label: str
    status: str
    status_label: str
    declared_name: str
    declared_phone: str = Field(..., description="无权查看的角色得到脱敏值")
    member_status: str
    employer_id: int
    employer_name: str
    person_id: int | None
    referrer_id: int | None
    relation_org_id: int | None
    relation_text: str
    note: str
    created_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_reason: str

    @staticmethod
    def resolve_channel_label(obj):
        return obj.get_channel_display()

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_employer_name(obj):
        return obj.employer.name

    @staticmethod
    def resolve_declared_phone(obj, context):
        user = context["request"].auth
        return obj.declared_phone if may_see_sensitive(user) else idcard.mask_phone(obj.declared_phone)


class ReferralIn(Schema):
    campaign_unit_id: int = Field(..., ge=1, le=ID_MAX)
    name: str = Field(..., min_length=1, max_length=50)
    phone: str = Field(..., min_length=1, max_length=20)
    note: str = Field("", max_length=2000)
    referrer_id_number: str = Field("", max_length=18,
                                    description="推荐人身份证号(工作人员登记时可填;党员本人推荐时忽略)")


class VerifyIn(Schema):
    id_number: str = Field("", max_length=18, description="被推荐的线索须填写")
    member_status: MemberRecord.Status | None = None
    relation_org_id: int | None = Field(None, ge=1, le=ID_MAX)
    relation_text: str | None = Field(None, max_length=200)
    reason: str = Field("", max_length=500)


class RejectIn(Schema):
    reason: str = Field(..., max_length=500)


class FigureRow(Schema):
    units: int
    covered: int
    rate: float | None = Field(..., description="覆盖率(%),没有单位时为空")
    workers: int
    formal: int
    probationary: int
    mobile: int
    found_org: int
    found_self: int
    found_referred: int
    found_total: int = Field(..., description="已核实的党员,按人去重")
    instructors: int = Field(..., description="在岗且在派的党建指导员,按人去重")
    with_branch: int
    with_joint: int


class DivisionFigures(FigureRow):
    code: str = Field(..., description="下级区划代码;空为本级(未落到下级区划的单位)")
    name: str


class IndustryFigures(FigureRow):
    industry: str
    label: str


class UncoveredUnit(Schema):
    organisation_id: int
    name: str
    division_code: str
    formal_members: int
    probationary_members: int
    why: str


class FiguresOut(Schema):
    division_code: str
    division_name: str
    industry: str | None
    totals: FigureRow
    by_division: list[DivisionFigures] | None = Field(..., description="乡镇(街道)及以下为空,见 units")
    by_industry: list[IndustryFigures]
    uncovered_count: int
    uncovered: list[UncoveredUnit]


class ShouldBuildOut(Schema):
    organisation_id: int
    name: str
    kind: str
    division_code: str
    category: str = Field(..., description="should_found 应单独建立党支部 / needs_cover 应纳入联合党支部或选派指导员"
                                           " / covered 已覆盖")
    workers: int
    formal_members: int
    probationary_members: int
    mobile_members: int
    has_branch: bool
    has_joint_branch: bool
    instructors: int
    covered: bool
    why: str

    @staticmethod
    def resolve_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_kind(obj):
        return obj.organisation.kind

    @staticmethod
    def resolve_division_code(obj):
        return obj.organisation.division.code

    @staticmethod
    def resolve_category(obj):
        return selectors.category_of(obj)

    @staticmethod
    def resolve_why(obj):
        return selectors.why_not_covered(obj)


class OrganisationRef(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None


class JointIn(Schema):
    joint_branch_id: int | None = Field(None, ge=1, le=ID_MAX, description="已有的联合党支部;为空则新建")
    new_name: str = Field("", max_length=120)
    new_parent_id: int | None = Field(None, ge=1, le=ID_MAX)


class JointLinkOut(Schema):
    organisation_id: int
    joint_branch: OrganisationRef
    since: dt.date


class MemberRecordOut(Schema):
    id: int
    name: str
    id_number: str = Field(..., description="无权查看的角色得到脱敏值")
    status: str
    relation_org_id: int | None
    relation_text: str
    joined_on: dt.date | None
    division_code: str

    @staticmethod
    def resolve_id_number(obj, context):
        return obj.id_number if may_see_sensitive(context["request"].auth) else obj.id_number_masked

    @staticmethod
    def resolve_division_code(obj):
        return obj.division.code


class MatchOut(Schema):
    new_findings: int


# --- campaigns ---------------------------------------------------------------------------------------------

def _detail(request, campaign):
    campaign.progress = selectors.campaign_summary(user=request.auth, campaign=campaign)
    campaign.progress["by_channel"] = [
        {"channel": code, "label": label, "found": dict(campaign.progress["by_channel"]).get(label, 0)}
        for code, label in Finding.Channel.choices]
    return campaign


@router.get("/coverage/campaigns", response=list[CampaignOut], summary="排查行动列表")
@paginate(PagePagination)
def list_campaigns(request, state: str | None = None):
    require_module(request, roles.M_COVERAGE)
    return selectors.campaign_list(user=request.auth, state=state).prefetch_related("divisions")


@router.get("/coverage/campaigns/{int:campaign_id}", response=CampaignDetailOut, summary="排查行动详情与进度")
def get_campaign(request, campaign_id: int):
    require_module(request, roles.M_COVERAGE)
    return _detail(request, selectors.campaign_get(user=request.auth, pk=campaign_id))


@router.post("/coverage/campaigns", response={201: CampaignDetailOut}, summary="发起排查行动",
             description="覆盖区划内、所选行业的平台企业和站点自动列入排查范围")
def create_campaign(request, payload: CampaignIn):
    require_module(request, roles.M_COVERAGE_MANAGE)
    divisions = [referenced_or_400(Division, request.auth, "division_codes", f"区划 {code}", code=code)
                 for code in dict.fromkeys(payload.division_codes)]
    campaign = services.campaign_create(actor=request.auth, source="api", name=payload.name,
                                        starts_on=payload.starts_on, ends_on=payload.ends_on, divisions=divisions,
                                        industries=[i.value for i in payload.industries])
    return Status(201, _detail(request, campaign))


@router.get("/coverage/campaigns/{int:campaign_id}/units", response=list[CampaignUnitOut],
            summary="排查单位及进度", description="state: no_roster 未报送花名册 / unchecked 未核查 / checked 已核查")
@paginate(PagePagination)
def list_campaign_units(request, campaign_id: int, q: str | None = None, state: str | None = None):
    require_module(request, roles.M_COVERAGE)
    campaign = selectors.campaign_get(user=request.auth, pk=campaign_id)
    return selectors.campaign_units(user=request.auth, campaign=campaign, q=q, state=state)


def _unit_out(request, unit: CampaignUnit) -> CampaignUnit:
    return selectors.campaign_units(user=request.auth, campaign=unit.campaign).get(pk=unit.pk)


@router.post("/coverage/campaigns/{int:campaign_id}/units", response={201: CampaignUnitOut}, summary="增加排查单位")
def add_campaign_unit(request, campaign_id: int, payload: UnitIn):
    require_module(request, roles.M_COVERAGE_MANAGE)
    campaign = selectors.campaign_get(user=request.auth, pk=campaign_id)
    org = referenced_or_400(Organisation, request.auth, "organisation_id", "企业/站点", pk=payload.organisation_id)
    unit = services.campaign_unit_add(actor=request.auth, campaign=campaign, organisation=org, source="api")
    return Status(201, _unit_out(request, unit))


@router.delete("/coverage/campaign-units/{int:unit_id}", response={204: None}, summary="移出排查单位")
def remove_campaign_unit(request, unit_id: int):
    require_module(request, roles.M_COVERAGE_MANAGE)
    unit = get_visible_or_404(CampaignUnit, request.auth, pk=unit_id)
    services.campaign_unit_remove(actor=request.auth, unit=unit, source="api")
    return Status(204, None)


@router.post("/coverage/campaign-units/{int:unit_id}/check", response=CampaignUnitOut, summary="核查完成")
def check_campaign_unit(request, unit_id: int):
    require_module(request, roles.M_COVERAGE)
    unit = get_visible_or_404(CampaignUnit.objects.select_related("campaign"), request.auth, pk=unit_id)
    services.campaign_unit_check(actor=request.auth, unit=unit, source="api")
    return _unit_out(request, unit)


@router.post("/coverage/campaigns/{int:campaign_id}/match", response=MatchOut, summary="组织找党员:比对党员信息库",
             description="在排查单位从业人员中按身份证号比对党员信息库,为尚未发现的党员生成待核实线索")
def match_campaign(request, campaign_id: int):
    require_module(request, roles.M_COVERAGE_MANAGE)
    campaign = selectors.campaign_get(user=request.auth, pk=campaign_id)
    return {"new_findings": services.match_campaign(campaign, actor=request.auth, source="api")}


# --- findings ----------------------------------------------------------------------------------------------

@router.get("/coverage/findings", response=list[FindingOut], summary="党员线索列表")
@paginate(PagePagination)
def list_findings(request, campaign_id: int | None = id_filter(), channel: Finding.Channel | None = None,
                  status: Finding.Status | None = None, employer_id: int | None = id_filter(), q: str | None = None):
    require_module(request, roles.M_COVERAGE)
    return selectors.finding_list(user=request.auth, campaign_id=campaign_id, channel=channel, status=status,
                                  employer_id=employer_id, q=q)


@router.get("/coverage/findings/{int:finding_id}", response=FindingOut, summary="党员线索详情")
def get_finding(request, finding_id: int):
    require_module(request, roles.M_COVERAGE)
    return selectors.finding_get(user=request.auth, pk=finding_id)


@router.post("/coverage/findings/referrals", response={201: FindingOut}, summary="党员找党员:推荐",
             description="党员本人(推荐人即本人)或组织部门工作人员登记;所在单位须属于进行中的排查行动")
def create_referral(request, payload: ReferralIn):
    user = request.auth
    if user.can(roles.M_COVERAGE_MANAGE):
        unit = referenced_or_400(CampaignUnit.objects.select_related("campaign", "organisation"), user,
                                 "campaign_unit_id", "排查单位", pk=payload.campaign_unit_id)
        referrer = None
        number = idcard.normalise(payload.referrer_id_number)
        if number:
            referrer = Person.objects.visible_to(user).filter(id_hash=keyed_hash(number)).first()
            if referrer is None:
                raise ValidationError({"referrer_id_number": "人员库中没有该身份证号的人员(或不在管辖范围内)"})
    else:
        require_module(request, roles.M_REFER)
        referrer = user.person
        if referrer is None or referrer.political_status not in PARTY_STATUSES:
            raise PermissionDenied("只有党员可以推荐身边的党员")
        unit = next((u for u in selectors.referral_units(person=referrer) if u.pk == payload.campaign_unit_id), None)
        if unit is None:
            raise ValidationError({"campaign_unit_id": "所在单位不在进行中的排查范围内"})
    finding = services.referral_create(actor=user, unit=unit, name=payload.name, phone=payload.phone,
                                       note=payload.note, referrer=referrer, source="api")
    return Status(201, selectors.finding_list(user=user).filter(pk=finding.pk).first() or finding)


def _relation_org(request, finding, org_id):
    if org_id is None:
        return None
    allowed = (selectors.party_orgs_for(user=request.auth) | services.party_orgs_in(finding.campaign))
    org = allowed.filter(pk=org_id, kind__in=PARTY_KINDS).first()
    if org is None:
        raise ValidationError({"relation_org_id": "组织关系所在党组织不存在或不在范围内"})
    return org


@router.post("/coverage/findings/{int:finding_id}/verify", response=FindingOut, summary="核实党员线索属实",
             description="关联或登记人员,更新其政治面貌、组织关系和流动党员标记;未提供的字段沿用线索中的申报值")
def verify_finding(request, finding_id: int, payload: VerifyIn):
    require_module(request, roles.M_COVERAGE)
    finding = selectors.finding_get(user=request.auth, pk=finding_id)
    data = payload.model_dump(exclude_unset=True)
    kwargs = {"id_number": payload.id_number, "reason": payload.reason,
              "member_status": payload.member_status.value if payload.member_status else None}
    if "relation_org_id" in data:
        kwargs["relation_org"] = _relation_org(request, finding, payload.relation_org_id)
    if "relation_text" in data:
        kwargs["relation_text"] = payload.relation_text or ""
    services.finding_verify(actor=request.auth, finding=finding, source="api", **kwargs)
    return selectors.finding_get(user=request.auth, pk=finding_id)


@router.post("/coverage/findings/{int:finding_id}/reject", response=FindingOut, summary="核实党员线索不属实",
             description="须填写原因")
def reject_finding(request, finding_id: int, payload: RejectIn):
    require_module(request, roles.M_COVERAGE)
    finding = selectors.finding_get(user=request.auth, pk=finding_id)
    services.finding_reject(actor=request.auth, finding=finding, reason=payload.reason, source="api")
    return selectors.finding_get(user=request.auth, pk=finding_id)


# --- figures and 应建尽建 -----------------------------------------------------------------------------------

def _division(request, code: str | None) -> Division:
    try:
        return selectors.division_for(user=request.auth, code=code)
    except Http404:
        raise Http404("区划不存在或不在管辖范围内") from None


def _industry(value: str | None) -> str | None:
    if not value:
        return None
    if value == "none":
        return ""
    if value not in Industry.values:
        raise ValidationError({"industry": "行业代码无效"})
    return value


@router.get("/coverage/figures", response=FiguresOut, summary="覆盖统计",
            description="division:区划代码(默认本人管辖范围);industry:行业代码,none 为未分类。"
                        "按下级区划和行业分组;覆盖率、党员(正式/预备/流动)、各渠道找到的党员(按人去重)、党建指导员(按人去重)、"
                        "未覆盖单位及原因")
def get_figures(request, division: str | None = None, industry: str | None = None,
                uncovered_limit: int = Query(200, ge=0, le=1000)):
    require_module(request, roles.M_COVERAGE)
    div = _division(request, division)
    fig = selectors.figures(user=request.auth, division=div, industry=_industry(industry),
                            uncovered_limit=uncovered_limit)
    return {
        "division_code": div.code, "division_name": div.name, "industry": fig.industry, "totals": fig.totals,
        "by_division": None if fig.by_division is None else [{**r, "name": r["label"]} for r in fig.by_division],
        "by_industry": fig.by_industry, "uncovered_count": fig.uncovered_count,
        "uncovered": [{"organisation_id": uc.organisation_id, "name": uc.organisation.name,
                       "division_code": uc.organisation.division.code, "formal_members": uc.formal_members,
                       "probationary_members": uc.probationary_members, "why": uc.why} for uc in fig.uncovered],
    }


@router.get("/coverage/should-build", response=list[ShouldBuildOut], summary="应建尽建名单",
            description="category: should_found 应单独建立党支部(正式党员≥3且未建党组织)"
                        " / needs_cover 应纳入联合党支部或选派指导员 / covered 已覆盖")
@paginate(PagePagination)
def list_should_build(request, division: str | None = None, category: str | None = None, q: str | None = None):
    require_module(request, roles.M_COVERAGE)
    if category and category not in selectors.CATEGORIES:
        raise ValidationError({"category": "类别无效"})
    div = _division(request, division)
    return selectors.should_build(user=request.auth, division=div, category=category or None, q=q)


@router.post("/coverage/units/{int:org_id}/found-branch", response={201: OrganisationRef},
             summary="应建尽建:单独建立党支部", description="正式党员3名以上、尚未建立党组织的企业/站点")
def found_branch(request, org_id: int):
    require_module(request, roles.M_COVERAGE_MANAGE)
    unit = selectors.unit_get(user=request.auth, pk=org_id)
    return Status(201, services.branch_found(actor=request.auth, organisation=unit, source="api"))


@router.post("/coverage/units/{int:org_id}/joint-branch", response={201: JointLinkOut},
             summary="应建尽建:纳入联合党支部",
             description="joint_branch_id 为已有联合党支部;或 new_name + new_parent_id 当场新建")
def attach_joint_branch(request, org_id: int, payload: JointIn):
    require_module(request, roles.M_COVERAGE_MANAGE)
    unit = selectors.unit_get(user=request.auth, pk=org_id)
    joint = parent = None
    if payload.joint_branch_id:
        joint = referenced_or_400(Organisation, request.auth, "joint_branch_id", "联合党支部",
                                  pk=payload.joint_branch_id)
    elif payload.new_parent_id:
        parent = referenced_or_400(Organisation, request.auth, "new_parent_id", "上级党组织", pk=payload.new_parent_id)
    link = services.joint_branch_attach(actor=request.auth, organisation=unit, joint_branch=joint,
                                        new_name=payload.new_name, new_parent=parent, source="api")
    return Status(201, link)


# --- member registry ---------------------------------------------------------------------------------------

@router.get("/coverage/member-records", response=list[MemberRecordOut], summary="党员信息库",
            description="q:姓名包含,或完整身份证号精确匹配(哈希检索)")
@paginate(PagePagination)
def list_member_records(request, q: str | None = None, status: MemberRecord.Status | None = None):
    require_module(request, roles.M_COVERAGE_MANAGE)
    return selectors.member_record_list(user=request.auth, q=q, status=status)
