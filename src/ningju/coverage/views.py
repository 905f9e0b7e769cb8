"""Pages of the coverage survey, 应建尽建 and the coverage figures (thin: forms → services, selectors → templates)."""

from __future__ import annotations

import datetime as dt
import io

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from ningju.core import roles
from ningju.core.crypto import keyed_hash
from ningju.core.excel import xlsx_bytes
from ningju.core.idcard import mask_phone, normalise
from ningju.core.scoping import get_visible_or_404
from ningju.orgs.models import Industry, Organisation
from ningju.people.models import PARTY_STATUSES, Person
from ningju.people.selectors import may_see_sensitive
from ningju.web.access import attach_errors, module_required, render_htmx, run_action

from . import selectors, services
from .forms import (
    CampaignForm,
    FindingFilterForm,
    JoinForm,
    JointBranchForm,
    MemberImportForm,
    ReferralForm,
    RejectForm,
    UnitAddForm,
    VerifyForm,
)
from .models import CampaignUnit, Finding, MemberRecord

JOIN_RATE = "20/h"


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() and len(str(value)) < 18 else None


def _public_url(request, path: str) -> str:
    base = getattr(settings, "NINGJU_PUBLIC_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


# --- campaigns ---------------------------------------------------------------------------------------------

@module_required(roles.M_COVERAGE)
def campaign_list_view(request):
    state = request.GET.get("state", "")
    page = Paginator(selectors.campaign_list(user=request.user, state=state), 20).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.state_code, c.state_label = selectors.campaign_state(c)
    return render(request, "coverage/campaign_list.html", {
        "page": page, "state": state, "can_manage": request.user.can(roles.M_COVERAGE_MANAGE),
        "states": [("active", "进行中"), ("upcoming", "未开始"), ("ended", "已结束")]})


@module_required(roles.M_COVERAGE_MANAGE)
def campaign_create(request):
    today = timezone.localdate()
    form = CampaignForm(request.POST or None, user=request.user,
                        initial={"starts_on": today, "ends_on": today + dt.timedelta(days=61)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(actor=request.user, name=data["name"], starts_on=data["starts_on"],
                                                ends_on=data["ends_on"], divisions=list(data["divisions"]),
                                                industries=data["industries"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已发起排查“{campaign.name}”,列入 {campaign.units.count()} 个企业/站点")
            return redirect("coverage:campaign", pk=campaign.pk)
    return render(request, "coverage/campaign_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_COVERAGE)
def campaign_detail(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    units = selectors.campaign_units(user=request.user, campaign=campaign, q=q, state=state)
    page = Paginator(units, 30).get_page(request.GET.get("page"))
    for u in page.object_list:
        u.can_check = u.checked_at is None and services.may_work_on(request.user, u.organisation)
    can_manage = request.user.can(roles.M_COVERAGE_MANAGE)
    ctx = {"campaign": campaign, "page": page, "q": q, "state": state, "can_manage": can_manage,
           "query_string": request.GET.urlencode()}
    if request.htmx and not request.htmx.boosted:
        return render(request, "coverage/_unit_rows.html", ctx)
    ctx.update({
        "summary": selectors.campaign_summary(user=request.user, campaign=campaign),
        "state_code": selectors.campaign_state(campaign)[0], "state_label": selectors.campaign_state(campaign)[1],
        "join_url": _public_url(request, reverse("coverage:join", args=[campaign.public_token])),
        "divisions": campaign.divisions.order_by("code"),
        "industries": [label for code, label in Industry.choices if code in campaign.industries] or ["全部行业"],
        "add_form": UnitAddForm(choices=selectors.unit_choices_to_add(user=request.user, campaign=campaign)[:300])
        if can_manage else None,
    })
    return render(request, "coverage/campaign_detail.html", ctx)


def _qr(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    url = _public_url(request, reverse("coverage:join", args=[campaign.public_token]))
    return campaign, segno.make(url, error="m")


def _qr_response(request, campaign, body: bytes, content_type: str, ext: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="campaign-{campaign.pk}-qr.{ext}"'
    return response


@module_required(roles.M_COVERAGE)
def campaign_qr_png(request, pk):
    campaign, qr = _qr(request, pk)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=10, border=2)
    return _qr_response(request, campaign, buf.getvalue(), "image/png", "png")


@module_required(roles.M_COVERAGE)
def campaign_qr_svg(request, pk):
    campaign, qr = _qr(request, pk)
    buf = io.BytesIO()
    qr.save(buf, kind="svg", scale=6, border=2, xmldecl=False, svgclass="qr", lineclass=None)
    return _qr_response(request, campaign, buf.getvalue(), "image/svg+xml", "svg")


@module_required(roles.M_COVERAGE_MANAGE)
@require_POST
def campaign_match(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    n = services.match_campaign(campaign, actor=request.user)
    messages.success(request, f"已比对党员信息库,新发现 {n} 条党员线索" if n else "已比对党员信息库,没有新的党员线索")
    return redirect("coverage:campaign", pk=campaign.pk)


@module_required(roles.M_COVERAGE_MANAGE)
@require_POST
def unit_add(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    form = UnitAddForm(request.POST, choices=selectors.unit_choices_to_add(user=request.user, campaign=campaign))
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        run_action(request, lambda: services.campaign_unit_add(actor=request.user, campaign=campaign,
                                                               organisation=organisation),
                   f"已加入:{organisation.name}")
    else:
        messages.error(request, "请选择要加入的企业或站点")
    return redirect("coverage:campaign", pk=campaign.pk)


@module_required(roles.M_COVERAGE_MANAGE)
@require_POST
def unit_remove(request, pk):
    unit = get_visible_or_404(CampaignUnit.objects.select_related("organisation", "campaign"), request.user, pk=pk)
    run_action(request, lambda: services.campaign_unit_remove(actor=request.user, unit=unit),
               f"已移出:{unit.organisation.name}")
    return redirect("coverage:campaign", pk=unit.campaign_id)


@module_required(roles.M_COVERAGE)
@require_POST
def unit_check(request, pk):
    unit = get_visible_or_404(CampaignUnit.objects.select_related("organisation", "campaign"), request.user, pk=pk)
    run_action(request, lambda: services.campaign_unit_check(actor=request.user, unit=unit),
               f"已标记核查完成:{unit.organisation.name}")
    return redirect("coverage:campaign", pk=unit.campaign_id)


# --- findings ----------------------------------------------------------------------------------------------

@module_required(roles.M_COVERAGE)
def finding_list_view(request):
    form = FindingFilterForm(request.GET or None)
    filters = {"campaign_id": _int(request.GET.get("campaign")), "employer_id": _int(request.GET.get("employer")),
               "q": request.GET.get("q", "").strip(),
               "channel": request.GET.get("channel") if request.GET.get("channel") in Finding.Channel.values else "",
               "status": request.GET.get("status") if request.GET.get("status") in Finding.Status.values else ""}
    page = Paginator(selectors.finding_list(user=request.user, **filters), 30).get_page(request.GET.get("page"))
    sensitive = may_see_sensitive(request.user)
    for f in page.object_list:
        f.shown_phone = f.declared_phone if sensitive else mask_phone(f.declared_phone)
    campaigns = selectors.campaign_list(user=request.user)[:50]
    ctx = {"page": page, "form": form, "campaigns": campaigns, **filters, "channels": Finding.Channel.choices,
           "statuses": Finding.Status.choices, "can_manage": request.user.can(roles.M_COVERAGE_MANAGE)}
    return render_htmx(request, "coverage/finding_list.html", "coverage/_finding_rows.html", ctx)


def _verify_form(request, finding, data=None):
    party_orgs = (selectors.party_orgs_for(user=request.user)
                  | services.party_orgs_in(finding.campaign)).distinct().order_by("path")
    initial = {"member_status": finding.member_status, "relation_org": finding.relation_org_id,
               "relation_text": finding.relation_text}
    return VerifyForm(data, party_orgs=party_orgs, needs_id=finding.person_id is None, initial=initial,
                      prefix="verify")


def _finding_page(request, finding, verify_form=None, reject_form=None, status=200):
    sensitive = may_see_sensitive(request.user)
    pending = finding.status == Finding.Status.PENDING
    can_review = pending and services.may_work_on(request.user, finding.employer)
    person = finding.person
    ctx = {
        "finding": finding, "person": person,
        "shown_phone": finding.declared_phone if sensitive else mask_phone(finding.declared_phone),
        "shown_id": (person.id_number if sensitive else person.id_number_masked) if person else "",
        "name_differs": bool(person and person.name != finding.declared_name),
        "others": selectors.other_findings_of(finding),
        "can_review": can_review,
        "verify_form": verify_form or (_verify_form(request, finding) if can_review else None),
        "reject_form": reject_form or (RejectForm(prefix="reject") if can_review else None),
        "can_people": request.user.can(roles.M_PEOPLE),
    }
    return render(request, "coverage/finding_detail.html", ctx, status=status)


@module_required(roles.M_COVERAGE)
def finding_detail(request, pk):
    return _finding_page(request, selectors.finding_get(user=request.user, pk=pk))


@module_required(roles.M_COVERAGE)
@require_POST
def finding_verify(request, pk):
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = _verify_form(request, finding, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.finding_verify(actor=request.user, finding=finding, id_number=data.get("id_number", ""),
                                    member_status=data["member_status"], relation_org=data["relation_org"],
                                    relation_text=data["relation_text"], reason=data["reason"])
        except PermissionDenied:
            raise
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已核实:{finding.declared_name} 为{finding.get_member_status_display()}")
            return redirect("coverage:finding", pk=finding.pk)
    return _finding_page(request, finding, verify_form=form, status=400)


@module_required(roles.M_COVERAGE)
@require_POST
def finding_reject(request, pk):
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = RejectForm(request.POST, prefix="reject")
    if form.is_valid():
        try:
            services.finding_reject(actor=request.user, finding=finding, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已标记不属实:{finding.declared_name}")
            return redirect("coverage:finding", pk=finding.pk)
    return _finding_page(request, finding, reject_form=form, status=400)


@module_required(roles.M_COVERAGE_MANAGE)
def staff_referral(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    units = CampaignUnit.objects.visible_to(request.user).filter(campaign=campaign).select_related(
        "organisation", "campaign").order_by("organisation__name")
    form = ReferralForm(request.POST or None, units=units, staff=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        referrer = None
        number = normalise(data.get("referrer_id_number", ""))
        if number:
            referrer = Person.objects.visible_to(request.user).filter(id_hash=keyed_hash(number)).first()
            if referrer is None:
                form.add_error("referrer_id_number", "人员库中没有该身份证号的人员(或不在管辖范围内)")
        if not form.errors:
            try:
                services.referral_create(actor=request.user, unit=data["unit"], name=data["name"],
                                         phone=data["phone"], note=data["note"], referrer=referrer)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已登记推荐线索:{data['name']}")
                return redirect("coverage:campaign", pk=campaign.pk)
    return render(request, "coverage/referral_form.html", {"form": form, "campaign": campaign, "staff": True},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_REFER)
def refer(request):
    person = request.user.person
    if person is None or person.political_status not in PARTY_STATUSES:
        raise PermissionDenied("只有党员可以推荐身边的党员")
    units = selectors.referral_units(person=person)
    form = ReferralForm(request.POST or None, units=CampaignUnit.objects.filter(pk__in=[u.pk for u in units])
                        .select_related("organisation", "campaign").order_by("organisation__name"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_create(actor=request.user, unit=data["unit"], name=data["name"], phone=data["phone"],
                                     note=data["note"], referrer=person)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"感谢推荐!已提交“{data['name']}”的信息,组织部门核实后会与其联系")
            return redirect("coverage:refer")
    mine = Finding.objects.visible_to(request.user).filter(referrer=person).select_related("employer")[:50]
    return render(request, "coverage/referral_form.html", {"form": form, "mine": mine, "staff": False},
                  status=400 if request.method == "POST" else 200)


# --- 党员找组织: the public page -----------------------------------------------------------------------------

@ratelimit(key="ip", rate=JOIN_RATE, method="POST", block=False)
def join(request, token):
    campaign = selectors.campaign_by_token(token)
    ctx = {"campaign": campaign}
    if not campaign.is_active_on(services.today()):
        ctx["closed"] = True
        return render(request, "coverage/join.html", ctx)
    if request.method == "POST" and getattr(request, "limited", False):
        ctx["limited"] = True
        return render(request, "coverage/join.html", ctx, status=429)
    if request.GET.get("done"):
        ctx["done"] = True
        return render(request, "coverage/join.html", ctx)
    employers = Organisation.objects.filter(campaign_units__campaign=campaign).order_by("name")
    form = JoinForm(request.POST or None, employers=employers, party_orgs=services.party_orgs_in(campaign))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.self_declare(campaign=campaign, name=data["name"], id_number=data["id_number"],
                                  phone=data["phone"], employer=data["employer"],
                                  member_status=data["member_status"], relation_org=data["relation_org"],
                                  relation_text=data["relation_text"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return redirect(f"{reverse('coverage:join', args=[token])}?done=1")
    ctx["form"] = form
    return render(request, "coverage/join.html", ctx, status=400 if request.method == "POST" else 200)


# --- the member registry -----------------------------------------------------------------------------------

@module_required(roles.M_COVERAGE_MANAGE)
def member_list(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in MemberRecord.Status.values else ""
    page = Paginator(selectors.member_record_list(user=request.user, q=q, status=status), 30).get_page(
        request.GET.get("page"))
    sensitive = may_see_sensitive(request.user)
    for r in page.object_list:
        r.shown_id = r.id_number if sensitive else r.id_number_masked
    ctx = {"page": page, "q": q, "status": status, "statuses": MemberRecord.Status.choices,
           "form": MemberImportForm(divisions=selectors.member_divisions(user=request.user))}
    return render_htmx(request, "coverage/member_list.html", "coverage/_member_rows.html", ctx)


@module_required(roles.M_COVERAGE_MANAGE)
def member_import(request):
    form = MemberImportForm(request.POST or None, request.FILES or None,
                            divisions=selectors.member_divisions(user=request.user))
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.member_records_import(actor=request.user, division=form.cleaned_data["division"],
                                                file_name=upload.name, data=upload.read())
        if result.ok:
            messages.success(request, f"导入成功:新增 {result.created} 人,更新 {result.updated} 人,"
                                      f"未变 {result.unchanged} 人")
            return redirect("coverage:members")
    status = 200 if request.method == "GET" else 400
    return render(request, "coverage/member_import.html", {"form": form, "result": result}, status=status)


# --- 应建尽建 ----------------------------------------------------------------------------------------------

def _instructors_url(org_id: int) -> str:
    try:
        base = reverse("instructors:list")
    except NoReverseMatch:  # pragma: no cover - the instructors app not mounted
        base = "/instructors/"
    return f"{base}?organisation={org_id}"


@module_required(roles.M_COVERAGE)
def build_view(request):
    division = selectors.division_for(user=request.user, code=request.GET.get("division"))
    category = request.GET.get("category", "")
    category = category if category in selectors.CATEGORIES else ""
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.should_build(user=request.user, division=division, category=category, q=q),
                     30).get_page(request.GET.get("page"))
    can_manage = request.user.can(roles.M_COVERAGE_MANAGE)
    for uc in page.object_list:
        uc.category = selectors.category_of(uc)
        uc.category_label = selectors.CATEGORIES[uc.category]
        uc.why = selectors.why_not_covered(uc)
        uc.instructors_url = _instructors_url(uc.organisation_id)
    ctx = {"division": division, "category": category, "q": q, "page": page, "can_manage": can_manage,
           "can_instructors": request.user.can(roles.M_INSTRUCTORS_MANAGE),
           "categories": selectors.CATEGORIES, "query_string": request.GET.urlencode()}
    if request.htmx and not request.htmx.boosted:
        return render(request, "coverage/_build_rows.html", ctx)
    ctx["counts"] = selectors.should_build_counts(user=request.user, division=division)
    ctx["mobile"] = selectors.mobile_members(user=request.user, division=division)
    ctx["crumbs"] = selectors.breadcrumbs(request.user, division)
    return render(request, "coverage/build.html", ctx)


@module_required(roles.M_COVERAGE_MANAGE)
@require_POST
def found_branch(request, pk):
    unit = selectors.unit_get(user=request.user, pk=pk)
    run_action(request, lambda: services.branch_found(actor=request.user, organisation=unit),
               lambda branch: f"已建立“{branch.name}”,{unit.name}已实现党的组织覆盖")
    return redirect(f"{reverse('coverage:build')}?division={unit.division.code}")


@module_required(roles.M_COVERAGE_MANAGE)
def joint_branch(request, pk):
    unit = selectors.unit_get(user=request.user, pk=pk)
    link = selectors.joint_link_of(unit)
    form = JointBranchForm(request.POST or None,
                           joint_branches=selectors.joint_branch_choices(user=request.user, unit=unit),
                           parents=selectors.joint_parent_choices(user=request.user, unit=unit),
                           initial={"new_name": f"{unit.division.name}新就业群体联合党支部"})
    if request.method == "POST" and link is None and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.joint_branch_attach(actor=request.user, organisation=unit,
                                                joint_branch=data["joint_branch"], new_name=data["new_name"],
                                                new_parent=data["new_parent"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"{unit.name}已纳入“{link.joint_branch.name}”")
            return redirect(f"{reverse('coverage:build')}?division={unit.division.code}")
    coverage = services.coverage_of(unit)
    return render(request, "coverage/joint_form.html", {"unit": unit, "form": form, "link": link,
                                                        "coverage": coverage},
                  status=400 if request.method == "POST" else 200)


# --- coverage figures --------------------------------------------------------------------------------------

def _industry_param(request) -> str | None:
    """``?industry=CODE``; ``none`` for units without an industry; absent or empty for all industries."""
    value = request.GET.get("industry") or ""
    if value == "none":
        return ""
    return value if value and value in Industry.values else None


@module_required(roles.M_COVERAGE)
def figures_view(request, code=None):
    division = selectors.division_for(user=request.user, code=code or request.GET.get("division"))
    industry = _industry_param(request)
    fig = selectors.figures(user=request.user, division=division, industry=industry)
    units = None
    if fig.by_division is None:
        units = Paginator(selectors.unit_rows(user=request.user, division=division, industry=industry),
                          50).get_page(request.GET.get("page"))
        for uc in units.object_list:
            uc.why = selectors.why_not_covered(uc)
    ctx = {"fig": fig, "units": units, "industries": [c for c in Industry.choices if c[0]],
           "industry": industry,
           "industry_label": selectors.INDUSTRY_LABELS.get(industry, "") if industry is not None else "",
           "industry_param": "none" if industry == "" else (industry or ""),
           "export_query": f"division={division.code}" + (f"&industry={industry or 'none'}"
                                                            if industry is not None else "")}
    return render(request, "coverage/figures.html", ctx)


def _figure_cells(row: dict) -> list:
    return [row["units"], row["covered"], row["rate"] if row["rate"] is not None else "", row["formal"],
            row["probationary"], row["mobile"], row["found_org"], row["found_self"], row["found_referred"],
            row["found_total"], row["instructors"], row["workers"]]


FIGURE_HEADER = ["企业/站点", "已覆盖", "覆盖率(%)", "正式党员", "预备党员", "流动党员", "组织找党员", "党员找组织",
                 "党员找党员", "发现党员(去重)", "党建指导员", "从业人员"]


@module_required(roles.M_COVERAGE)
def figures_export(request):
    division = selectors.division_for(user=request.user, code=request.GET.get("division"))
    industry = _industry_param(request)
    fig = selectors.figures(user=request.user, division=division, industry=industry, uncovered_limit=0)
    header = ["分组", "名称", "代码", *FIGURE_HEADER, "是否覆盖", "未覆盖原因"]
    rows = [["合计", division.name + (f" · {selectors.INDUSTRY_LABELS.get(industry)}" if industry else ""),
             division.code, *_figure_cells(fig.totals), "", ""]]
    for r in fig.by_division or []:
        rows.append(["区划", r["label"], r["code"], *_figure_cells(r), "", ""])
    for r in fig.by_industry:
        rows.append(["行业", r["label"], r["industry"], *_figure_cells(r), "", ""])
    for uc in selectors.unit_rows(user=request.user, division=division, industry=industry)[:50_000]:
        org = uc.organisation
        rows.append(["企业/站点", org.name, org.division.code, 1, int(uc.covered), "", uc.own_formal,
                     uc.own_probationary, uc.own_mobile, uc.found_org, uc.found_self, uc.found_referred,
                     uc.found_total, uc.instructors, uc.own_workers, "是" if uc.covered else "否",
                     selectors.why_not_covered(uc)])
    response = HttpResponse(xlsx_bytes("覆盖情况", header, rows),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (f'attachment; filename="coverage-{division.code}-'
                                       f'{timezone.localdate():%Y%m%d}.xlsx"')
    return response

