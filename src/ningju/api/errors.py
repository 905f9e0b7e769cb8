"""One JSON error shape for the whole API.

    {"error": {"code": "validation_error", "message": "请求数据不合法", "fields": [{"field": "...", "message": "..."}]}}
"""

import functools

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []


def error_body(code: str, message: str, fields: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or []}}


# Services name model fields; the API's input schemas name the reference fields differently.
_API_FIELD = {"parent": "parent_id", "division": "division_code", "employer": "employer_id",
              "home_division": "home_division_code", "__all__": ""}


def _loc(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data")]
    return ".".join(parts) or "body"


# Pydantic's validation errors in the users' language, by error type; ``{...}`` comes from the error's context.
_PYDANTIC_MESSAGES = {
    "missing": "必填",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字", "decimal_type": "应为数字", "decimal_parsing": "应为数字",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本", "string_too_short": "至少{min_length}个字符",
    "string_too_long": "最多{max_length}个字符", "string_pattern_mismatch": "格式不正确",
    "greater_than": "应大于{gt}", "greater_than_equal": "不能小于{ge}",
    "less_than": "应小于{lt}", "less_than_equal": "不能大于{le}",
    "multiple_of": "应为{multiple_of}的倍数",
    "decimal_max_digits": "最多{max_digits}位数字", "decimal_max_places": "最多{decimal_places}位小数",
    "enum": "应为以下之一:{expected}", "literal_error": "应为以下之一:{expected}",
    "date_type": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_from_datetime_inexact": "应为日期,不含时间",
    "datetime_type": "时间格式应为 ISO 8601,如 2026-03-01T09:00:00+08:00",
    "datetime_parsing": "时间格式应为 ISO 8601,如 2026-03-01T09:00:00+08:00",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601,如 2026-03-01T09:00:00+08:00",
    "list_type": "应为数组", "too_short": "至少{min_length}项", "too_long": "最多{max_length}项",
    "dict_type": "应为对象", "model_type": "应为对象", "model_attributes_type": "应为对象",
    "uuid_type": "应为 UUID", "uuid_parsing": "应为 UUID",
    "json_invalid": "不是合法的JSON", "extra_forbidden": "不接受此字段",
}


def validation_message(error: dict) -> str:
    """The message of one pydantic error: ours for the known types, the validator's own text for ValueErrors
    raised by our schemas (already in Chinese), pydantic's text otherwise."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    template = _PYDANTIC_MESSAGES.get(kind)
    if template:
        try:
            return template.format(**ctx)
        except (KeyError, IndexError):
            return template.split("{")[0].rstrip(":") or error.get("msg", "")
    msg = str(error.get("msg", ""))
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def referenced_or_400(model, user, field: str, label: str, **lookup):
    """An object named in a request body: one the user may not see is a field error, not a 404."""
    from ningju.core.scoping import get_visible_or_404

    try:
        return get_visible_or_404(model, user, **lookup)
    except Http404:
        raise DjangoValidationError({field: f"{label}不存在或不在管辖范围内"}) from None


def _nul_locs(value, loc=()):
    """Where NUL characters are in validated input (PostgreSQL cannot store or even compare them)."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str):
        if "\x00" in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nul_locs(key, (*loc, key))
            yield from _nul_locs(item, (*loc, key))
    elif isinstance(value, list | tuple | set):
        for i, item in enumerate(value):
            yield from _nul_locs(item, (*loc, i))


def _reject_nul(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        locs = dict.fromkeys(_loc(loc) for loc in _nul_locs(kwargs))
        if locs:
            raise ApiError(400, "validation_error", "请求数据不合法",
                           [{"field": f, "message": "不能包含空字符(NUL)"} for f in locs])
        return view(request, *args, **kwargs)

    return wrapper


def install(api):
    api.add_decorator(_reject_nul)  # after validation, before any query

    @api.exception_handler(NinjaValidationError)
    def _validation(request, exc):
        fields = [{"field": _loc(e.get("loc", ())), "message": validation_message(e)} for e in exc.errors]
        return api.create_response(request, error_body("validation_error", "请求数据不合法", fields), status=400)

    @api.exception_handler(DjangoValidationError)
    def _domain_validation(request, exc):
        if hasattr(exc, "error_dict"):
            fields = [{"field": _API_FIELD.get(f, f), "message": m}
                      for f, msgs in exc.message_dict.items() for m in msgs]
        else:
            fields = [{"field": "", "message": m} for m in exc.messages]
        message = fields[0]["message"] if fields else "请求数据不合法"
        return api.create_response(request, error_body("invalid", message, fields), status=400)

    @api.exception_handler(AuthenticationError)
    def _auth(request, exc):
        return api.create_response(request, error_body("not_authenticated", "未登录或令牌无效"), status=401)

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return api.create_response(request, error_body("forbidden", str(exc) or "无权访问"), status=403)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, error_body("not_found", "对象不存在或无权查看"), status=404)

    @api.exception_handler(ApiError)
    def _api_error(request, exc):
        return api.create_response(request, error_body(exc.code, exc.message, exc.fields), status=exc.status)

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            message = "请求体不是合法的JSON"
            body = error_body("invalid_json", message, [{"field": "body", "message": message}])
            return api.create_response(request, body, status=400)
        if exc.status_code == 403 and "CSRF" in str(exc):
            return api.create_response(request, error_body("csrf_failed", "缺少或错误的CSRF令牌(使用浏览器会话时需要)"),
                                       status=403)
        return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)
