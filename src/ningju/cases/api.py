"""The case engine's API (闭环事项): filing, the transitions, each role's lists, the three rates,
notifications, routing rules and seminars.

Thin over the engine: reads through :mod:`.selectors` (scoped to the caller), writes through
:mod:`.services` with ``source="api"``. A refused step answers like the rest of the API: 400 for a
refusal with the engine's Chinese message (and the request's field name), 403 for a role or person who
may not take the step, 404 for a case the caller may not see, and 409 (code ``conflict``) when the case
changed since the caller read its ``version``.
"""

import datetime as dt
import enum
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from ningju.api.auth import require_module
from ningju.api.core import ErrorOut
from ningju.api.errors import ApiError, referenced_or_400
from ningju.api.pagination import PagePagination
from ningju.api.params import ID_MAX, IdFilter
from ningju.core import roles, uploads
from ningju.core.scoping import get_visible_or_404, is_visible
from ningju.geo.models import Division
from ningju.orgs.models import Organisation

from . import selectors, services, states
from .models import Attachment, Case, Category, RoutingRule, Seminar, parse_number

router = Router(tags=["闭环事项"])

VERSION_MAX = 2**31 - 1  # Case.version is a PositiveIntegerField
CODE_MAX = 60            # Category.code
DIVISION_CODE_MAX = 15   # Division.code
RATES_FIRST, RATES_LAST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)

# The engine names model fields; requests name the references as below.
_FIELDS = {"division": "division_code", "organisation": "organisation_id", "seminar": "seminar_id",
           "into": "into_id", "organiser": "organiser_id", "__all__": ""}

StatusFilter = enum.StrEnum("StatusFilter", {v: v for v in ("open", *states.Status.values)})
By = Literal["division", "organisation", "category", "month"]
PositiveId = Annotated[int, Field(ge=1, le=ID_MAX)]


@contextmanager
def _refusals():
    """The engine's refusals in the API's terms: a stale version is 409, field names as requests name them."""
    try:
        yield
    except services.CaseConflict as exc:
        raise ApiError(409, "conflict", exc.messages[0]) from None
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({_FIELDS.get(k, k): v for k, v in exc.message_dict.items()}) from None
        raise


def _is_staff(user) -> bool:
    return user.is_superuser or bool(getattr(user.role_obj, "staff", False))


# --- schemas: reading -----------------------------------------------------------------------------------

class CaseOut(Schema):
    id: int
    number: str = Field(..., description="事项编号,如 SQ20261125000123")
    kind: states.CaseKind
    kind_label: str
    category_code: str
    category_name: str
    title: str
    status: states.Status
    status_label: str
    priority: states.Priority
    priority_label: str
    source: states.Source
    source_label: str
    division_code: str
    division_name: str
    organisation_id: int | None = Field(..., description="承办单位;待分派时为空")
    organisation_name: str | None
    submitted_at: dt.datetime
    accept_due: dt.datetime | None = Field(..., description="受理期限")
    reply_due: dt.datetime | None = Field(..., description="答复期限")
    rating: str = Field(..., description="satisfied 满意 / basic 基本满意 / unsatisfied 不满意;未评价为空")
    overdue: bool = Field(..., description="已超过受理或答复期限")
    version: int = Field(..., description="办理操作时回传,用于发现他人同时处理(不符时 409)")

    @staticmethod
    def resolve_number(obj):
        return obj.number

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_category_code(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_priority_label(obj):
        return obj.get_priority_display()

    @staticmethod
    def resolve_source_label(obj):
        return obj.get_source_display()

    @staticmethod
    def resolve_division_code(obj):
        return obj.division.code

    @staticmethod
    def resolve_division_name(obj):
        return obj.division.name

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name if obj.organisation_id else None

    @staticmethod
    def resolve_overdue(obj):
        now = timezone.now()
        if obj.status == states.Status.DISPATCHED and obj.accept_due and obj.accept_due < now:
            return True
        return obj.status in states.HANDLER_STATES and bool(obj.reply_due) and obj.reply_due < now


class AttachmentOut(Schema):
    id: int
    event_id: int | None
    original_name: str
    content_type: str
    size: int
    is_image: bool
    created_at: dt.datetime
    url: str = Field(..., description="下载地址(需同样的认证,按事项范围校验)")

    @staticmethod
    def resolve_url(obj):
        return reverse("api:cases_attachment", kwargs={"attachment_id": obj.pk})


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    actor_label: str
    at: dt.datetime
    from_status: str
    to_status: str
    organisation_id: int | None
    organisation_name: str | None
    comment: str
    data: dict
    attachment_ids: list[int]

    @staticmethod
    def resolve_action_label(obj):
        return states.Action(obj.action).label if obj.action in states.Action.values else obj.action

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name if obj.organisation_id else None

    @staticmethod
    def resolve_attachment_ids(obj):
        return [a.pk for a in obj.attachments.all()]


class CaseDetailOut(CaseOut):
    text: str
    address: str
    lat: float | None
    lng: float | None
    anonymous: bool
    filer_id: int | None = Field(..., description="提交人账号;匿名、座谈会收集、电话录入的事项为空")
    filer_name: str
    filer_phone: str = Field(..., description="承办单位、分派人员和提交人本人可见,其他人得到脱敏值")
    seminar_id: int | None
    merged_into_id: int | None
    owner_id: int | None = Field(..., description="责任人")
    owner_name: str | None
    dispatched_at: dt.datetime | None
    accepted_at: dt.datetime | None
    handled_at: dt.datetime | None
    replied_at: dt.datetime | None
    rated_at: dt.datetime | None
    closed_at: dt.datetime | None
    result: str = Field(..., description="办理结果")
    reply: str = Field(..., description="答复内容")
    extension_days: int = Field(..., description="待审批的延期(工作日);0 为没有")
    extension_reason: str
    reopen_count: int
    events: list[EventOut] = Field(..., description="流转记录,按时间先后;提交人看不到内部提醒和督办")
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_filer_name(obj):
        return obj.filer.name if obj.filer_id else obj.filer_name

    @staticmethod
    def resolve_filer_phone(obj, context):
        return selectors.shown_phone(context["request"].auth, obj)

    @staticmethod
    def resolve_owner_name(obj):
        return obj.owner.name if obj.owner_id else None

    @staticmethod
    def resolve_events(obj, context):
        user = context["request"].auth
        return selectors.timeline(obj) if _is_staff(user) else selectors.public_timeline(obj)

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class CaseFiledOut(CaseDetailOut):
    created: bool = Field(..., description="false:同一 client_key 的请求此前已受理,返回的是原事项(未重复登记)")
    query_code: str | None = Field(None, description="查询码:匿名提交时生成,仅在首次应答中出现一次;"
                                                     "凭事项编号和查询码查询进度、评价")


class CategoryOut(Schema):
    id: int
    code: str = Field(..., description="分类代码(提交事项时使用,也是 Open311 service_code)")
    name: str
    kind: states.CaseKind
    parent_code: str | None
    depth: int = Field(..., description="1 为一级分类")
    description: str
    is_emergency: bool = Field(..., description="突发事件:立即通知值班领导")
    default_priority: states.Priority
    public: bool = Field(..., description="对外公开:可在线提交")

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None


class SupervisionOut(Schema):
    id: int
    case_id: int
    case_number: str
    case_title: str
    reason: str
    reason_label: str
    due_at: dt.datetime = Field(..., description="被超过的期限")
    handling_org_id: int
    handling_org_name: str
    organisation_id: int = Field(..., description="督办单位(承办单位的上级)")
    organisation_name: str
    raised_at: dt.datetime
    resolved_at: dt.datetime | None
    note: str

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number

    @staticmethod
    def resolve_case_title(obj):
        return obj.case.title

    @staticmethod
    def resolve_reason_label(obj):
        return obj.get_reason_display()

    @staticmethod
    def resolve_handling_org_name(obj):
        return obj.handling_org.name

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name


class RateFigures(Schema):
    total: int = Field(..., description="期间提交的事项(不含被合并的重复事项)")
    due: int = Field(..., description="应受理的事项(已受理或已过受理期限)")
    accepted_in_time: int
    resolved: int = Field(..., description="已答复或已办结")
    rated: int
    satisfied: int = Field(..., description="满意或基本满意")
    response_rate: float | None = Field(..., description="响应率(%)= accepted_in_time / due;分母为0时为空")
    resolution_rate: float | None = Field(..., description="解决率(%)= resolved / total")
    satisfaction_rate: float | None = Field(..., description="满意率(%)= satisfied / rated")


class RateRow(RateFigures):
    label: str = Field(..., description="区划、单位、分类名称或月份(YYYY-MM)")


class RatesOut(RateFigures):
    start: dt.date
    end: dt.date = Field(..., description="含当日")
    by: str | None
    breakdown: list[RateRow] | None = Field(..., description="按 by 分组的三率;未给 by 时为空")


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    case_id: int | None
    case_number: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number if obj.case_id else None


class ReadIn(Schema):
    ids: list[PositiveId] | None = Field(None, max_length=1000, description="要标记为已读的消息;省略则全部标记")


class ReadOut(Schema):
    marked: int
    unread: int


class RoutingRuleOut(Schema):
    id: int
    category_code: str
    category_name: str
    division_code: str
    division_name: str
    target: str = Field(..., description="org 指定单位 / local 属地村(社区)")
    target_label: str
    organisation_id: int | None
    organisation_name: str | None
    note: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_category_code(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name

    @staticmethod
    def resolve_division_code(obj):
        return obj.division.code

    @staticmethod
    def resolve_division_name(obj):
        return obj.division.name

    @staticmethod
    def resolve_target_label(obj):
        return obj.get_target_display()

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name if obj.organisation_id else None


class RoutingRuleIn(Schema):
    category: str = Field(..., min_length=1, max_length=CODE_MAX, description="分类代码(含其下级分类)")
    division_code: str = Field(..., min_length=1, max_length=DIVISION_CODE_MAX, description="适用区划(含其下级)")
    target: RoutingRule.Target = RoutingRule.Target.ORG
    organisation_id: int | None = Field(None, ge=1, le=ID_MAX, description="target 为 org 时必填")
    note: str = Field("", max_length=200)


class SeminarOut(Schema):
    id: int
    level: Seminar.Level
    level_label: str
    title: str
    held_on: dt.date
    place: str
    division_code: str
    division_name: str
    organiser_id: int
    organiser_name: str
    attendee_count: int
    attendees: str
    case_count: int = Field(..., description="收集的诉求数")

    @staticmethod
    def resolve_level_label(obj):
        return obj.get_level_display()

    @staticmethod
    def resolve_division_code(obj):
        return obj.division.code

    @staticmethod
    def resolve_division_name(obj):
        return obj.division.name

    @staticmethod
    def resolve_organiser_name(obj):
        return obj.organiser.name

    @staticmethod
    def resolve_case_count(obj):
        return getattr(obj, "case_count", 0)


class SeminarIn(Schema):
    level: Seminar.Level
    title: str = Field(..., min_length=1, max_length=100)
    held_on: dt.date
    place: str = Field(..., min_length=1, max_length=120)
    division_code: str = Field(..., min_length=1, max_length=DIVISION_CODE_MAX)
    organiser_id: int | None = Field(None, ge=1, le=ID_MAX, description="组织单位;缺省为调用者所在组织")
    attendee_count: int = Field(..., ge=1, le=100000)
    attendees: str = Field("", max_length=2000)


# --- schemas: writing -----------------------------------------------------------------------------------

class CaseIn(Schema):
    kind: states.CaseKind = Field(states.CaseKind.GRIEVANCE, description="grievance 诉求(从业人员、工作人员录入、"
                                  "匿名)/ incident 事件报告(仅网格员)/ rectification 整改事项(仅工作人员)")
    category: str = Field(..., min_length=1, max_length=CODE_MAX, description="分类代码,见 GET /cases/categories")
    text: str = Field(..., min_length=1, max_length=states.TEXT_MAX)
    title: str = Field("", max_length=states.TITLE_MAX, description="省略则取内容开头")
    division_code: str = Field(..., min_length=1, max_length=DIVISION_CODE_MAX, description="所在区划(村、社区)")
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False, description="纬度,须在本市范围内")
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    address: str = Field("", max_length=200)
    priority: states.Priority | None = Field(None, description="仅工作人员录入(座谈会、电话、整改)时有效;"
                                                               "其他情况按分类默认")
    anonymous: bool = Field(False, description="匿名提交:不记提交人,返回一次性查询码")
    client_key: str = Field("", max_length=64, description="幂等键(建议 UUID):同一键重复提交只登记一次,"
                                                          "重复的请求得到原事项(200,created=false)")
    seminar_id: int | None = Field(None, ge=1, le=ID_MAX, description="座谈会收集的诉求")
    filer_name: str = Field("", max_length=50, description="联系人(座谈会、电话录入、匿名时)")
    filer_phone: str = Field("", max_length=20)
    organisation_id: int | None = Field(None, ge=1, le=ID_MAX, description="仅整改事项:责任单位")
    reply_workdays: int | None = Field(None, ge=1, le=60, description="仅整改事项:整改期限(工作日)")


class VersionIn(Schema):
    version: int | None = Field(None, ge=1, le=VERSION_MAX,
                                description="读取时的 version;事项已被他人改动时 409。省略则不做该检查")


class DispatchIn(VersionIn):
    organisation_id: int = Field(..., ge=1, le=ID_MAX, description="承办单位")
    comment: str = Field("", max_length=states.COMMENT_MAX)


class TransferIn(VersionIn):
    organisation_id: int = Field(..., ge=1, le=ID_MAX, description="新的承办单位")
    reason: str = Field(..., min_length=1, max_length=states.COMMENT_MAX)


class CommentIn(VersionIn):
    comment: str = Field("", max_length=states.COMMENT_MAX)


class ReasonIn(VersionIn):
    reason: str = Field(..., min_length=1, max_length=states.COMMENT_MAX)


class ResultIn(VersionIn):
    result: str = Field(..., min_length=1, max_length=states.COMMENT_MAX, description="办理结果")


class ReplyIn(VersionIn):
    reply: str = Field(..., min_length=1, max_length=states.COMMENT_MAX, description="答复内容")


class RateIn(VersionIn):
    rating: states.Rating
    comment: str = Field("", max_length=states.COMMENT_MAX, description="不满意时必填")


class CallbackIn(VersionIn):
    rating: states.Rating
    comment: str = Field(..., min_length=1, max_length=states.COMMENT_MAX, description="回访情况")


class MergeIn(VersionIn):
    into_id: int = Field(..., ge=1, le=ID_MAX, description="保留的事项")
    comment: str = Field("", max_length=states.COMMENT_MAX)


class ExtensionIn(VersionIn):
    days: int = Field(..., ge=1, le=30, description="延期工作日")
    reason: str = Field(..., min_length=1, max_length=states.COMMENT_MAX)


class DecisionIn(VersionIn):
    approve: bool
    comment: str = Field("", max_length=states.COMMENT_MAX, description="不同意时必填")


class NoteIn(Schema):
    comment: str = Field(..., min_length=1, max_length=states.COMMENT_MAX)


class NoteUploadIn(NoteIn):
    pass


# --- helpers --------------------------------------------------------------------------------------------

def _category_or_400(code: str | None, field: str = "category") -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise ValidationError({field: "分类不存在"})
    return category


def _division_or_400(code: str | None, field: str) -> Division | None:
    if not code:
        return None
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationError({field: "区划不存在"})
    return division


def _search(q: str | None) -> str | None:
    """A search text; a case number too large for an id is refused here (it would overflow the driver)."""
    if not q or not q.strip():
        return None
    try:
        pk = parse_number(q)
    except ValueError:
        pk = -1
    if pk is not None and not 0 < pk <= ID_MAX:
        raise ValidationError({"q": "事项编号不正确"})
    return q


def _attachments(files) -> list[uploads.CleanFile]:
    files = list(files or ())
    if len(files) > states.MAX_ATTACHMENTS:
        raise ValidationError({"files": f"一次最多上传{states.MAX_ATTACHMENTS}个附件"})
    cleaned = []
    for f in files:
        try:
            cleaned.append(uploads.clean_upload(f, allow_documents=True, label="附件"))
        except ValidationError as exc:
            raise ValidationError({"files": exc.messages}) from None
    return cleaned


def _file(request, payload: CaseIn, files=()):
    user = request.auth
    require_module(request, roles.M_CASES)
    if payload.kind != states.CaseKind.RECTIFICATION and (payload.organisation_id or payload.reply_workdays):
        raise ValidationError({"organisation_id": "只有整改事项可以直接指定责任单位和期限"})
    organisation = (referenced_or_400(Organisation, user, "organisation_id", "责任单位", pk=payload.organisation_id)
                    if payload.organisation_id else None)
    seminar = (referenced_or_400(Seminar, user, "seminar_id", "座谈会", pk=payload.seminar_id)
               if payload.seminar_id else None)
    cleaned = _attachments(files)
    with _refusals():
        filed = services.case_file(
            actor=user, kind=payload.kind.value, category=_category_or_400(payload.category),
            text=payload.text, title=payload.title, division=_division_or_400(payload.division_code, "division_code"),
            lat=payload.lat, lng=payload.lng, address=payload.address,
            priority=payload.priority.value if payload.priority else None, anonymous=payload.anonymous,
            client_key=payload.client_key, seminar=seminar, filer_name=payload.filer_name,
            filer_phone=payload.filer_phone, organisation=organisation, reply_workdays=payload.reply_workdays,
            attachments=cleaned, audit_source="api")
    case = filed.case
    if not filed.created and not is_visible(case, user) and not case.anonymous:
        raise ValidationError({"client_key": "请求标识重复,请刷新页面后重新提交"})
    # A retried anonymous filing is answered to whoever holds its client key (a random value only the filing
    # client knows), since an anonymous case records nobody to compare with; its query code is not repeated.
    # Read again with its relations (not through visible_to: an anonymous filer cannot see the case later,
    # but is answered with what was just filed).
    case = Case.objects.select_related("category", "division", "organisation", "filer", "owner").get(pk=case.pk)
    case.created, case.query_code = filed.created, filed.query_code
    return Status(201 if filed.created else 200, case)


def _step(request, case_id: int, module: str, service, **kwargs):
    """One transition: module check (403), the case in scope (404), the service (400/403/409)."""
    require_module(request, module)
    case = selectors.case_get(user=request.auth, pk=case_id)
    refs = kwargs.pop("refs", {})
    for name, (model, field, label, pk) in refs.items():
        kwargs[name] = referenced_or_400(model, request.auth, field, label, pk=pk)
    with _refusals():
        # The case as the step left it: the caller acted on it even if it has now left their scope
        # (a handler returning it to the queue).
        return service(actor=request.auth, case=case, source="api", **kwargs)


def _rates_period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    end = end or today
    start = start or end.replace(month=1, day=1)
    for name, value in (("end", end), ("start", start)):
        if not RATES_FIRST <= value <= RATES_LAST:
            raise ValidationError({name: f"日期应在{RATES_FIRST.year}年至{RATES_LAST.year}年之间"})
    if start > end:
        raise ValidationError({"start": "开始日期不能晚于结束日期"})
    return start, end


def _figures(rates: selectors.Rates) -> dict:
    return {**asdict(rates), "response_rate": rates.response_rate, "resolution_rate": rates.resolution_rate,
            "satisfaction_rate": rates.satisfaction_rate}


TRANSITION = {200: CaseDetailOut, 409: ErrorOut}


# --- reference data -------------------------------------------------------------------------------------

@router.get("/cases/categories", response=list[CategoryOut], summary="事项分类",
            description="启用的分类树(按路径排序);从业人员只看到对外公开的分类")
@paginate(PagePagination)
def list_categories(request, kind: states.CaseKind | None = None):
    require_module(request, roles.M_CASES)
    return selectors.categories(kind=kind, public_only=not _is_staff(request.auth)).select_related("parent")


# --- lists ----------------------------------------------------------------------------------------------

@router.get("/cases", response=list[CaseOut], summary="事项列表",
            description="status:open 未办结,或某一状态;q:事项编号,或标题/内容包含;category:分类代码(含下级);"
                        "division:区划代码(含下级);overdue:只看已超期")
@paginate(PagePagination)
def list_cases(request, kind: states.CaseKind | None = None, status: StatusFilter | None = None,
               q: str | None = Query(None, max_length=100), category: str | None = Query(None, max_length=CODE_MAX),
               division: str | None = Query(None, max_length=DIVISION_CODE_MAX), organisation_id: IdFilter = None,
               overdue: bool = False):
    user = request.auth
    require_module(request, roles.M_CASES)
    division_obj = _division_or_400(division, "division")
    org = referenced_or_400(Organisation, user, "organisation_id", "单位", pk=organisation_id) \
        if organisation_id else None
    return selectors.case_list(user=user, kind=kind, status=status.value if status else None, q=_search(q),
                               category=_category_or_400(category), overdue=overdue,
                               division_path=division_obj.path if division_obj else None,
                               org_path=org.path if org else None)


@router.get("/cases/inbox", response=list[CaseOut], summary="待办事项(承办单位)",
            description="本单位及下级单位承办、尚未答复的事项,期限最近的在前;state 可选 dispatched/accepted/handled")
@paginate(PagePagination)
def list_inbox(request, state: Literal["dispatched", "accepted", "handled"] | None = None):
    require_module(request, roles.M_CASES_HANDLE)
    return selectors.inbox(user=request.auth, state=state)


@router.get("/cases/queue", response=list[CaseOut], summary="待分派事项(分派人员)",
            description="没有分派规则覆盖、被退回或重新办理而没有承办单位的事项")
@paginate(PagePagination)
def list_queue(request):
    require_module(request, roles.M_CASES_DISPATCH)
    return selectors.queue(user=request.auth)


@router.get("/cases/extensions", response=list[CaseOut], summary="待审批的延期申请(分派人员)")
@paginate(PagePagination)
def list_extensions(request):
    require_module(request, roles.M_CASES_DISPATCH)
    return selectors.pending_extensions(user=request.auth)


@router.get("/cases/callbacks", response=list[CaseOut], summary="待回访评价的事项(分派人员)",
            description="已答复、提交人没有登录账号(座谈会、电话录入)的事项")
@paginate(PagePagination)
def list_callbacks(request):
    require_module(request, roles.M_CASES_DISPATCH)
    return selectors.awaiting_callback(user=request.auth)


@router.get("/cases/overdue", response=list[CaseOut], summary="超期事项")
@paginate(PagePagination)
def list_overdue(request):
    require_module(request, roles.M_CASES_SUPERVISE)
    return selectors.overdue_cases(user=request.auth)


@router.get("/cases/supervisions", response=list[SupervisionOut], summary="超期督办",
            description="默认只列未解除的督办;open_only=false 含已解除的")
@paginate(PagePagination)
def list_supervisions(request, open_only: bool = True):
    require_module(request, roles.M_CASES_SUPERVISE)
    return selectors.supervisions(user=request.auth, open_only=open_only)


@router.get("/cases/rates", response=RatesOut, summary="响应率、解决率、满意率",
            description="期间 [start, end](按提交日期,含两端;默认本年初至今天)内提交的事项。"
                        "响应率=按期受理/应受理,解决率=已答复/提交,满意率=满意与基本满意/已评价。"
                        "by:division 按下级区划、organisation 按承办单位、category 按分类、month 按月分组")
def get_rates(request, start: dt.date | None = None, end: dt.date | None = None, kind: states.CaseKind | None = None,
              division: str | None = Query(None, max_length=DIVISION_CODE_MAX), organisation_id: IdFilter = None,
              category: str | None = Query(None, max_length=CODE_MAX), by: By | None = None):
    user = request.auth
    require_module(request, roles.M_CASES_FIGURES)
    start, end = _rates_period(start, end)
    division_obj = _division_or_400(division, "division")
    org = referenced_or_400(Organisation, user, "organisation_id", "单位", pk=organisation_id) \
        if organisation_id else None
    filters = {"kind": kind.value if kind else None, "category": _category_or_400(category),
               "division_path": division_obj.path if division_obj else None, "org_path": org.path if org else None}
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    now = timezone.now()
    totals = selectors.rates(user=user, start=since, end=until, now=now, **filters)
    breakdown = None
    if by:
        breakdown = [{"label": label, **_figures(r)}
                     for label, r in selectors.rates_by(user=user, start=since, end=until, by=by, now=now, **filters)]
    return {"start": start, "end": end, "by": by, "breakdown": breakdown, **_figures(totals)}


# --- one case -------------------------------------------------------------------------------------------

@router.get("/cases/{int:case_id}", response=CaseDetailOut, summary="事项详情(含流转记录和附件)")
def get_case(request, case_id: int):
    require_module(request, roles.M_CASES)
    return selectors.case_get(user=request.auth, pk=case_id)


@router.get("/cases/attachments/{int:attachment_id}", summary="事项附件", url_name="cases_attachment",
            openapi_extra={"responses": {"200": {"description": "附件文件", "content": {
                "image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {}}}}})
def get_attachment(request, attachment_id: int):
    require_module(request, roles.M_CASES)
    attachment = get_visible_or_404(Attachment, request.auth, pk=attachment_id)
    return uploads.file_response(attachment.file, filename=attachment.original_name or f"attachment-{attachment.pk}")


# --- filing ---------------------------------------------------------------------------------------------

_FILE_DESCRIPTION = (
    "从业人员提交诉求、网格员上报事件(kind=incident)、工作人员录入座谈会或电话收集的诉求、建立整改事项,"
    "或任何登录用户匿名提交(anonymous=true,应答中返回一次性查询码)。按分派规则自动交给承办单位,否则进入待分派。"
    "幂等:带 client_key 的请求重复发送只登记一次,重复的请求得到原事项,状态码 200、created=false"
    "(首次为 201);匿名提交的查询码只在首次应答中出现。")


@router.post("/cases", response={201: CaseFiledOut, 200: CaseFiledOut}, summary="提交事项",
             description=_FILE_DESCRIPTION + "附件请用 POST /cases/upload(multipart)"
                                             "或 POST /cases/{id}/comments/upload。")
def create_case(request, payload: CaseIn):
    return _file(request, payload)


@router.post("/cases/upload", response={201: CaseFiledOut, 200: CaseFiledOut}, summary="提交事项(multipart,含附件)",
             description=_FILE_DESCRIPTION + f"表单字段同 POST /cases,另加 files:最多{states.MAX_ATTACHMENTS}个"
                                             "JPEG、PNG、WebP 图片或 PDF(按文件内容判断),图片去除EXIF等元数据后保存。")
def create_case_with_files(request, payload: Form[CaseIn], files: File[list[UploadedFile]] = None):
    return _file(request, payload, files)


# --- transitions ----------------------------------------------------------------------------------------

@router.post("/cases/{int:case_id}/dispatch", response=TRANSITION, summary="分派")
def dispatch_case(request, case_id: int, payload: DispatchIn):
    return _step(request, case_id, roles.M_CASES_DISPATCH, services.case_dispatch, version=payload.version,
                 comment=payload.comment,
                 refs={"organisation": (Organisation, "organisation_id", "承办单位", payload.organisation_id)})


@router.post("/cases/{int:case_id}/accept", response=TRANSITION, summary="受理")
def accept_case(request, case_id: int, payload: CommentIn):
    return _step(request, case_id, roles.M_CASES_HANDLE, services.case_accept, version=payload.version,
                 comment=payload.comment)


@router.post("/cases/{int:case_id}/return", response=TRANSITION, summary="退回(非本单位职责)",
             description="事项回到待分派")
def return_case(request, case_id: int, payload: ReasonIn):
    return _step(request, case_id, roles.M_CASES_HANDLE, services.case_return, version=payload.version,
                 reason=payload.reason)


@router.post("/cases/{int:case_id}/transfer", response=TRANSITION, summary="转办",
             description="交给另一承办单位,期限重新计算")
def transfer_case(request, case_id: int, payload: TransferIn):
    return _step(request, case_id, roles.M_CASES_DISPATCH, services.case_transfer, version=payload.version,
                 reason=payload.reason,
                 refs={"organisation": (Organisation, "organisation_id", "承办单位", payload.organisation_id)})


@router.post("/cases/{int:case_id}/handle", response=TRANSITION, summary="办理(填写办理结果)")
def handle_case(request, case_id: int, payload: ResultIn):
    return _step(request, case_id, roles.M_CASES_HANDLE, services.case_handle, version=payload.version,
                 result=payload.result)


@router.post("/cases/{int:case_id}/reply", response=TRANSITION, summary="答复提交人")
def reply_case(request, case_id: int, payload: ReplyIn):
    return _step(request, case_id, roles.M_CASES_HANDLE, services.case_reply, version=payload.version,
                 reply=payload.reply)


@router.post("/cases/{int:case_id}/rate", response=TRANSITION, summary="评价(提交人)",
             description="评价后事项办结;不满意须说明原因,可在办结15天内申请重新办理一次")
def rate_case(request, case_id: int, payload: RateIn):
    return _step(request, case_id, roles.M_CASES, services.case_rate, version=payload.version,
                 rating=payload.rating.value, comment=payload.comment)


@router.post("/cases/{int:case_id}/callback", response=TRANSITION, summary="录入回访评价(分派人员)",
             description="仅用于提交人没有登录账号的事项(座谈会、电话录入)")
def callback_case(request, case_id: int, payload: CallbackIn):
    return _step(request, case_id, roles.M_CASES_DISPATCH, services.case_callback, version=payload.version,
                 rating=payload.rating.value, comment=payload.comment)


@router.post("/cases/{int:case_id}/reopen", response=TRANSITION, summary="申请重新办理",
             description="评价为不满意、办结15天内,限一次;交回原承办单位")
def reopen_case(request, case_id: int, payload: ReasonIn):
    return _step(request, case_id, roles.M_CASES, services.case_reopen, version=payload.version,
                 reason=payload.reason)


@router.post("/cases/{int:case_id}/merge", response=TRANSITION, summary="合并重复事项",
             description="本事项并入 into_id,提交人随后关注保留的事项")
def merge_case(request, case_id: int, payload: MergeIn):
    return _step(request, case_id, roles.M_CASES_DISPATCH, services.case_merge, version=payload.version,
                 comment=payload.comment, refs={"into": (Case, "into_id", "要并入的事项", payload.into_id)})


@router.post("/cases/{int:case_id}/extension", response=TRANSITION, summary="申请延期(承办单位)")
def request_extension(request, case_id: int, payload: ExtensionIn):
    return _step(request, case_id, roles.M_CASES_HANDLE, services.case_request_extension, version=payload.version,
                 days=payload.days, reason=payload.reason)


@router.post("/cases/{int:case_id}/extension/decision", response=TRANSITION, summary="审批延期(分派人员)",
             description="同意则答复期限顺延所申请的工作日;不同意须说明理由")
def decide_extension(request, case_id: int, payload: DecisionIn):
    return _step(request, case_id, roles.M_CASES_DISPATCH, services.case_decide_extension, version=payload.version,
                 approve=payload.approve, comment=payload.comment)


@router.post("/cases/{int:case_id}/comments", response=TRANSITION, summary="补充说明",
             description="提交人补充情况,或承办单位、分派人员记录进展;不改变状态")
def comment_case(request, case_id: int, payload: NoteIn):
    return _step(request, case_id, roles.M_CASES, services.case_comment, comment=payload.comment)


@router.post("/cases/{int:case_id}/comments/upload", response=TRANSITION, summary="补充说明(multipart,含附件)",
             description=f"表单字段 comment,另加 files:最多{states.MAX_ATTACHMENTS}个 JPEG、PNG、WebP 图片或 PDF"
                         "(按文件内容判断),图片去除EXIF等元数据后保存")
def comment_case_with_files(request, case_id: int, payload: Form[NoteUploadIn],
                            files: File[list[UploadedFile]] = None):
    require_module(request, roles.M_CASES)
    case = selectors.case_get(user=request.auth, pk=case_id)  # 404 before the files are read
    cleaned = _attachments(files)
    with _refusals():
        return services.case_comment(actor=request.auth, case=case, comment=payload.comment, attachments=cleaned,
                                     source="api")


# --- notifications --------------------------------------------------------------------------------------

@router.get("/notifications", response=list[NotificationOut], summary="站内消息",
            description="本人的消息,最新的在前;unread=true 只看未读")
@paginate(PagePagination)
def list_notifications(request, unread: bool = False):
    require_module(request, roles.M_CASES)
    return selectors.notifications(user=request.auth, unread_only=unread)


@router.post("/notifications/read", response=ReadOut, summary="标记消息已读")
def read_notifications(request, payload: ReadIn):
    require_module(request, roles.M_CASES)
    marked = services.mark_read(user=request.auth, ids=payload.ids)
    return {"marked": marked, "unread": services.unread_count(request.auth)}


# --- configuration --------------------------------------------------------------------------------------

@router.get("/cases/routing-rules", response=list[RoutingRuleOut], summary="分派规则",
            description="分类 × 区划 → 承办单位;最具体的规则生效(分类最深,其次区划最深)")
@paginate(PagePagination)
def list_routing_rules(request):
    require_module(request, roles.M_CASES_DISPATCH)
    return selectors.routing_rules(user=request.auth)


@router.post("/cases/routing-rules", response={201: RoutingRuleOut}, summary="新增分派规则",
             description="同一分类和区划只能有一条启用的规则")
def create_routing_rule(request, payload: RoutingRuleIn):
    user = request.auth
    require_module(request, roles.M_CASES_DISPATCH)
    category = _category_or_400(payload.category)
    division = referenced_or_400(Division, user, "division_code", "适用区划", code=payload.division_code)
    organisation = (referenced_or_400(Organisation, user, "organisation_id", "承办单位", pk=payload.organisation_id)
                    if payload.organisation_id else None)
    with _refusals():
        rule = services.routing_rule_save(actor=user, category=category, division=division,
                                          target=payload.target.value, organisation=organisation, note=payload.note)
    return Status(201, rule)


@router.delete("/cases/routing-rules/{int:rule_id}", response={204: None}, summary="停用分派规则",
               description="规则停用而不删除,已分派事项的记录仍指向它")
def delete_routing_rule(request, rule_id: int):
    user = request.auth
    require_module(request, roles.M_CASES_DISPATCH)
    rule = get_visible_or_404(selectors.routing_rules(user=user), user, pk=rule_id)
    with _refusals():
        services.routing_rule_delete(actor=user, rule=rule)
    return Status(204, None)


@router.get("/cases/seminars", response=list[SeminarOut], summary="座谈会")
@paginate(PagePagination)
def list_seminars(request):
    require_module(request, roles.M_SEMINARS)
    return selectors.seminars(user=request.auth)


@router.post("/cases/seminars", response={201: SeminarOut}, summary="登记座谈会",
             description="收集的诉求以 seminar_id 通过 POST /cases 录入")
def create_seminar(request, payload: SeminarIn):
    user = request.auth
    require_module(request, roles.M_SEMINARS)
    division = referenced_or_400(Division, user, "division_code", "所在区划", code=payload.division_code)
    organiser_id = payload.organiser_id or user.organisation_id
    if organiser_id is None:
        raise ValidationError({"organiser_id": "请指定组织单位"})
    organiser = referenced_or_400(Organisation, user, "organiser_id", "组织单位", pk=organiser_id)
    with _refusals():
        seminar = services.seminar_create(actor=user, level=payload.level.value, title=payload.title,
                                          held_on=payload.held_on, place=payload.place, division=division,
                                          organiser=organiser, attendee_count=payload.attendee_count,
                                          attendees=payload.attendees)
    return Status(201, selectors.seminars(user=user).filter(pk=seminar.pk).first() or seminar)
