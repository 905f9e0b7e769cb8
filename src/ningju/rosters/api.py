import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ningju.api.auth import require_module
from ningju.api.pagination import PagePagination
from ningju.core import roles

from . import services
from .models import RosterImport
from .parsing import MAX_BYTES, MAX_ROWS
from .selectors import import_get, import_list, importable_get

router = Router(tags=["花名册"])

_MAX_ID = 2**63 - 1


class RowErrorOut(Schema):
    row: int | None = Field(..., description="表格行号(第1行为表头);null 表示整个文件的问题")
    column: str = Field(..., description="列名;空表示整行或整个文件")
    message: str


class RosterImportOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    file_name: str
    file_sha256: str
    uploaded_by_id: int | None
    uploaded_by_name: str | None
    uploaded_at: dt.datetime
    status: RosterImport.Status = Field(..., description="succeeded:已导入;failed:有错误,未导入任何人员")
    status_label: str
    rows_total: int = Field(..., description="数据行数(不含表头和空行)")
    created_count: int
    updated_count: int
    unchanged_count: int
    error_count: int
    source: str

    @staticmethod
    def resolve_organisation_name(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_uploaded_by_name(obj):
        return obj.uploaded_by.name if obj.uploaded_by_id else None

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

    @staticmethod
    def resolve_error_count(obj):
        return len(obj.errors)


class RosterImportDetailOut(RosterImportOut):
    errors: list[RowErrorOut]


class RosterImportIn(Schema):
    organisation_id: int = Field(..., ge=1, le=_MAX_ID, description="导入到的平台企业或站点(须在管辖范围内)")


def _field(e: dict) -> str:
    if e["row"] is None:
        return "文件"
    return f"第{e['row']}行 {e['column']}" if e["column"] else f"第{e['row']}行"


def _refused(record: RosterImport) -> ValidationError:
    """The row errors as the API's field errors: {"field": "第3行 身份证号", "message": ...}."""
    fields: dict[str, list[str]] = {
        "__all__": [f"花名册有 {len(record.errors)} 处错误,未导入任何人员(导入记录 #{record.pk})"]}
    for e in record.errors:
        fields.setdefault(_field(e), []).append(e["message"])
    return ValidationError(fields)


@router.post("/rosters", response={201: RosterImportDetailOut}, summary="导入花名册(multipart)",
             description=f"表单字段 organisation_id 与 file(.xlsx 或 .csv,UTF-8 或 GBK;不超过 "
                         f"{MAX_BYTES // (1024 * 1024)} MB、{MAX_ROWS:,} 行)。列:姓名、身份证号、手机号、职业、政治面貌"
                         "(必填),入职日期、居住地区划代码(选填)。全部行通过校验才写入:已登记的人员按身份证号更新,"
                         "其余新增。有任何错误时返回 400,fields 逐条列出“第N行 列名”的错误,导入记录(含错误)仍保存,"
                         "可用 GET /rosters/{id} 查看。")
def create_import(request, payload: Form[RosterImportIn], file: File[UploadedFile]):
    require_module(request, roles.M_ROSTERS)
    organisation = importable_get(user=request.auth, pk=payload.organisation_id)
    if file.size is not None and file.size > MAX_BYTES:
        raise ValidationError({"file": f"文件超过 {MAX_BYTES // (1024 * 1024)} MB,请拆分为多个文件分别导入"})
    record = services.roster_import(actor=request.auth, organisation=organisation, file_name=file.name or "",
                                    content=file.read(), source="api")
    if record.status == RosterImport.Status.FAILED:
        raise _refused(record)
    return Status(201, record)


@router.get("/rosters", response=list[RosterImportOut], summary="花名册导入记录",
            description="按调用者的管辖范围过滤,最新的在前")
@paginate(PagePagination)
def list_imports(request, status: RosterImport.Status | None = None,
                 organisation_id: int | None = Query(None, ge=1, le=_MAX_ID)):
    require_module(request, roles.M_ROSTERS)
    return import_list(user=request.auth, status=status, organisation_id=organisation_id)


@router.get("/rosters/{int:import_id}", response=RosterImportDetailOut, summary="花名册导入详情(含错误)")
def get_import(request, import_id: int):
    require_module(request, roles.M_ROSTERS)
    return import_get(user=request.auth, pk=import_id)
