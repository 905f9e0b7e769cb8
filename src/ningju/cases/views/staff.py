"""Staff pages of the case engine: thin views over ``selectors`` (reads) and ``services`` (writes).

* inbox (承办单位待办), the case page with the steps the user may take, the dispatchers' queue, the list with its
  Excel export, supervision (督办), the leaders' figures (three rates), routing and deadline rules, seminars and
  the grievances collected there, on-duty leaders and grid members.
* Every step on a case posts the version the page showed; a conflict or a refusal becomes a message
  (``web.access.run_action``) and nothing is applied twice.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseLocation

from ningju.core import audit, roles, uploads
from ningju.core.excel import xlsx_bytes
from ningju.core.idcard import mask_phone
from ningju.core.scoping import get_visible_or_404
from ningju.geo import selectors as geo_selectors
from ningju.geo.models import Division
from ningju.orgs.models import Kind as OrgKind
from ningju.orgs.models import Organisation
from ningju.people.models import Person
from ningju.web.access import attach_errors, module_required, render_htmx, run_action

from .. import permissions, selectors, services
from ..forms_staff import (
    ACTION_FORMS,
    DeadlineForm,
    DutyShiftForm,
    GridMemberForm,
    OrganisationPickForm,
    RuleForm,
    SeminarCaseForm,
    SeminarForm,
)
from ..models import Case, Category, DeadlineRule, DutyShift, GridMember, Seminar, parse_number
from ..services.rules import prefixes
from ..services.supervision import MAX_LEAD
from ..states import (
    HANDLER_STATES,
    REOPEN_LIMIT,
    REOPEN_WINDOW_DAYS,
    TRANSITIONS,
    Action,
    CaseKind,
    Priority,
    Rating,
    Source,
    Status,
)

A_EXPORTED = audit.register_action("cases.case.exported", "导出事项清单")
A_FIGURES_EXPORTED = audit.register_action("cases.figures.exported", "导出诉求数据")
EXPORT_LIMIT = 50_000
PER_PAGE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_staff(user) -> bool:
    return user.is_superuser or bool(user.role_obj and user.role_obj.staff)


def _city_level(user) -> bool:
    """Deadline rules are city-wide (``services.deadline_rule_set`` refuses anyone else)."""
    return user.is_superuser or user.role == roles.CITY_ORG.code


def _local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


STAFF_LINKS = [
    (roles.M_CASES_HANDLE, "待办事项", "cases:inbox"), (roles.M_CASES_DISPATCH, "分派", "cases:queue"),
    (roles.M_CASES, "全部事项", "cases:list"), (roles.M_CASES_SUPERVISE, "督办", "cases:supervision"),
    (roles.M_CASES_FIGURES, "诉求数据", "cases:figures"), (roles.M_CASES_DISPATCH, "分派规则", "cases:rules"),
    (roles.M_SEMINARS, "座谈会", "cases:seminars"), (roles.M_DUTY, "值班与网格", "cases:duty"),
]


def _staff_nav(user, current: str) -> list[dict]:
    """The row of links between the staff pages a role may use (the main navigation keeps only five)."""
    return [{"label": label, "url": reverse(name), "current": name == current}
            for module, label, name in STAFF_LINKS if user.can(module)]


# --- pickers: organisations and users the actor may see --------------------------------------------------

PICKER_LIMIT = 30


def _organisations(user):
    """Every active organisation the user may see: what a picker accepts."""
    return Organisation.objects.visible_to(user).filter(is_active=True)


def _handler_organisations(user):
    """The short list a picker starts with: departments in scope, and organisations with a login that handles
    cases; any other organisation in scope is found by the search."""
    User = get_user_model()
    handler_roles = [r.code for r in roles.ROLES.values() if roles.M_CASES_HANDLE in r.modules]
    with_handlers = User.objects.filter(is_active=True, role__in=handler_roles).values("organisation_id")
    departments = (OrgKind.INDUSTRY_DEPARTMENT, OrgKind.GOV_DEPARTMENT, OrgKind.ORG_DEPARTMENT)
    return list(_organisations(user).filter(Q(pk__in=with_handlers) | Q(kind__in=departments))
                .select_related("division").order_by("path")[:200])


def _with_selected(options: list, queryset, selected) -> list:
    """Keep the chosen object among the options (a bound form, a rule being edited)."""
    pk = getattr(selected, "pk", selected)
    if pk in (None, "") or any(str(o.pk) == str(pk) for o in options):
        return options
    extra = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    return [extra, *options] if extra else options


@module_required(roles.M_CASES)
def organisation_options(request):
    """htmx: ``<option>``s of the organisations in scope whose name contains ``org_q``."""
    if not _is_staff(request.user):
        raise PermissionDenied("当前角色无权使用该功能")
    q = request.GET.get("org_q", "").strip()
    if q:
        options = list(_organisations(request.user).filter(name__contains=q).order_by("path")[:PICKER_LIMIT])
    else:
        options = _handler_organisations(request.user)
    return render(request, "cases/staff/_org_options.html", {"options": options, "searched": bool(q)})


def _visible_users(actor, *, staff_only: bool):
    """Logins the actor may pick: accounts in the actor's scope, and the accounts of registry people in it
    (workers as 移动探头 have no organisation; their registry record ties them to the territory)."""
    User = get_user_model()
    qs = User.objects.filter(Q(pk__in=User.objects.visible_to(actor).values("pk"))
                             | Q(person__in=Person.objects.visible_to(actor).values("pk")), is_active=True)
    if staff_only:
        qs = qs.filter(role__in=[r.code for r in roles.ROLES.values() if r.staff])
    return qs.select_related("organisation").order_by("name", "pk")


@module_required(roles.M_DUTY)
def user_options(request):
    """htmx: ``<option>``s of the logins in scope matching ``user_q`` (name or the start of the phone number)."""
    q = request.GET.get("user_q", "").strip()
    qs = _visible_users(request.user, staff_only=request.GET.get("kind") == "duty")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(person__name__contains=q) | Q(phone__startswith=q))
    return render(request, "cases/staff/_user_options.html", {"options": list(qs[:PICKER_LIMIT]), "searched": bool(q)})


# --- due times -------------------------------------------------------------------------------------------

def _mark_due(case: Case, now: dt.datetime) -> Case:
    """The due time that matters now (accept by / reply by), whether it passed or is near (the reminder window)."""
    if case.status not in HANDLER_STATES:  # waiting for a dispatcher, or done: no deadline runs
        case.due_what, case.due_at, case.due_state, case.overdue_days = "", None, "", 0
        return case
    case.due_what, case.due_at = ("受理", case.accept_due) if case.status == Status.DISPATCHED \
        else ("答复", case.reply_due)
    overdue_at = None
    if case.status == Status.DISPATCHED and case.accept_due and case.accept_due < now:
        overdue_at = case.accept_due
    elif case.reply_due and case.reply_due < now:
        overdue_at = case.reply_due
        case.due_what, case.due_at = "答复", case.reply_due
    case.due_state = "overdue" if overdue_at else (
        "near" if case.due_at and case.due_at - now <= MAX_LEAD else "")
    case.overdue_days = (now - overdue_at).days if overdue_at else 0
    return case


# --- handler inbox ---------------------------------------------------------------------------------------

INBOX_TABS = [("", "全部"), (Status.DISPATCHED, "待受理"), (Status.ACCEPTED, "办理中"),
              (Status.HANDLED, "已办理待答复")]


@module_required(roles.M_CASES_HANDLE)
def inbox_view(request):
    state = request.GET.get("state", "")
    state = state if state in HANDLER_STATES else ""
    page = Paginator(selectors.inbox(user=request.user, state=state or None), PER_PAGE).get_page(
        request.GET.get("page"))
    now = timezone.now()
    for c in page.object_list:
        _mark_due(c, now)
    counts = dict(selectors.inbox(user=request.user).order_by().values_list("status").annotate(n=Count("id")))
    tabs = [{"state": s, "label": label, "count": counts.get(s, 0) if s else sum(counts.values()),
             "current": s == state} for s, label in INBOX_TABS]
    ctx = {"page": page, "tabs": tabs, "state": state, "staff_nav": _staff_nav(request.user, "cases:inbox")}
    return render_htmx(request, "cases/staff/inbox.html", "cases/staff/_inbox_rows.html", ctx)


# --- the case page and its steps -------------------------------------------------------------------------

ACTIONS = {
    # name: (title, button, button style)
    "accept": ("受理", "确认受理", ""),
    "return": ("退回(非本单位职责)", "退回", "danger"),
    "handle": ("录入办理结果", "提交办理结果", ""),
    "reply": ("答复提交人", "发送答复", ""),
    "extend": ("申请延期", "提交延期申请", "secondary"),
    "dispatch": ("分派", "分派", ""),
    "transfer": ("转办", "转办", "secondary"),
    "decide": ("审批延期申请", "提交审批意见", ""),
    "callback": ("录入回访评价", "录入评价并办结", ""),
    "reopen": ("重新办理", "重新交办", "secondary"),
    "merge": ("合并重复事项", "并入该事项", "danger"),
    "comment": ("补充说明", "提交说明", "secondary"),
}
PICKER_ACTIONS = ("dispatch", "transfer")
PRIMARY_ACTIONS = ("accept", "handle", "reply", "dispatch", "decide", "callback")  # shown open on the case page


def available_actions(user, case: Case) -> list[str]:
    """The steps ``user`` may take on ``case`` now (the services check the same again)."""
    handler, dispatcher = permissions.is_handler(user, case), permissions.is_dispatcher(user, case)
    status = case.status

    def allowed(action) -> bool:
        return status in TRANSITIONS[action]

    out = []
    if handler:
        if allowed(Action.ACCEPT):
            out += ["accept", "return"]
        if allowed(Action.HANDLE):
            out.append("handle")
        if allowed(Action.REPLY):
            out.append("reply")
        if allowed(Action.EXTEND_REQUEST) and not case.extension_days:
            out.append("extend")
    if dispatcher:
        if allowed(Action.DISPATCH):
            out.append("dispatch")
        if allowed(Action.TRANSFER):
            out.append("transfer")
        if case.extension_days and allowed(Action.EXTEND_APPROVE):
            out.append("decide")
        if allowed(Action.CALLBACK) and not case.filer_id:
            out.append("callback")
        if (allowed(Action.REOPEN) and not case.filer_id and case.rating == Rating.UNSATISFIED
                and case.reopen_count < REOPEN_LIMIT and case.closed_at
                and timezone.now() - case.closed_at <= dt.timedelta(days=REOPEN_WINDOW_DAYS)):
            out.append("reopen")
        if allowed(Action.MERGE):
            out.append("merge")
    if (handler or dispatcher) and allowed(Action.COMMENT):
        out.append("comment")
    return out


def _action_form(name: str, case: Case, user, *, data=None, files=None, prefix_id: str = ""):
    """The form of one step; ``prefix_id`` keeps element ids unique when several cases share a page."""
    form_class = ACTION_FORMS[name]
    kwargs = {"auto_id": f"id_{prefix_id}{name}_%s"}
    if issubclass(form_class, OrganisationPickForm):
        kwargs["organisations"] = _organisations(user)
    if data is None:
        initial = {"version": case.version} if "version" in form_class.base_fields else {}
        return form_class(initial=initial, **kwargs)
    return form_class(data, files, **kwargs)


def _action_entries(user, case: Case, names, *, bound=None, prefix_id: str = "", org_options=None):
    """(name, title, button, style, form, org options) for the template, the posted form kept as it was sent."""
    entries = []
    for name in names:
        title, button, style = ACTIONS[name]
        form = bound[1] if bound and bound[0] == name else _action_form(name, case, user, prefix_id=prefix_id)
        options = None
        if name in PICKER_ACTIONS:
            if org_options is None:
                org_options = _handler_organisations(user)
            options = _with_selected(org_options, _organisations(user), form["organisation"].value())
        entries.append({"name": name, "title": title, "button": button, "style": style, "form": form,
                        "org_options": options, "multipart": "files" in form.fields,
                        "open": bool(bound and bound[0] == name)})
    if entries and not any(e["open"] for e in entries) and entries[0]["name"] in PRIMARY_ACTIONS:
        entries[0]["open"] = True
    return entries


def _event_notes(e) -> list[str]:
    """What an event's data says, in words (rating, extension days, the merged case, new due times)."""
    d, notes = e.data or {}, []
    if d.get("rating") in Rating.values:
        notes.append(f"评价:{Rating(d['rating']).label}")
    if e.action in (Action.EXTEND_REQUEST, Action.EXTEND_APPROVE) and d.get("days"):
        notes.append(f"延期{d['days']}个工作日")
    if d.get("into_number"):
        notes.append(f"并入 {d['into_number']}")
    if d.get("duplicate_number"):
        notes.append(f"重复事项 {d['duplicate_number']}")
    for key, label in (("accept_due", "受理期限"), ("reply_due", "答复期限")):
        when = parse_datetime(d[key]) if isinstance(d.get(key), str) else None
        if when:
            notes.append(f"{label} {_local(when, '%m-%d %H:%M')}")
    if d.get("in_time") is False:
        notes.append("已超期")
    return notes


def _detail_page(request, case: Case, *, bound=None, status: int = 200):
    user = request.user
    events = selectors.timeline(case)
    for e in events:
        e.label = Action(e.action).label if e.action in Action.values else e.action
        e.to_label = Status(e.to_status).label if e.to_status in Status.values else ""
        e.notes = _event_notes(e)
    _mark_due(case, timezone.now())
    filer_name = case.filer.name if case.filer_id else (case.filer_name or ("匿名" if case.anonymous else ""))
    account_phone = ""
    if case.filer_id:
        account_phone = case.filer.phone if permissions.may_see_contact(user, case) else mask_phone(case.filer.phone)
    points = []
    if case.lat is not None and case.lng is not None:
        points = [{"lat": float(case.lat), "lng": float(case.lng), "label": case.title}]
    ctx = {
        "case": case, "events": events, "attachments": list(case.attachments.all()),
        "supervisions": list(selectors.supervisions(user=user, open_only=False).filter(case=case)),
        "duplicates": list(selectors.case_list(user=user).filter(merged_into=case)),
        "filer_name": filer_name, "filer_phone": selectors.shown_phone(user, case), "account_phone": account_phone,
        "points": points, "actions": _action_entries(user, case, available_actions(user, case), bound=bound),
        "can_seminars": user.can(roles.M_SEMINARS), "staff_nav": _staff_nav(user, ""),
    }
    return render(request, "cases/staff/detail.html", ctx, status=status)


@module_required(roles.M_CASES)
def case_detail(request, pk):
    case = selectors.case_get(user=request.user, pk=pk)
    if not _is_staff(request.user):  # a worker following their own case: the filer's page
        return redirect("cases:mine_detail", pk=case.pk)
    return _detail_page(request, case)


def _safe_next(request) -> str | None:
    nxt = request.POST.get("next") or ""
    if nxt.startswith("/cases/") and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return None


def _back(request, case: Case):
    """Where to go after a step: the page that sent it, the case page, or the inbox when the case left scope."""
    url = _safe_next(request)
    if url is None:
        still_visible = selectors.case_list(user=request.user).filter(pk=case.pk).exists()
        if still_visible:
            url = reverse("cases:detail", args=[case.pk])
        elif request.user.can(roles.M_CASES_HANDLE):
            url = reverse("cases:inbox")
        else:
            url = reverse("cases:list")
    if getattr(request, "htmx", None):
        return HttpResponseLocation(url)
    return redirect(url)


def _cleaned_uploads(form) -> list | None:
    files = form.cleaned_data.get("files") or []
    cleaned = []
    for f in files:
        try:
            cleaned.append(uploads.clean_upload(f, allow_documents=True, label="附件"))
        except ValidationError as exc:
            form.add_error("files", exc.messages)
            return None
    return cleaned


def _merge_target(user, number: str) -> Case | None:
    pk = parse_number(number)
    if not pk:
        return None
    target = selectors.case_list(user=user).filter(pk=pk).first()
    return target if target is not None and target.number == number.strip().upper() else None


def _step(name: str, user, case: Case, data: dict, files: list):
    """The service call behind a step and the message on success."""
    version = data.get("version")
    s = services
    if name == "accept":
        return (lambda: s.case_accept(actor=user, case=case, version=version, comment=data["comment"]), "已受理")
    if name == "return":
        return (lambda: s.case_return(actor=user, case=case, version=version, reason=data["reason"]),
                "已退回,事项回到分派人员的待分派列表")
    if name == "handle":
        return (lambda: s.case_handle(actor=user, case=case, version=version, result=data["result"],
                                      attachments=files), "已录入办理结果,请及时答复提交人")
    if name == "reply":
        return (lambda: s.case_reply(actor=user, case=case, version=version, reply=data["reply"], attachments=files),
                "已答复提交人")
    if name == "extend":
        return (lambda: s.case_request_extension(actor=user, case=case, version=version, days=data["days"],
                                                 reason=data["reason"]), "已提交延期申请,等待分派人员审批")
    if name == "dispatch":
        org = data["organisation"]
        return (lambda: s.case_dispatch(actor=user, case=case, version=version, organisation=org,
                                        comment=data["comment"]), f"已分派给{org.name}")
    if name == "transfer":
        org = data["organisation"]
        return (lambda: s.case_transfer(actor=user, case=case, version=version, organisation=org,
                                        reason=data["reason"]), f"已转办给{org.name}")
    if name == "merge":
        into = data["into_case"]
        return (lambda: s.case_merge(actor=user, case=case, into=into, version=version, comment=data["comment"]),
                f"已并入事项 {into.number}")
    if name == "decide":
        approve = data["decision"] == "approve"
        return (lambda: s.case_decide_extension(actor=user, case=case, version=version, approve=approve,
                                                comment=data["comment"]),
                lambda c: (f"已同意延期,答复期限延至{_local(c.reply_due)}" if approve else "已不同意延期"))
    if name == "callback":
        return (lambda: s.case_callback(actor=user, case=case, version=version, rating=data["rating"],
                                        comment=data["comment"]), "已录入回访评价,事项办结")
    if name == "reopen":
        return (lambda: s.case_reopen(actor=user, case=case, version=version, reason=data["reason"]),
                "已重新交办原承办单位")
    if name == "comment":
        return (lambda: s.case_comment(actor=user, case=case, comment=data["comment"], attachments=files),
                "已补充说明")
    raise Http404("没有这个操作")


@module_required(roles.M_CASES)
@require_POST
def case_act(request, pk, action):
    """One step on a case. Refusals and conflicts become a message; a failed form keeps what was typed."""
    if action not in ACTION_FORMS or not _is_staff(request.user):
        raise Http404("没有这个操作")
    case = selectors.case_get(user=request.user, pk=pk)
    form = _action_form(action, case, request.user, data=request.POST, files=request.FILES)
    if not form.is_valid():
        messages.error(request, "请检查填写的内容")
        return _detail_page(request, case, bound=(action, form), status=400)
    data = dict(form.cleaned_data)
    files = []
    if "files" in form.fields:
        files = _cleaned_uploads(form)
        if files is None:
            return _detail_page(request, case, bound=(action, form), status=400)
    if action == "merge":
        data["into_case"] = _merge_target(request.user, data["into"])
        if data["into_case"] is None:
            form.add_error("into", "要并入的事项不存在或不在管辖范围内,请核对编号")
            return _detail_page(request, case, bound=(action, form), status=400)
    call, success = _step(action, request.user, case, data, files)
    conflict = []

    def guarded():
        try:
            return call()
        except services.CaseConflict:
            conflict.append(True)
            raise
        except PermissionDenied as exc:  # e.g. the case moved to another organisation meanwhile
            raise ValidationError(str(exc) or "无权进行该操作") from exc

    if run_action(request, guarded, success):
        return _back(request, case)
    # Show the case as it is now, with what was typed; after a conflict the form carries the current version,
    # so the user decides again with the new state in front of them.
    try:
        fresh = selectors.case_get(user=request.user, pk=pk)
    except Http404:
        return _back(request, case)
    if conflict and "version" in form.fields:
        data = request.POST.copy()
        data["version"] = str(fresh.version)
        form = _action_form(action, fresh, request.user, data=data)
        form.is_valid()
    return _detail_page(request, fresh, bound=(action, form), status=409 if conflict else 400)


# --- dispatchers' queue ----------------------------------------------------------------------------------

QUEUE_TABS = [("queue", "待分派", "dispatch"), ("extensions", "延期审批", "decide"), ("callback", "待回访", "callback")]


@module_required(roles.M_CASES_DISPATCH)
def queue_view(request):
    user = request.user
    sources = {"queue": selectors.queue, "extensions": selectors.pending_extensions,
               "callback": selectors.awaiting_callback}
    tab = request.GET.get("tab", "queue")
    tab = tab if tab in sources else "queue"
    action = next(a for t, _label, a in QUEUE_TABS if t == tab)
    page = Paginator(sources[tab](user=user), 20).get_page(request.GET.get("page"))
    now = timezone.now()
    org_options = _handler_organisations(user) if action == "dispatch" else None
    for c in page.object_list:
        _mark_due(c, now)
        c.entries = _action_entries(user, c, [action], prefix_id=f"c{c.pk}_", org_options=org_options)
        c.entries[0]["open"] = False
        if tab == "callback":
            c.shown_phone = selectors.shown_phone(user, c)
    tabs = [{"tab": t, "label": label, "count": sources[t](user=user).count(), "current": t == tab}
            for t, label, _a in QUEUE_TABS]
    return render(request, "cases/staff/queue.html", {"page": page, "tabs": tabs, "tab": tab,
                                                      "next": request.get_full_path(),
                                                      "staff_nav": _staff_nav(user, "cases:queue")})


# --- list and export -------------------------------------------------------------------------------------

STATUS_FILTER = [("open", "未办结(全部)"), *Status.choices]


def _list_filters(request) -> tuple[dict, dict]:
    """(selector arguments, the raw values for the form) from the query string."""
    g = request.GET
    kind = g.get("kind", "") if g.get("kind", "") in CaseKind.values else ""
    status = g.get("status", "") if g.get("status", "") in dict(STATUS_FILTER) else ""
    source = g.get("source", "") if g.get("source", "") in Source.values else ""
    cat = g.get("category", "")
    category = Category.objects.filter(pk=int(cat)).first() if cat.isdigit() else None
    q = g.get("q", "").strip()[:100]
    overdue = g.get("overdue") == "1"
    args = {"kind": kind or None, "status": status or None, "source": source or None, "category": category,
            "q": q or None, "overdue": overdue}
    raw = {"kind": kind, "status": status, "source": source, "category": str(category.pk) if category else "",
           "q": q, "overdue": overdue}
    return args, raw


@module_required(roles.M_CASES)
def case_list_view(request):
    if not _is_staff(request.user):
        raise PermissionDenied("当前角色无权使用该功能")
    args, raw = _list_filters(request)
    page = Paginator(selectors.case_list(user=request.user, **args), PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for c in page.object_list:
        _mark_due(c, now)
    ctx = {"page": page, "f": raw, "kinds": CaseKind.choices, "statuses": STATUS_FILTER, "sources": Source.choices,
           "categories": selectors.categories(kind=raw["kind"] or None),
           "query_string": request.GET.urlencode(), "staff_nav": _staff_nav(request.user, "cases:list")}
    return render_htmx(request, "cases/staff/list.html", "cases/staff/_list_rows.html", ctx)


EXPORT_HEADER = ["编号", "类型", "标题", "内容", "分类", "所在区划", "地址", "承办单位", "状态", "紧急程度", "来源",
                 "提交时间", "受理期限", "受理时间", "答复期限", "答复时间", "是否超期", "评价"]


@module_required(roles.M_CASES)
def case_export(request):
    if not _is_staff(request.user):
        raise PermissionDenied("当前角色无权使用该功能")
    args, raw = _list_filters(request)
    now = timezone.now()
    rows = []
    for c in selectors.case_list(user=request.user, **args)[:EXPORT_LIMIT]:
        _mark_due(c, now)
        rows.append([c.number, c.get_kind_display(), c.title, c.text, c.category.name, c.division.name, c.address,
                     c.organisation.name if c.organisation_id else "", c.get_status_display(),
                     c.get_priority_display(), c.get_source_display(), _local(c.submitted_at), _local(c.accept_due),
                     _local(c.accepted_at), _local(c.reply_due), _local(c.replied_at),
                     "是" if c.due_state == "overdue" else "否", c.get_rating_display() if c.rating else ""])
    audit.record(actor=request.user, action=A_EXPORTED, obj=request.user,
                 after={"rows": len(rows), "filters": {k: v for k, v in raw.items() if v}})
    response = HttpResponse(xlsx_bytes("事项清单", EXPORT_HEADER, rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="cases-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


# --- supervision (督办) ----------------------------------------------------------------------------------

@module_required(roles.M_CASES_SUPERVISE)
def supervision_view(request):
    user, now = request.user, timezone.now()
    tab = "history" if request.GET.get("tab") == "history" else "open"
    ctx = {"tab": tab, "staff_nav": _staff_nav(user, "cases:supervision")}
    if tab == "open":
        overdue = Paginator(selectors.overdue_cases(user=user, now=now), PER_PAGE).get_page(request.GET.get("page"))
        for c in overdue.object_list:
            _mark_due(c, now)
        groups: dict[int, dict] = {}
        notices = list(selectors.supervisions(user=user, open_only=True).select_related("case__category")[:500])
        for n in notices:
            n.days_overdue = max(0, (now - n.due_at).days)
            groups.setdefault(n.organisation_id, {"organisation": n.organisation, "notices": []})["notices"].append(n)
        ctx.update(page=overdue, groups=sorted(groups.values(), key=lambda g: g["organisation"].path),
                   n_notices=len(notices), capped=len(notices) == 500)
    else:
        history = (selectors.supervisions(user=user, open_only=False).filter(resolved_at__isnull=False)
                   .order_by("-resolved_at", "-id"))
        page = Paginator(history, PER_PAGE).get_page(request.GET.get("page"))
        for n in page.object_list:
            n.days_late = max(0, (n.resolved_at - n.due_at).days)
        ctx["page"] = page
    return render(request, "cases/staff/supervision.html", ctx)


# --- figures: the three rates ----------------------------------------------------------------------------

PERIODS = [("month", "按月"), ("quarter", "按季度"), ("year", "按年"), ("custom", "自定义")]


def _int(value, default: int, low: int, high: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return n if low <= n <= high else default


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _period(request) -> dict:
    """The period asked for: month / quarter / year / custom (end date inclusive); default this year."""
    g, today = request.GET, timezone.localdate()
    kind = g.get("period", "year") if g.get("period") in dict(PERIODS) else "year"
    year = _int(g.get("year"), today.year, 2000, 2100)
    month = _int(g.get("month"), today.month, 1, 12)
    quarter = _int(g.get("quarter"), (today.month - 1) // 3 + 1, 1, 4)
    error = ""
    if kind == "month":
        start = dt.date(year, month, 1)
        end, label = _add_months(start, 1), f"{year}年{month}月"
    elif kind == "quarter":
        start = dt.date(year, 3 * quarter - 2, 1)
        end, label = _add_months(start, 3), f"{year}年第{quarter}季度"
    elif kind == "custom":
        try:
            start, last = parse_date(g.get("start", "")), parse_date(g.get("end", ""))
        except ValueError:
            start = last = None
        if not start or not last or last < start:
            error = "请填写正确的起止日期(结束日期不早于开始日期)"
            kind, start = "year", dt.date(year, 1, 1)
            end, label = dt.date(year + 1, 1, 1), f"{year}年"
        else:
            end, label = last + dt.timedelta(days=1), f"{start:%Y-%m-%d} 至 {last:%Y-%m-%d}"
    else:
        start, end, label = dt.date(year, 1, 1), dt.date(year + 1, 1, 1), f"{year}年"
    tz = timezone.get_current_timezone()
    return {"kind": kind, "year": year, "month": month, "quarter": quarter, "start": start, "end": end,
            "last": end - dt.timedelta(days=1), "label": label, "error": error,
            "start_at": dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            "end_at": dt.datetime.combine(end, dt.time.min, tzinfo=tz)}


def _figure_filters(request) -> dict:
    user, g = request.user, request.GET
    roots = list(geo_selectors.division_roots(user=user))
    code = g.get("division", "")
    division = Division.objects.visible_to(user).filter(code=code).first() if code else None
    if division is None and len(roots) == 1:
        division = roots[0]
    kind = g.get("kind", "") if g.get("kind", "") in CaseKind.values else ""
    cat = g.get("category", "")
    category = Category.objects.filter(pk=int(cat)).first() if cat.isdigit() else None
    if category is not None and kind and category.kind != kind:
        category = None
    crumbs = []
    if division is not None:
        crumbs = list(Division.objects.visible_to(user).filter(path__in=prefixes(division.path)).order_by("path"))
    return {"division": division, "kind": kind, "category": category, "crumbs": crumbs, "roots": roots,
            "selector": {"kind": kind or None, "division_path": division.path if division else None,
                         "category": category}}


def _months(start: dt.date, end: dt.date) -> list[str]:
    out, d = [], dt.date(start.year, start.month, 1)
    while d < end:
        out.append(f"{d:%Y-%m}")
        d = _add_months(d, 1)
    return out


def _figures(request) -> dict:
    user, now = request.user, timezone.now()
    period, f = _period(request), _figure_filters(request)
    span = {"user": user, "start": period["start_at"], "end": period["end_at"], "now": now, **f["selector"]}
    totals = selectors.rates(**span)
    by_division = selectors.rates_by(by="division", **span)
    if f["division"] is not None:
        children = {d.name: d.code for d in Division.objects.visible_to(user).filter(parent=f["division"])}
    else:  # several trees in scope (or all of them): the groups are their roots
        children = {d.name: d.code for d in f["roots"]}
    by_division = [{"label": label, "code": children.get(label), "r": r} for label, r in by_division]
    by_category = selectors.rates_by(by="category", **span)
    cat_parent = f["category"]
    cat_children = Category.objects.filter(parent=cat_parent) if cat_parent else Category.objects.filter(parent=None)
    if f["kind"]:
        cat_children = cat_children.filter(kind=f["kind"])
    cat_ids: dict[str, list[int]] = {}
    for c in cat_children:
        cat_ids.setdefault(c.name, []).append(c.pk)
    by_category = [{"label": label, "pk": ids[0] if len(ids := cat_ids.get(label, [])) == 1 else None, "r": r}
                   for label, r in by_category]
    by_org = [{"label": label, "r": r} for label, r in selectors.rates_by(by="organisation", **span)]
    monthly = dict(selectors.rates_by(by="month", **span))
    zero = selectors.Rates(total=0, due=0, accepted_in_time=0, resolved=0, rated=0, satisfied=0)
    trend = [{"label": m, "r": monthly.get(m, zero)} for m in _months(period["start"], period["end"])]
    return {"period": period, "f": f, "totals": totals, "by_division": by_division, "by_category": by_category,
            "by_org": by_org, "trend": trend}


def _trend_chart(trend: list[dict]) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["事项数", "响应率", "解决率", "满意率"], "top": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [t["label"] for t in trend]},
        "yAxis": [{"type": "value", "name": "件", "minInterval": 1},
                  {"type": "value", "name": "%", "min": 0, "max": 100}],
        "series": [
            {"name": "事项数", "type": "bar", "data": [t["r"].total for t in trend], "itemStyle": {"color": "#d8dee4"}},
            {"name": "响应率", "type": "line", "yAxisIndex": 1, "connectNulls": True,
             "data": [t["r"].response_rate for t in trend], "itemStyle": {"color": "#b71c1c"}},
            {"name": "解决率", "type": "line", "yAxisIndex": 1, "connectNulls": True,
             "data": [t["r"].resolution_rate for t in trend], "itemStyle": {"color": "#1a7f37"}},
            {"name": "满意率", "type": "line", "yAxisIndex": 1, "connectNulls": True,
             "data": [t["r"].satisfaction_rate for t in trend], "itemStyle": {"color": "#9a6700"}},
        ],
    }


@module_required(roles.M_CASES_FIGURES)
def figures_view(request):
    fig = _figures(request)
    if fig["period"]["error"]:
        messages.error(request, fig["period"]["error"])
    f = fig["f"]
    div_params, cat_params = request.GET.copy(), request.GET.copy()
    div_params.pop("division", None)
    cat_params.pop("category", None)
    ctx = {**fig, "chart": _trend_chart(fig["trend"]), "periods": PERIODS, "kinds": CaseKind.choices,
           "categories": selectors.categories(kind=f["kind"] or None),
           "years": list(range(timezone.localdate().year, timezone.localdate().year - 6, -1)),
           "months": list(range(1, 13)), "quarters": [1, 2, 3, 4],
           "div_query": div_params.urlencode(), "cat_query": cat_params.urlencode(),
           "export_query": request.GET.urlencode(),
           "staff_nav": _staff_nav(request.user, "cases:figures")}
    return render(request, "cases/staff/figures.html", ctx)


FIGURE_HEADER = ["分组", "名称", "事项数", "应受理", "按时受理", "响应率(%)", "已解决", "解决率(%)", "已评价",
                 "满意及基本满意", "满意率(%)"]


def _rate_cells(r) -> list:
    def pct(v):
        return v if v is not None else ""

    return [r.total, r.due, r.accepted_in_time, pct(r.response_rate), r.resolved, pct(r.resolution_rate), r.rated,
            r.satisfied, pct(r.satisfaction_rate)]


@module_required(roles.M_CASES_FIGURES)
def figures_export(request):
    fig = _figures(request)
    f, period = fig["f"], fig["period"]
    scope = " · ".join(x for x in (f["division"].name if f["division"] else "全部区划",
                                   CaseKind(f["kind"]).label if f["kind"] else "",
                                   f["category"].name if f["category"] else "") if x)
    rows = [["合计", f"{period['label']} {scope}", *_rate_cells(fig["totals"])]]
    rows += [["区划", r["label"], *_rate_cells(r["r"])] for r in fig["by_division"]]
    rows += [["承办单位", r["label"], *_rate_cells(r["r"])] for r in fig["by_org"]]
    rows += [["分类", r["label"], *_rate_cells(r["r"])] for r in fig["by_category"]]
    rows += [["月份", r["label"], *_rate_cells(r["r"])] for r in fig["trend"]]
    audit.record(actor=request.user, action=A_FIGURES_EXPORTED, obj=request.user,
                 after={"rows": len(rows), "period": period["label"], "scope": scope})
    response = HttpResponse(xlsx_bytes("诉求数据", FIGURE_HEADER, rows), content_type=XLSX)
    response["Content-Disposition"] = (f'attachment; filename="case-figures-{period["start"]:%Y%m%d}-'
                                       f'{period["last"]:%Y%m%d}.xlsx"')
    return response


# --- routing and deadline rules --------------------------------------------------------------------------

PRIORITY_ORDER = {p: n for n, p in enumerate(Priority.values)}


def _rule_divisions(user):
    return Division.objects.visible_to(user).filter(level__lte=3).order_by("path")


def _rules_page(request, *, deadline_form=None, status: int = 200):
    user = request.user
    can_deadlines = _city_level(user)
    if can_deadlines and deadline_form is None:
        initial = {}
        pk = request.GET.get("deadline", "")
        rule = DeadlineRule.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        if rule is not None:
            initial = {"category": rule.category_id, "priority": rule.priority, "accept_amount": rule.accept_amount,
                       "accept_unit": rule.accept_unit, "reply_amount": rule.reply_amount,
                       "reply_unit": rule.reply_unit}
        deadline_form = DeadlineForm(initial=initial)
    ctx = {
        "rules": selectors.routing_rules(user=user),
        "deadlines": sorted(DeadlineRule.objects.visible_to(user).select_related("category"),
                            key=lambda d: (d.category.path if d.category_id else "", PRIORITY_ORDER[d.priority])),
        "can_deadlines": can_deadlines, "deadline_form": deadline_form, "staff_nav": _staff_nav(user, "cases:rules"),
    }
    return render(request, "cases/staff/rules.html", ctx, status=status)


@module_required(roles.M_CASES_DISPATCH)
def rules_view(request):
    return _rules_page(request)


@module_required(roles.M_CASES_DISPATCH)
def rule_edit(request, pk=None):
    user = request.user
    rule = None
    if pk is not None:
        rule = selectors.routing_rules(user=user).filter(pk=pk).first()
        if rule is None:
            raise Http404("规则不存在或不在管辖范围内")
    initial = {}
    if rule is not None:
        initial = {"category": rule.category_id, "division": rule.division_id, "target": rule.target,
                   "organisation": rule.organisation_id, "note": rule.note}
    form = RuleForm(request.POST or None, initial=initial, divisions=_rule_divisions(user),
                    organisations=_organisations(user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.routing_rule_save(actor=user, category=d["category"], division=d["division"],
                                               target=d["target"], organisation=d["organisation"], note=d["note"],
                                               rule=rule)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存分派规则:{saved}")
            return redirect("cases:rules")
    options = _with_selected(_handler_organisations(user), _organisations(user), form["organisation"].value())
    return render(request, "cases/staff/rule_form.html", {"form": form, "rule": rule, "org_options": options,
                                                         "staff_nav": _staff_nav(user, "cases:rules")},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_CASES_DISPATCH)
@require_POST
def rule_off(request, pk):
    rule = selectors.routing_rules(user=request.user).filter(pk=pk).first()
    if rule is None:
        raise Http404("规则不存在或不在管辖范围内")
    run_action(request, lambda: services.routing_rule_delete(actor=request.user, rule=rule),
               f"已停用分派规则:{rule}")
    return redirect("cases:rules")


@module_required(roles.M_CASES_DISPATCH)
@require_POST
def deadline_save(request):
    if not _city_level(request.user):
        raise PermissionDenied("办理时限由市委组织部统一设置")
    form = DeadlineForm(request.POST)
    if form.is_valid():
        try:
            rule = services.deadline_rule_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已设置办理时限:{rule}")
            return redirect("cases:rules")
    return _rules_page(request, deadline_form=form, status=400)


# --- seminars (座谈会) -----------------------------------------------------------------------------------

@module_required(roles.M_SEMINARS)
def seminars_view(request):
    user = request.user
    form = SeminarForm(request.POST or None, initial={"organiser": user.organisation_id},
                       divisions=Division.objects.visible_to(user).filter(level__lte=3).order_by("path"),
                       organisations=_organisations(user))
    if request.method == "POST" and form.is_valid():
        try:
            seminar = services.seminar_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记座谈会:{seminar.title},可以录入收集到的诉求")
            return redirect("cases:seminar_detail", pk=seminar.pk)
    page = Paginator(selectors.seminars(user=user), PER_PAGE).get_page(request.GET.get("page"))
    options = _with_selected(_handler_organisations(user), _organisations(user), form["organiser"].value())
    return render(request, "cases/staff/seminars.html",
                  {"page": page, "form": form, "org_options": options, "show_form": request.method == "POST",
                   "staff_nav": _staff_nav(user, "cases:seminars")},
                  status=400 if request.method == "POST" else 200)


def _seminar_divisions(user, seminar: Seminar):
    """Where a grievance raised at the seminar may be: its division and two levels below (village at most)."""
    depth = min(4, seminar.division.level + 2)
    return (Division.objects.visible_to(user).filter(path__startswith=seminar.division.path, level__lte=depth)
            .order_by("path"))


@module_required(roles.M_SEMINARS)
def seminar_detail(request, pk):
    user = request.user
    seminar = get_visible_or_404(Seminar.objects.select_related("division", "organiser"), user, pk=pk)
    form = SeminarCaseForm(request.POST or None, initial={"division": seminar.division_id},
                           divisions=_seminar_divisions(user, seminar))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            filed = services.case_file(actor=user, kind=CaseKind.GRIEVANCE, seminar=seminar, category=d["category"],
                                       division=d["division"], text=d["text"], title=d["title"],
                                       priority=d["priority"] or None, filer_name=d["filer_name"],
                                       filer_phone=d["filer_phone"], client_key=d["client_key"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            case = filed.case
            if not filed.created:
                messages.success(request, f"该诉求已录入(编号 {case.number}),重复提交未再次登记")
            elif case.organisation_id:
                messages.success(request, f"已录入诉求 {case.number},已按规则交{case.organisation.name}办理")
            else:
                messages.success(request, f"已录入诉求 {case.number},等待分派")
            return redirect("cases:seminar_detail", pk=seminar.pk)
    page = Paginator(selectors.case_list(user=user, seminar=seminar), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/staff/seminar_detail.html", {"seminar": seminar, "form": form, "page": page,
                                                                 "staff_nav": _staff_nav(user, "cases:seminars")},
                  status=400 if request.method == "POST" else 200)


# --- on-duty leaders and grid members --------------------------------------------------------------------

def _grid_divisions(user):
    return Division.objects.visible_to(user).filter(level__gte=4).select_related("parent").order_by("path")


@module_required(roles.M_DUTY)
def duty_view(request):
    user, today = request.user, timezone.localdate()
    which = request.POST.get("form") if request.method == "POST" else None
    duty_users = _visible_users(user, staff_only=True)
    grid_users = _visible_users(user, staff_only=False)
    shift_form = DutyShiftForm(request.POST if which == "shift" else None, organisations=_organisations(user),
                               users=duty_users, initial={"organisation": user.organisation_id},
                               auto_id="id_shift_%s")
    grid_form = GridMemberForm(request.POST if which == "grid" else None, users=grid_users,
                               divisions=_grid_divisions(user), auto_id="id_grid_%s")
    form = {"shift": shift_form, "grid": grid_form}.get(which)
    if form is not None and form.is_valid():
        d = form.cleaned_data
        try:
            if which == "shift":
                shift = services.duty_shift_create(actor=user, **d)
                message = (f"已安排{shift.user.name}为{shift.organisation.name}值班领导"
                           f"({shift.starts_on}至{shift.ends_on})")
            else:
                member = services.grid_member_set(actor=user, **d)
                message = f"已设置{member.user.name}为{member.division.name}{member.get_role_display()}"
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("cases:duty")
    shifts = DutyShift.objects.visible_to(user).select_related("organisation", "user")
    members = (GridMember.objects.visible_to(user).select_related("user", "division", "division__parent")
               .order_by("-active", "division__path", "user__name"))
    ctx = {
        "current": shifts.filter(ends_on__gte=today).order_by("starts_on", "organisation__path"),
        "past": shifts.filter(ends_on__lt=today).order_by("-ends_on")[:20],
        "members": Paginator(members, PER_PAGE).get_page(request.GET.get("page")),
        "shift_form": shift_form, "grid_form": grid_form, "today": today, "staff_nav": _staff_nav(user, "cases:duty"),
        "shift_org_options": _with_selected(_handler_organisations(user), _organisations(user),
                                            shift_form["organisation"].value()),
        "duty_user_options": _with_selected(list(duty_users[:50]), duty_users, shift_form["user"].value()),
        "grid_user_options": _with_selected(list(grid_users[:50]), grid_users, grid_form["user"].value()),
    }
    return render(request, "cases/staff/duty.html", ctx, status=400 if form is not None else 200)


@module_required(roles.M_DUTY)
@require_POST
def duty_shift_delete(request, pk):
    shift = get_visible_or_404(DutyShift.objects.select_related("organisation", "user"), request.user, pk=pk)
    label = f"{shift.user.name}({shift.starts_on}至{shift.ends_on})"
    run_action(request, lambda: services.duty_shift_delete(actor=request.user, shift=shift), f"已取消值班安排:{label}")
    return redirect("cases:duty")


@module_required(roles.M_DUTY)
@require_POST
def grid_member_end(request, pk):
    member = get_visible_or_404(GridMember.objects.select_related("user", "division"), request.user, pk=pk)
    active = request.POST.get("active") == "1"
    run_action(request, lambda: services.grid_member_set(actor=request.user, user=member.user,
                                                         division=member.division, role=member.role, active=active),
               f"{member.user.name}已{'恢复' if active else '停止'}担任{member.division.name}网格成员")
    return redirect("cases:duty")

