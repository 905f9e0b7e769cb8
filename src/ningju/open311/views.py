"""Open311 GeoReport v2 at ``/open311/v2/``: plain Django views, because the spec wants format suffixes
(``services.xml`` / ``services.json``) and its own error documents (``<errors><error><code/><description/>``).

Authentication is the ``api_key`` parameter (an API token from the account page), never the browser session:
so the POST is CSRF-exempt. See open311/README.md for the decisions (services, scoping, idempotency, limits).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from ningju.accounts.models import hash_token
from ningju.accounts.services import token_user

from . import params, selectors, services
from .params import Open311Error
from .serializers import (
    definition_record,
    render,
    render_errors,
    request_record,
    service_record,
    submitted_record,
    token_record,
)


def open311(*methods: str):
    """Answer refusals in the spec's format, in the format the caller asked for (XML unless ``.json``)."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str = "xml", **kwargs):
            if request.method not in methods:
                response = render_errors(fmt, 405, [f"该接口不支持 {request.method} 方法"])
                response["Allow"] = ", ".join(methods)
                return response
            try:
                jurisdiction = (request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
                ours = selectors.jurisdiction_id()
                if jurisdiction and jurisdiction != ours:
                    raise Open311Error(404, f"jurisdiction_id {jurisdiction} 不存在(本平台为 {ours})")
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return render_errors(fmt, exc.status, exc.messages)
            except Http404 as exc:
                return render_errors(fmt, 404, [str(exc) or "不存在"])
        return wrapper
    return decorator


def _api_key(request) -> str:
    return (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()


def _user(request, *, required: bool):
    """The login of the ``api_key``; None without one (the public view) unless ``required``."""
    raw = _api_key(request)
    if not raw:
        if required:
            raise Open311Error(403, "缺少 api_key(在“我的”页面创建API令牌)")
        if is_ratelimited(request, group="open311.read", key="ip", rate=settings.NINGJU_OPEN311_READ_RATE,
                          increment=True):
            raise Open311Error(429, "查询过于频繁,请稍后再试")
        return None
    user = token_user(raw)
    if user is None:
        raise Open311Error(403, "api_key 无效、已过期或已撤销")
    return user


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m if field == NON_FIELD_ERRORS else f"{field}:{m}"
                for field, errors in exc.message_dict.items() for m in errors]
    return exc.messages


@open311("GET")
def service_list(request, fmt):
    return render(fmt, "services", "service", [service_record(c) for c in selectors.services()])


@open311("GET")
def service_definition(request, code, fmt):
    category = selectors.service(code)
    if category is None:
        raise Open311Error(404, f"service_code {code} 不存在")
    return render(fmt, "service_definition", None, definition_record(category))


@csrf_exempt
@open311("GET", "POST")
def request_list(request, fmt):
    if request.method == "POST":
        return _submit(request, fmt)
    user = _user(request, required=False)
    filters = params.request_filters(request.GET, now=timezone.now())
    cases = selectors.requests(user=user, filters=filters)
    return render(fmt, "service_requests", "request", [request_record(c, full=user is not None) for c in cases])


def _submit(request, fmt):
    raw = _api_key(request)
    user = _user(request, required=True)
    if is_ratelimited(request, group="open311.post", key=lambda group, req: hash_token(raw),
                      rate=settings.NINGJU_OPEN311_POST_RATE, increment=True):
        raise Open311Error(429, "提交过于频繁,请稍后再试")
    data = request.POST
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "缺少 service_code")
    service = selectors.service(code)
    if service is None:
        raise Open311Error(400, f"service_code {code} 不存在或不接受提交")
    lat, lng = params.coordinates(data)
    attributes = params.attributes(data)
    media = request.FILES.getlist("media")
    if len(media) > 1:
        raise Open311Error(400, "media:一次只能上传一张图片")
    try:
        submitted = services.request_submit(
            user=user, service=service, description=data.get("description", ""), lat=lat, lng=lng,
            division_code=attributes.get("division_code") or data.get("address_id", ""),
            address_string=data.get("address_string", ""), phone=data.get("phone", ""),
            device_id=data.get("device_id", ""), request_key=attributes.get("request_key", ""),
            media=media[0] if media else None, ignored=tuple(f for f in services.NOT_KEPT if data.get(f)))
    except ValidationError as exc:
        raise Open311Error(400, *_messages(exc)) from None
    except PermissionDenied as exc:
        raise Open311Error(403, str(exc) or "当前账号无权提交") from None
    record = submitted_record(submitted.case, notice=submitted.notice, account_id=data.get("account_id", ""))
    return render(fmt, "service_requests", "request", [record])


@open311("GET")
def request_detail(request, number, fmt):
    user = _user(request, required=False)
    case = selectors.request_get(user=user, number=number)
    return render(fmt, "service_requests", "request", [request_record(case, full=user is not None)])


@open311("GET")
def token_detail(request, token, fmt):
    _user(request, required=False)  # an address that guesses tokens is held by the read limit
    case = selectors.request_by_token(token)
    return render(fmt, "service_requests", "request", [token_record(case)])


def not_found(request, path=""):
    fmt = "json" if path.endswith(".json") else "xml"
    return render_errors(fmt, 404, [f"没有这个接口:/open311/v2/{path}(格式后缀为 .xml 或 .json)"])
