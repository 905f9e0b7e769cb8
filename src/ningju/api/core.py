import datetime as dt

from django.contrib.auth import authenticate
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from ningju.accounts import services as account_services
from ningju.core import roles
from ningju.core.audit import action_label
from ningju.core.models import AuditEntry

from .auth import require_module
from .errors import ApiError
from .pagination import PagePagination

router = Router(tags=["账号与审计"])


class TokenIn(Schema):
    phone: str = Field(..., min_length=1, max_length=20)
    password: str = Field(..., min_length=1, max_length=128)
    name: str = Field("API", max_length=100)


class ErrorDetail(Schema):
    code: str
    message: str
    fields: list[dict]


class ErrorOut(Schema):
    error: ErrorDetail


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime | None


class MeOut(Schema):
    id: int
    name: str
    phone: str
    role: str
    role_label: str
    organisation_id: int | None
    modules: list[str]

    @staticmethod
    def resolve_modules(obj):
        if obj.is_superuser:
            return sorted({m for r in roles.ROLES.values() for m in r.modules})
        return sorted(obj.role_obj.modules) if obj.role_obj else []


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor_label: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    source: str

    @staticmethod
    def resolve_action_label(obj):
        return action_label(obj.action)

    @staticmethod
    def resolve_object_type(obj):
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


@router.post("/auth/token", auth=None, response={201: TokenOut, 401: ErrorOut, 429: ErrorOut},
             summary="以手机号和密码换取API令牌")
def create_token(request, payload: TokenIn):
    user = authenticate(request, username=payload.phone, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise ApiError(429, "locked_out", "登录失败次数过多,请15分钟后再试")
    if user is None:
        raise ApiError(401, "invalid_login", "手机号或密码不正确")
    token, raw = account_services.token_create(user=user, name=payload.name)
    return Status(201, {"token": raw, "expires_at": token.expires_at})


@router.get("/me", response=MeOut, summary="当前账号")
def me(request):
    return request.auth


@router.get("/audit", response=list[AuditOut], summary="审计日志")
@paginate(PagePagination)
def list_audit(request, action: str | None = None, object_type: str | None = None, object_id: str | None = None):
    require_module(request, roles.M_AUDIT)
    qs = AuditEntry.objects.visible_to(request.auth).select_related("content_type")
    if action:
        qs = qs.filter(action=action)
    if object_type and "." in object_type:
        app_label, model = object_type.split(".", 1)
        qs = qs.filter(content_type__app_label=app_label, content_type__model=model)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs.order_by("-at", "-id")
