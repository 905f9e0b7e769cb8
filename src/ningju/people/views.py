from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ningju.core import audit, roles
from ningju.core.excel import xlsx_bytes
from ningju.web.access import attach_errors, module_required, render_htmx, run_action

from . import services
from .forms import PersonForm
from .models import Occupation, PoliticalStatus
from .selectors import may_see_sensitive, person_get, person_list, shown_id, shown_phone

A_EXPORTED = audit.register_action("people.person.exported", "导出人员名单")
EXPORT_LIMIT = 50_000


def _filters(request) -> dict:
    employer = request.GET.get("employer", "")
    return {
        "q": request.GET.get("q", "").strip(),
        "political_status": request.GET.get("political_status", ""),
        "occupation": request.GET.get("occupation", ""),
        "employer_id": int(employer) if employer.isdigit() else None,
    }


@module_required(roles.M_PEOPLE)
def person_list_view(request):
    filters = _filters(request)
    qs = person_list(user=request.user, **filters)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    for p in page.object_list:
        p.shown_id = shown_id(request.user, p)
        p.shown_phone = shown_phone(request.user, p)
    ctx = {"page": page, **filters, "statuses": PoliticalStatus.choices, "occupations": Occupation.choices,
           "can_edit": request.user.can(roles.M_PEOPLE_EDIT), "query_string": request.GET.urlencode()}
    return render_htmx(request, "people/list.html", "people/_rows.html", ctx)


@module_required(roles.M_PEOPLE)
def person_detail(request, pk):
    person = person_get(user=request.user, pk=pk)
    ctx = {"person": person, "shown_id": shown_id(request.user, person),
           "shown_phone": shown_phone(request.user, person), "can_edit": request.user.can(roles.M_PEOPLE_EDIT)}
    return render(request, "people/detail.html", ctx)


def _data(form) -> dict:
    data = dict(form.cleaned_data)
    if not data.get("id_number"):
        data.pop("id_number", None)
    return data


@module_required(roles.M_PEOPLE_EDIT)
def person_create(request):
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(actor=request.user, **_data(form))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记:{person.name}")
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "title": "登记人员"},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_PEOPLE_EDIT)
def person_edit(request, pk):
    person = person_get(user=request.user, pk=pk)
    initial = {"name": person.name, "phone": person.phone if may_see_sensitive(request.user, person) else "",
               "political_status": person.political_status, "occupation": person.occupation,
               "employer": person.employer_id, "home_division": person.home_division_id}
    form = PersonForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if not may_see_sensitive(request.user, person):
        form.fields["phone"].help_text = f"当前:{person.phone_masked},不修改请留空"
    if request.method == "POST" and form.is_valid():
        data = _data(form)
        if not data.get("phone") and not may_see_sensitive(request.user, person):
            data.pop("phone", None)
        try:
            services.person_update(actor=request.user, person=person, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "title": f"修改人员:{person.name}", "person": person},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_PEOPLE_EDIT)
def person_delete(request, pk):
    person = person_get(user=request.user, pk=pk)
    if request.method == "POST":
        if run_action(request, lambda: services.person_delete(actor=request.user, person=person),
                      f"已删除:{person.name}"):
            return redirect("people:list")
        return redirect("people:detail", pk=person.pk)
    return render(request, "people/confirm_delete.html", {"person": person})


@module_required(roles.M_PEOPLE)
def person_export(request):
    filters = _filters(request)
    qs = person_list(user=request.user, **filters)[:EXPORT_LIMIT]
    header = ["姓名", "性别", "出生日期", "身份证号", "手机号", "政治面貌", "职业", "所在企业/站点", "居住地"]
    rows = [
        [p.name, p.get_gender_display(), p.birth_date.isoformat(), shown_id(request.user, p),
         shown_phone(request.user, p), p.get_political_status_display(), p.get_occupation_display(),
         p.employer.name if p.employer_id else "", p.home_division.name if p.home_division_id else ""]
        for p in qs
    ]
    audit.record(actor=request.user, action=A_EXPORTED, obj=request.user,
                 after={"rows": len(rows), "filters": {k: v for k, v in filters.items() if v},
                        "unmasked": may_see_sensitive(request.user)})
    response = HttpResponse(xlsx_bytes("人员名单", header, rows),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"people-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

