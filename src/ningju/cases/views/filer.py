"""The filer-side pages of the case engine, made for phones (375 px).

* ``file`` — a worker files a grievance (诉求); ``report`` — a grid member reports an incident (事件上报).
* ``file_anonymous`` — a grievance without an account, rate-limited per address; ``filed`` shows the case
  number and the query code once, ``track`` / ``track_case`` let the holder of both follow, rate, re-open
  and add to the case.
* ``mine`` / ``mine_detail`` — the worker's own cases with their public timeline and the filer's actions.
* ``notifications`` — every login's own inbox (站内消息). It needs a login and no module: notifications are
  addressed to one user and only ever shown to that user, whatever the role.
* ``attachment`` — a photo of a case, for those who may see the case, or who proved its query code in this
  browser session (shared with the staff pages).

Rules stay in :mod:`ningju.cases.services`; the views call them and show their refusals.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import ALL, get_usage

from ningju.core import roles, uploads
from ningju.core.scoping import get_visible_or_404, is_visible
from ningju.web.access import attach_errors, module_required

from .. import permissions, selectors, services
from ..forms_filer import (
    SERVICE_FIELDS,
    AnonymousForm,
    CommentForm,
    GrievanceForm,
    IncidentForm,
    RateForm,
    ReopenForm,
    TrackForm,
    division_initial,
    town_by_code,
    village_choices,
)
from ..models import Attachment, Case, GridMember
from ..states import REOPEN_LIMIT, REOPEN_WINDOW_DAYS, TRANSITIONS, Action, Rating, Status

SESSION_FILED = "cases.filed"      # {"pk", "number", "code"}: shown once by the ``filed`` page, then dropped
SESSION_TRACKED = "cases.tracked"  # {pk: query code} of the cases this browser session proved it may follow
NOT_FOUND = "未找到该事项:请核对事项编号和查询码(区分大小写的字母与数字均可直接输入)"
ANON_GROUP, TRACK_GROUP = "cases.file_anonymous", "cases.track"


def anon_rate() -> str:
    """Anonymous filings per address (setting ``NINGJU_ANON_CASE_RATE``, e.g. "5/h")."""
    return settings.NINGJU_ANON_CASE_RATE


def track_rate() -> str:
    """Failed number + query code look-ups per address (setting ``NINGJU_CASE_TRACK_RATE``, e.g. "10/h")."""
    return settings.NINGJU_CASE_TRACK_RATE


def _over_limit(request, group: str, rate: str) -> bool:
    """Whether this address has used up ``rate`` for ``group`` (django-ratelimit's counter, not counting)."""
    usage = get_usage(request, group=group, key="ip", rate=rate, method=ALL, increment=False)
    return bool(usage) and (usage["should_limit"] or usage["count"] >= usage["limit"])


def _count(request, group: str, rate: str) -> None:
    get_usage(request, group=group, key="ip", rate=rate, method=ALL, increment=True)


def _show_errors(form, exc: ValidationError) -> None:
    """A service's refusal on the form, its field names translated to the form's."""
    if hasattr(exc, "error_dict"):
        exc = ValidationError({SERVICE_FIELDS.get(k, k): v for k, v in exc.error_dict.items()})
    attach_errors(form, exc)


def _tracked(request) -> dict:
    return request.session.get(SESSION_TRACKED, {})


def _remember(request, case: Case, code: str) -> None:
    tracked = dict(_tracked(request))
    tracked[str(case.pk)] = code
    request.session[SESSION_TRACKED] = tracked


# --- filing ----------------------------------------------------------------------------------------------

def _file(request, form, *, actor, **extra):
    """Run ``services.case_file`` with the form's data; None (and the errors on the form) when refused."""
    try:
        return services.case_file(actor=actor, **form.service_kwargs(), **extra, audit_source="web")
    except ValidationError as exc:
        _show_errors(form, exc)
        return None


def _after_anonymous(request, filed):
    """Show the number and query code once (``filed``), or say the same request was already filed."""
    case = filed.case
    if filed.query_code:
        request.session[SESSION_FILED] = {"pk": case.pk, "number": case.number, "code": filed.query_code}
        _remember(request, case, filed.query_code)
    elif (request.session.get(SESSION_FILED) or {}).get("pk") != case.pk:
        messages.info(request, f"该诉求已经提交过(编号 {case.number}),没有重复提交。查询码只在第一次提交后显示一次。")
    return redirect("cases:filed")


def _filing_page(request, form, *, template_context: dict):
    return render(request, "cases/filer/file.html", {"form": form, **template_context},
                  status=400 if form.is_bound and form.errors else 200)


@module_required(roles.M_CASES_FILE)
def file(request):
    """A logged-in worker files a grievance; ticked 匿名, it is filed without the account."""
    person = request.user.person if request.user.person_id else None
    initial = division_initial(person.home_division if person else None)
    form = GrievanceForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        anonymous = form.cleaned_data["anonymous"]
        filed = _file(request, form, actor=request.user, anonymous=anonymous)
        if filed is not None:
            if filed.case.filer_id != request.user.pk:
                return _after_anonymous(request, filed)
            number = filed.case.number
            if filed.created:
                messages.success(request, f"诉求已提交,编号 {number}。办理进展会通过站内消息通知您。")
            else:
                messages.info(request, f"该诉求已经提交过(编号 {number}),没有重复提交。")
            return redirect("cases:mine_detail", pk=filed.case.pk)
    return _filing_page(request, form, template_context={
        "title": "提交诉求", "submit_label": "提交诉求",
        "intro": "遇到劳动报酬、交通通行、生活服务、平台规则等方面的困难,可以在这里反映,"
                 "我们会分派到承办单位限时办理。"})


@never_cache
def file_anonymous(request):
    """A grievance without an account (rate-limited per address); contact details optional."""
    form = AnonymousForm(request.POST or None, request.FILES or None)
    ctx = {"title": "匿名反映诉求", "submit_label": "匿名提交", "anonymous_page": True,
           "intro": "无需登录。提交后会显示事项编号和查询码,请记下,凭它们查询办理进展和评价。"}
    if request.method == "POST":
        if _over_limit(request, ANON_GROUP, anon_rate()):
            return render(request, "cases/filer/file.html", {**ctx, "form": form, "limited": True}, status=429)
        if form.is_valid():
            actor = request.user if request.user.is_authenticated else None
            filed = _file(request, form, actor=actor)
            if filed is not None:
                if filed.created:
                    _count(request, ANON_GROUP, anon_rate())
                return _after_anonymous(request, filed)
    return _filing_page(request, form, template_context=ctx)


@never_cache
@require_GET
def filed(request):
    """The number and query code of a case just filed without an account, shown once."""
    shown = request.session.pop(SESSION_FILED, None)
    return render(request, "cases/filer/filed.html", {"shown": shown})


@module_required(roles.M_CASES_REPORT)
def report(request):
    """A grid member's incident report; 突发事件 reach the on-duty leaders at once (the SUBMIT flow does it)."""
    member = (GridMember.objects.filter(user=request.user, active=True).select_related("division__parent")
              .order_by("-created_at").first())
    form = IncidentForm(request.POST or None, request.FILES or None,
                        initial=division_initial(member.division if member else None))
    if request.method == "POST" and form.is_valid():
        filed = _file(request, form, actor=request.user)
        if filed is not None:
            case = filed.case
            if not filed.created:
                messages.info(request, f"该事件已经上报过(编号 {case.number}),没有重复上报。")
            else:
                notified = (case.events.filter(action=Action.COMMENT).order_by("id")
                            .values_list("comment", "data"))
                note = next((c for c, d in notified if "emergency_notified" in (d or {})), "")
                if note:
                    messages.warning(request, f"突发事件已上报,编号 {case.number}。{note},请保持电话畅通。")
                else:
                    messages.success(request, f"事件已上报,编号 {case.number}。")
            return redirect("cases:mine_detail", pk=case.pk)
    return _filing_page(request, form, template_context={
        "title": "事件上报", "submit_label": "上报", "report_page": True,
        "member": member,
        "intro": "网格员(含移动探头)上报社情民意、异常情况和突发事件。突发事件请标出位置,提交后立即通知值班领导。"})


@require_GET
def villages(request):
    """The village select for a town (htmx, on the filing pages; public reference data)."""
    town = town_by_code(request.GET.get("town"))
    return render(request, "cases/filer/_villages.html",
                  {"choices": village_choices(town), "selected": request.GET.get("village", "")})


# --- the case page (own case or followed by query code) -----------------------------------------------

def _who(case: Case, e) -> str:
    if e.action in (Action.SUBMIT, Action.RATE, Action.REOPEN) or (e.data or {}).get("by_filer"):
        return "提交人"
    if e.organisation_id:
        return e.organisation.name
    return "工作人员" if e.actor_id else "系统"


def _timeline(case: Case) -> list[dict]:
    rows = []
    for e in selectors.public_timeline(case):
        data = e.data or {}
        label = Action(e.action).label if e.action in Action.values else e.action
        if e.action == Action.COMMENT and "emergency_notified" in data:
            label = "突发事件通知"
        rating = Rating(data["rating"]).label if data.get("rating") in Rating.values else ""
        rows.append({"at": e.at, "label": label, "who": _who(case, e), "comment": e.comment, "rating": rating,
                     "status": Status(e.to_status).label if e.to_status in Status.values else "",
                     "attachments": [a for a in e.attachments.all()]})
    return rows


def _may_reopen(case: Case) -> bool:
    if case.status != Status.CLOSED or case.rating != Rating.UNSATISFIED or case.reopen_count >= REOPEN_LIMIT:
        return False
    return case.closed_at is not None and timezone.now() - case.closed_at <= dt.timedelta(days=REOPEN_WINDOW_DAYS)


def _case_page(request, case: Case, *, template: str, query_code: str | None, back_url: str, extra: dict):
    """The case with its timeline and the filer's actions (rate, re-open, add a comment); POST runs one."""
    forms = {
        "rate": RateForm(prefix="rate", initial={"version": case.version}),
        "reopen": ReopenForm(prefix="reopen", initial={"version": case.version}),
        "note": CommentForm(prefix="note"),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in forms:
            raise Http404("操作不存在")
        form_class = type(forms[action])
        form = form_class(request.POST, request.FILES if action == "note" else None, prefix=action)
        forms[action] = form
        actor = request.user if query_code is None else None  # a query-code holder acts without an account
        if form.is_valid():
            d = form.cleaned_data
            try:
                if action == "rate":
                    services.case_rate(actor=actor, case=case, rating=d["rating"], comment=d["comment"],
                                       query_code=query_code, version=d["version"])
                    done = "感谢您的评价,事项已办结。" if d["rating"] != Rating.UNSATISFIED else \
                        "已收到您的评价,承办单位会看到您的意见;如仍未解决,可在15天内申请重新办理一次。"
                elif action == "reopen":
                    services.case_reopen(actor=actor, case=case, reason=d["reason"], query_code=query_code,
                                         version=d["version"])
                    done = "已申请重新办理,事项已退回承办单位。"
                else:
                    services.case_comment(actor=actor, case=case, comment=d["comment"], query_code=query_code,
                                          attachments=d["photos"])
                    done = "补充说明已提交。"
            except ValidationError as exc:
                if not (hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields)):
                    # A refusal of the step itself (changed meanwhile, wrong state): show the case as it is now.
                    messages.error(request, ";".join(exc.messages))
                    return redirect(request.path)
                _show_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect(request.path)
        status = 400
    ctx = {
        "case": case, "timeline": _timeline(case), "forms": forms, "back_url": back_url,
        "can_rate": case.status == Status.REPLIED,
        "can_reopen": _may_reopen(case),
        "can_comment": case.status in TRANSITIONS[Action.COMMENT],
        "show_reply": case.status in (Status.REPLIED, Status.CLOSED) and bool(case.reply),
        "reopen_days": REOPEN_WINDOW_DAYS,
        **extra,
    }
    return render(request, template, ctx, status=status)


@module_required(roles.M_CASES_FILE)
def mine(request):
    cases = selectors.mine(user=request.user).filter(filer=request.user)
    page = Paginator(cases, 20).get_page(request.GET.get("page"))
    return render(request, "cases/filer/mine.html", {"page": page, "cases": page.object_list})


@module_required(roles.M_CASES_FILE)
def mine_detail(request, pk: int):
    case = get_visible_or_404(selectors.mine(user=request.user).filter(filer=request.user), request.user, pk=pk)
    return _case_page(request, case, template="cases/filer/case.html", query_code=None,
                      back_url=reverse("cases:mine"), extra={"own": True})


@never_cache
def track(request):
    """Number + query code → the case (kept in this session); any mismatch gives one and the same answer."""
    form = TrackForm(request.POST or None)
    ctx = {"form": form}
    if request.method == "POST":
        if _over_limit(request, TRACK_GROUP, track_rate()):
            return render(request, "cases/filer/track.html", {**ctx, "limited": True}, status=429)
        if form.is_valid():
            number = form.cleaned_data["number"].strip().upper()
            code = form.cleaned_data["code"].strip().upper()
            try:
                case = selectors.case_by_code(number=number, query_code=code)
            except Http404:
                _count(request, TRACK_GROUP, track_rate())
                form.add_error(None, NOT_FOUND)
                return render(request, "cases/filer/track.html", ctx, status=404)
            _remember(request, case, code)
            return redirect("cases:track_case", pk=case.pk)
        return render(request, "cases/filer/track.html", ctx, status=400)
    return render(request, "cases/filer/track.html", ctx)


@never_cache
def track_case(request, pk: int):
    """A case followed by its query code; only after ``track`` proved the code in this session."""
    code = _tracked(request).get(str(pk))
    case = Case.objects.select_related("category", "division", "organisation").filter(pk=pk).first() if code else None
    if case is None or not permissions.is_filer(None, case, code):
        messages.error(request, "请输入事项编号和查询码查询")
        return redirect("cases:track")
    return _case_page(request, case, template="cases/filer/case.html", query_code=code,
                      back_url=reverse("cases:track"), extra={"own": False})


# --- notifications ---------------------------------------------------------------------------------------

def _notification_target(user, n) -> str | None:
    case = n.case
    if case is not None:
        if case.filer_id == user.pk and user.can(roles.M_CASES_FILE):
            return reverse("cases:mine_detail", args=[case.pk])
        if user.can(roles.M_CASES) and is_visible(case, user):
            try:
                return reverse("cases:detail", args=[case.pk])
            except NoReverseMatch:  # the staff pages are not mounted (a filer-only installation)
                return None
        return None
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts=None) and n.url.startswith("/"):
        return n.url
    return None


@login_required
def notifications(request):
    """The user's own notifications, unread first; "全部标为已读" marks them all."""
    if request.method == "POST":
        n = services.mark_read(user=request.user)
        messages.success(request, f"已将{n}条消息标为已读" if n else "没有未读消息")
        return redirect("cases:notifications")
    qs = selectors.notifications(user=request.user).annotate(
        unread=SqlCase(When(read_at__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
    ).order_by("-unread", "-created_at", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "cases/filer/notifications.html",
                  {"page": page, "items": page.object_list, "unread": services.unread_count(request.user)})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one notification read and go to its case (if the user may open it)."""
    n = get_visible_or_404(selectors.notifications(user=request.user), request.user, pk=pk)
    services.mark_read(user=request.user, ids=[n.pk])
    return redirect(_notification_target(request.user, n) or "cases:notifications")


# --- attachments -----------------------------------------------------------------------------------------

@require_GET
def attachment(request, pk: int):
    """A case's file, to those who may see the case or who proved its query code in this session."""
    found = Attachment.objects.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        tracked = _tracked(request)
        found = Attachment.objects.select_related("case").filter(pk=pk).first()
        if found is None or not permissions.is_filer(None, found.case, tracked.get(str(found.case_id))):
            raise Http404("文件不存在或无权查看")
    return uploads.file_response(found.file, filename=f"附件-{found.pk}")
