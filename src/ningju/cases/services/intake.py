"""Filing a case and sending it on its way: to the organisation a routing rule names, or to the queue.

One function, :func:`case_file`, serves every door: a worker on the phone, an anonymous filer, staff
entering a grievance collected at a seminar or by telephone, a grid member's incident report, the
Open311 endpoint, and other modules (supervision findings become rectification items).
"""

from __future__ import annotations

import datetime as dt
import decimal
import secrets
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ningju.core import audit, idcard, roles
from ningju.core.crypto import keyed_hash
from ningju.core.scoping import is_visible
from ningju.geo import selectors as geo_selectors
from ningju.geo.models import Division
from ningju.orgs.models import Organisation
from ningju.workdays import selectors as workdays

from ..models import Case, Category, Seminar
from ..states import TEXT_MAX, TITLE_MAX, Action, CaseKind, Priority, Source, Status
from . import notify, rules
from .flow import A_FILED, assign, attach, due_data, event, notify_assigned

# Doors open to the public: only public categories may be chosen there.
PUBLIC_SOURCES = (Source.ONLINE, Source.ANONYMOUS, Source.OPEN311, Source.GRID)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class FiledCase:
    case: Case
    query_code: str | None  # shown once to a filer without a login, to follow and rate the case
    created: bool  # False when the same request (client key) arrived again


def new_query_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def _source_for(*, actor, kind: str, anonymous: bool, seminar, source: str | None) -> str:
    """Which door the case comes through, refusing a caller who may not use it."""
    can = getattr(actor, "can", lambda m: False)
    if kind == CaseKind.RECTIFICATION:
        if not getattr(actor, "is_authenticated", False) or (not getattr(actor.role_obj, "staff", False) \
                and not actor.is_superuser):
            raise PermissionDenied("只有工作人员可以建立整改事项")
        return Source.SUPERVISION
    if kind == CaseKind.INCIDENT:
        if not can(roles.M_CASES_REPORT):
            raise PermissionDenied("只有网格员(含移动探头)可以上报事件")
        return Source.GRID
    if seminar is not None:
        if not can(roles.M_SEMINARS):
            raise PermissionDenied("当前角色无权录入座谈会诉求")
        return Source.SEMINAR
    if source == Source.OPEN311:
        return Source.OPEN311
    if anonymous:
        return Source.ANONYMOUS
    if can(roles.M_CASES_FILE):
        return Source.ONLINE
    if can(roles.M_CASES_DISPATCH):
        return Source.STAFF
    raise PermissionDenied("当前角色无权提交诉求")


def _coordinates(lat, lng) -> tuple[decimal.Decimal | None, decimal.Decimal | None]:
    if lat in (None, "") and lng in (None, ""):
        return None, None
    if lat in (None, "") or lng in (None, ""):
        raise ValidationError({"lat": "经纬度需要同时提供"})
    try:
        lat_d = decimal.Decimal(str(lat)).quantize(decimal.Decimal("0.000001"))
        lng_d = decimal.Decimal(str(lng)).quantize(decimal.Decimal("0.000001"))
    except (decimal.InvalidOperation, ValueError):
        raise ValidationError({"lat": "经纬度格式不正确"}) from None
    if not (-90 <= lat_d <= 90 and -180 <= lng_d <= 180):
        raise ValidationError({"lat": "经纬度超出取值范围"})
    if not geo_selectors.point_in_city(float(lat_d), float(lng_d)):
        raise ValidationError({"lat": "位置不在本市范围内,请在地图上重新选择"})
    return lat_d, lng_d


def _text(text: str, title: str) -> tuple[str, str]:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请填写具体内容"})
    if len(text) > TEXT_MAX:
        raise ValidationError({"text": f"内容不能超过{TEXT_MAX}字(当前{len(text)}字)"})
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"标题不能超过{TITLE_MAX}字"})
    if not title:
        first_line = " ".join(text.split())
        title = first_line[:30] + ("…" if len(first_line) > 30 else "")
    return text, title


def _category(category: Category | None, kind: str, source: str) -> Category:
    if category is None or not category.active:
        raise ValidationError({"category": "分类不存在或已停用"})
    if category.kind != kind:
        raise ValidationError({"category": f"分类“{category.name}”不属于{CaseKind(kind).label}"})
    if source in PUBLIC_SOURCES and not category.public:
        raise ValidationError({"category": "该分类不接受在线提交"})
    return category


def _existing(client_key: str, actor) -> FiledCase | None:
    if not client_key:
        return None
    case = Case.objects.filter(client_key=client_key).first()
    if case is None:
        return None
    if case.filer_id and case.filer_id != getattr(actor, "pk", None):
        raise ValidationError({"client_key": "请求标识重复,请刷新页面后重新提交"})
    return FiledCase(case=case, query_code=None, created=False)


def case_file(*, actor, kind: str, category: Category | None, text: str, division: Division | None,
              title: str = "", priority: str | None = None, lat=None, lng=None, address: str = "",
              anonymous: bool = False, filer_name: str = "", filer_phone: str = "", seminar: Seminar | None = None,
              source: str | None = None, client_key: str = "", attachments=(),
              organisation: Organisation | None = None, owner=None, reply_workdays: int | None = None,
              reviewer_org: Organisation | None = None, source_ref: str = "", at: dt.datetime | None = None,
              audit_source: str = "web") -> FiledCase:
    """File a case. The same ``client_key`` sent twice files it once (the second call returns the first)."""
    client_key = (client_key or "").strip()[:64]
    found = _existing(client_key, actor)
    if found:
        return found
    try:
        with transaction.atomic():
            return _file(actor=actor, kind=kind, category=category, text=text, division=division, title=title,
                         priority=priority, lat=lat, lng=lng, address=address, anonymous=anonymous,
                         filer_name=filer_name, filer_phone=filer_phone, seminar=seminar, source=source,
                         client_key=client_key, attachments=attachments, organisation=organisation, owner=owner,
                         reply_workdays=reply_workdays, reviewer_org=reviewer_org, source_ref=source_ref,
                         at=at or timezone.now(),
                         audit_source=audit_source)
    except IntegrityError:
        found = _existing(client_key, actor)  # the same request won a race against this one
        if found:
            return found
        raise


def _file(*, actor, kind, category, text, division, title, priority, lat, lng, address, anonymous, filer_name,
          filer_phone, seminar, source, client_key, attachments, organisation, owner, reply_workdays, reviewer_org,
          source_ref, at, audit_source) -> FiledCase:
    if kind not in CaseKind.values:
        raise ValidationError({"kind": "事项类型不正确"})
    source = _source_for(actor=actor, kind=kind, anonymous=anonymous, seminar=seminar, source=source)
    category = _category(category, kind, source)
    text, title = _text(text, title)
    if division is None:
        raise ValidationError({"division": "请选择所在区划"})
    staff_door = source in (Source.SEMINAR, Source.STAFF, Source.SUPERVISION)
    if staff_door and not is_visible(division, actor):
        raise ValidationError({"division": "所在区划不在管辖范围内"})
    if seminar is not None and not is_visible(seminar, actor):
        raise ValidationError({"seminar": "座谈会不存在或不在管辖范围内"})
    lat_d, lng_d = _coordinates(lat, lng)
    if len(address or "") > 200:
        raise ValidationError({"address": "地址不能超过200字"})
    if priority is None or not staff_door:
        priority = Priority.EMERGENCY if category.is_emergency else category.default_priority
    elif priority not in Priority.values:
        raise ValidationError({"priority": "紧急程度不正确"})
    filer_name = (filer_name or "").strip()
    if len(filer_name) > 50:
        raise ValidationError({"filer_name": "联系人不能超过50字"})
    if filer_phone:
        try:
            filer_phone = idcard.validate_phone(filer_phone)
        except ValidationError as exc:
            raise ValidationError({"filer_phone": exc.messages}) from None
    # An anonymous filing names nobody: not in the case, its events, its notifications or the audit trail.
    logged_in = getattr(actor, "is_authenticated", False) and source != Source.ANONYMOUS
    filer = actor if logged_in and source in (Source.ONLINE, Source.GRID, Source.OPEN311, Source.SUPERVISION) \
        else None
    if kind == CaseKind.RECTIFICATION and organisation is None:
        raise ValidationError({"organisation": "整改事项需要指定责任单位"})

    case = Case(kind=kind, category=category, category_path=category.path, title=title, text=text,
                priority=priority, source=source, status=Status.SUBMITTED, filer=filer,
                anonymous=source == Source.ANONYMOUS, filer_name=filer_name if not filer else "",
                filer_phone=filer_phone, seminar=seminar, client_key=client_key, source_ref=source_ref[:100],
                reviewer_org=reviewer_org if kind == CaseKind.RECTIFICATION else None,
                division=division, division_path=division.path, address=(address or "").strip(),
                lat=lat_d, lng=lng_d, submitted_at=at)
    query_code = None
    if filer is None and source in (Source.ANONYMOUS, Source.OPEN311):
        query_code = new_query_code()
        case.query_code_hash = keyed_hash(query_code)
    if source == Source.OPEN311:
        case.open311_token = uuid.uuid4().hex
    case.save()
    ev = event(case, Action.SUBMIT, actor=actor if logged_in else None, at=at, to_status=Status.SUBMITTED,
               data={"source": source})
    attach(case, ev, attachments, actor=actor if logged_in else None)

    if organisation is not None:
        if not organisation.is_active:
            raise ValidationError({"organisation": "责任单位已停用"})
        assign(case, organisation, at=at)
        if reply_workdays is not None:
            if not 1 <= int(reply_workdays) <= 60:
                raise ValidationError({"reply_workdays": "整改期限应为1至60个工作日"})
            case.reply_due = workdays.add_workdays(at, int(reply_workdays))
        case.owner = owner
        case.save()
        event(case, Action.DISPATCH, actor=actor if logged_in else None, at=at, from_status=Status.SUBMITTED,
              organisation=organisation, data=due_data(case))
        if owner is not None:
            notify.send([owner], kind="assigned", at=at, case=case, title=f"新{case.get_kind_display()}:{title}",
                        body=f"请于{timezone.localtime(case.reply_due):%m月%d日}前完成并答复")
        else:
            notify_assigned(case, at=at)
    else:
        org, rule = rules.route(case)
        if org is not None:
            assign(case, org, at=at)
            case.save()
            event(case, Action.ROUTE, actor=None, at=at, from_status=Status.SUBMITTED, organisation=org,
                  data={**due_data(case), "rule": rule.pk})
            notify_assigned(case, at=at)
        else:
            notify.send(notify.dispatchers_for(case), kind="queue", at=at, case=case,
                        title=f"新{case.get_kind_display()}待分派:{title}", body=f"{division.name} · {category.name}")

    if priority == Priority.EMERGENCY:
        leaders = notify.on_duty_for(case, timezone.localtime(at).date())
        reached = notify.send(leaders or notify.dispatchers_for(case), kind="emergency", at=at, case=case,
                              title=f"【突发】{title}", body=f"{division.name}:{text[:150]}")
        event(case, Action.COMMENT, actor=None, at=at, from_status=case.status,
              comment=f"已即时通知{'值班领导' if leaders else '分派人员(未安排值班领导)'}{reached}人",
              data={"emergency_notified": reached, "on_duty": bool(leaders)})
    if filer is not None:
        notify.send([filer], kind="received", at=at, case=case, title=f"已收到您的{case.get_kind_display()}:{title}",
                    body=f"编号 {case.number}")
    audit.record(actor=actor if logged_in else None, action=A_FILED, obj=case, after=audit.snapshot(case),
                 source=audit_source)
    return FiledCase(case=case, query_code=query_code, created=True)
