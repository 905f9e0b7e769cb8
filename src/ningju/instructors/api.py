import datetime as dt
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from ningju.accounts.models import User
from ningju.api.auth import require_module
from ningju.api.errors import referenced_or_400
from ningju.api.pagination import PagePagination
from ningju.api.params import IdFilter
from ningju.core import roles, uploads
from ningju.orgs.models import Organisation

from . import selectors, services
from .models import Instructor

router = Router(tags=["党建指导员"])

# Services name model fields; requests name the references with _id.
_FIELDS = {"appointed_by": "appointed_by_id", "user": "user_id", "organisation": "organisation_id",
           "instructor": "instructor_id", "__all__": ""}


@contextmanager
def _api_fields():
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({_FIELDS.get(k, k): v for k, v in exc.message_dict.items()}) from None
        raise


# --- schemas -----------------------------------------------------------------------------------------

class AssignmentOut(Schema):
    id: int
    instructor_id: int
    instructor_name: str
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    assigned_on: dt.date
    ended_on: dt.date | None
    active: bool

    @staticmethod
    def resolve_instructor_name(obj):
        return obj.instructor.name

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_organisation_kind(obj):
        return obj.organisation.kind

    @staticmethod
    def resolve_active(obj):
        return obj.ended_on is None


class InstructorOut(Schema):
    id: int
    name: str
    phone: str = Field(..., description="手机号;无权查看敏感信息的角色得到脱敏值")
    title: str
    appointed_by_id: int
    appointed_by_name: str
    user_id: int | None = Field(None, description="关联的登录账号")
    active: bool = Field(..., description="在岗")
    active_assignments: int = Field(..., description="在指导的企业/站点数(按调用者可见范围统计)")
    last_visit_on: dt.date | None = Field(None, description="最近走访日期(按调用者可见范围)")
    created_at: dt.datetime

    @staticmethod
    def resolve_phone(obj, context):
        return selectors.shown_phone(context["request"].auth, obj)

    @staticmethod
    def resolve_appointed_by_name(obj):
        return obj.appointed_by.name


class InstructorDetailOut(InstructorOut):
    assignments: list[AssignmentOut]

    @staticmethod
    def resolve_assignments(obj, context):
        return list(selectors.assignment_list(user=context["request"].auth, instructor=obj))


class InstructorIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    phone: str = Field("", max_length=20)
    title: str = Field("", max_length=100)
    appointed_by_id: int | None = Field(None, description="选派单位;缺省为调用者所在组织")
    create_account: bool = Field(False, description="同时开通登录账号(角色为党建指导员,手机号为登录名)")
    password: str | None = Field(None, max_length=128, description="开通账号时的初始密码")
    user_id: int | None = Field(None, description="关联已有的指导员账号(与 create_account 二选一)")


class InstructorPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    phone: str | None = Field(None, max_length=20)
    title: str | None = Field(None, max_length=100)
    appointed_by_id: int | None = None
    user_id: int | None = Field(None, description="关联已有的指导员账号(仅在尚未关联时)")
    active: bool | None = Field(None, description="false:离岗(结束全部在指导的选派);true:恢复在岗")


class AssignmentIn(Schema):
    organisation_id: int = Field(..., description="平台企业或站点")
    assigned_on: dt.date | None = Field(None, description="选派日期,缺省为今天;不能晚于今天")


class AssignmentEndIn(Schema):
    ended_on: dt.date | None = Field(None, description="结束日期,缺省为今天")


class VisitOut(Schema):
    id: int
    instructor_id: int
    instructor_name: str
    organisation_id: int
    organisation_name: str
    visited_on: dt.date
    notes: str
    has_photo: bool
    photo_url: str | None = Field(None, description="照片地址(需同样的认证,按范围校验)")
    created_by_name: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_instructor_name(obj):
        return obj.instructor.name

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_has_photo(obj):
        return bool(obj.photo)

    @staticmethod
    def resolve_photo_url(obj):
        return reverse("api:instructors_visit_photo", kwargs={"visit_id": obj.pk}) if obj.photo else None

    @staticmethod
    def resolve_created_by_name(obj):
        return obj.created_by.name if obj.created_by_id else None


class VisitIn(Schema):
    instructor_id: int | None = Field(None, description="指导员;指导员本人记录时可省略")
    organisation_id: int = Field(..., description="被走访的企业/站点(须是该指导员在指导的单位)")
    visited_on: dt.date = Field(..., description="走访日期,不能晚于今天")
    notes: str = Field(..., min_length=1, max_length=4000)


# --- helpers -----------------------------------------------------------------------------------------

def _instructor_refs(request, data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if key == "appointed_by_id":
            out["appointed_by"] = (referenced_or_400(Organisation, request.auth, key, "选派单位", pk=value)
                                   if value is not None else None)
        elif key == "user_id":
            out["user"] = (referenced_or_400(User, request.auth, key, "登录账号", pk=value)
                           if value is not None else None)
        elif key in ("title", "phone") and value is None:
            out[key] = ""
        else:
            out[key] = value
    return out


def _visit_refs(request, payload: VisitIn) -> dict:
    user = request.auth
    if payload.instructor_id is not None:
        instructor = referenced_or_400(Instructor, user, "instructor_id", "指导员", pk=payload.instructor_id)
    else:
        instructor = selectors.own_instructor(user)
        if instructor is None:
            raise ValidationError({"instructor_id": "请指定指导员"})
    services.check_may_record_visit(user, instructor)  # 403 before anything about the unit is told
    organisation = referenced_or_400(Organisation, user, "organisation_id", "企业/站点", pk=payload.organisation_id)
    return {"instructor": instructor, "organisation": organisation, "visited_on": payload.visited_on,
            "notes": payload.notes}


# --- instructors -------------------------------------------------------------------------------------

@router.get("/instructors", response=list[InstructorOut], summary="党建指导员列表",
            description="q:姓名、职务或选派单位包含;active:在岗(true)或已离岗(false)")
@paginate(PagePagination)
def list_instructors(request, q: str | None = None, active: bool | None = None,
                     appointed_by_id: IdFilter = None):
    require_module(request, roles.M_INSTRUCTORS)
    return selectors.instructor_list(user=request.auth, q=q, active=active, appointed_by_id=appointed_by_id)


@router.get("/instructors/{int:instructor_id}", response=InstructorDetailOut, summary="党建指导员详情(含选派)")
def get_instructor(request, instructor_id: int):
    require_module(request, roles.M_INSTRUCTORS)
    return selectors.instructor_get(user=request.auth, pk=instructor_id)


@router.post("/instructors", response={201: InstructorDetailOut}, summary="登记党建指导员")
def create_instructor(request, payload: InstructorIn):
    require_module(request, roles.M_INSTRUCTORS_MANAGE)
    data = payload.model_dump()
    if data["appointed_by_id"] is None:
        data["appointed_by_id"] = request.auth.organisation_id
        if data["appointed_by_id"] is None:
            raise ValidationError({"appointed_by_id": "请指定选派单位"})
    fields = _instructor_refs(request, data)
    fields["password"] = fields.get("password") or ""
    with _api_fields():
        instructor = services.instructor_create(actor=request.auth, source="api", **fields)
    return Status(201, selectors.instructor_get(user=request.auth, pk=instructor.pk))


@router.patch("/instructors/{int:instructor_id}", response=InstructorDetailOut, summary="修改党建指导员",
              description="active=false 即离岗:结束其全部在指导的选派并收回账号的查看范围;active=true 恢复在岗。")
def update_instructor(request, instructor_id: int, payload: InstructorPatch):
    require_module(request, roles.M_INSTRUCTORS_MANAGE)
    instructor = selectors.instructor_get(user=request.auth, pk=instructor_id)
    data = payload.model_dump(exclude_unset=True)
    active = data.pop("active", None)
    fields = _instructor_refs(request, data)
    with _api_fields(), transaction.atomic():
        if fields:
            instructor = services.instructor_update(actor=request.auth, instructor=instructor, source="api", **fields)
        if active is False and instructor.active:
            services.instructor_deactivate(actor=request.auth, instructor=instructor, source="api")
        elif active is True and not instructor.active:
            services.instructor_reactivate(actor=request.auth, instructor=instructor, source="api")
    return selectors.instructor_get(user=request.auth, pk=instructor_id)


# --- assignments -------------------------------------------------------------------------------------

@router.post("/instructors/{int:instructor_id}/assignments", response={201: AssignmentOut},
             summary="选派指导员到企业/站点",
             description="指导员账号随即获得该单位的查看范围,该单位计入组织覆盖。")
def create_assignment(request, instructor_id: int, payload: AssignmentIn):
    require_module(request, roles.M_INSTRUCTORS_MANAGE)
    instructor = selectors.instructor_get(user=request.auth, pk=instructor_id)
    organisation = referenced_or_400(Organisation, request.auth, "organisation_id", "企业/站点",
                                     pk=payload.organisation_id)
    with _api_fields():
        assignment = services.assignment_create(actor=request.auth, instructor=instructor, organisation=organisation,
                                                assigned_on=payload.assigned_on, source="api")
    return Status(201, assignment)


@router.post("/assignments/{int:assignment_id}/end", response=AssignmentOut, summary="结束选派",
             description="收回指导员账号对该单位的查看范围(除非另有在指导的选派),并重新计算覆盖。")
def end_assignment(request, assignment_id: int, payload: AssignmentEndIn):
    require_module(request, roles.M_INSTRUCTORS_MANAGE)
    assignment = selectors.assignment_get(user=request.auth, pk=assignment_id)
    with _api_fields():
        return services.assignment_end(actor=request.auth, assignment=assignment, ended_on=payload.ended_on,
                                       source="api")


# --- visits ------------------------------------------------------------------------------------------

@router.get("/visits", response=list[VisitOut], summary="走访记录列表")
@paginate(PagePagination)
def list_visits(request, instructor_id: IdFilter = None, organisation_id: IdFilter = None):
    require_module(request, roles.M_INSTRUCTORS)
    return selectors.visit_list(user=request.auth, instructor_id=instructor_id, organisation_id=organisation_id)


@router.post("/visits", response={201: VisitOut}, summary="记录走访(JSON,不含照片)",
             description="由被选派的指导员本人或组织部门工作人员记录;照片请用 POST /visits/upload(multipart)。")
def create_visit(request, payload: VisitIn):
    require_module(request, roles.M_INSTRUCTORS)
    fields = _visit_refs(request, payload)
    with _api_fields():
        visit = services.visit_create(actor=request.auth, source="api", **fields)
    return Status(201, visit)


@router.post("/visits/upload", response={201: VisitOut}, summary="记录走访(multipart,含照片)",
             description="表单字段同 POST /visits,另加 photo:JPEG、PNG 或 WebP 图片(按文件内容判断),不超过5MB;"
                         "保存前重新编码,去除EXIF(含GPS位置)等元数据。")
def create_visit_with_photo(request, payload: Form[VisitIn], photo: File[UploadedFile]):
    require_module(request, roles.M_INSTRUCTORS)
    fields = _visit_refs(request, payload)
    with _api_fields():
        visit = services.visit_create(actor=request.auth, source="api", photo=photo, **fields)
    return Status(201, visit)


@router.get("/visits/{int:visit_id}", response=VisitOut, summary="走访记录详情")
def get_visit(request, visit_id: int):
    require_module(request, roles.M_INSTRUCTORS)
    return selectors.visit_get(user=request.auth, pk=visit_id)


@router.get("/visits/{int:visit_id}/photo", summary="走访照片", url_name="instructors_visit_photo",
            openapi_extra={"responses": {"200": {"description": "照片文件", "content": {
                "image/jpeg": {}, "image/png": {}, "image/webp": {}}}}})
def get_visit_photo(request, visit_id: int):
    require_module(request, roles.M_INSTRUCTORS)
    visit = selectors.visit_get(user=request.auth, pk=visit_id)
    return uploads.file_response(visit.photo, filename=f"visit-{visit.pk}")
