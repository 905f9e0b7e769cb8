from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header

from ningju.core import roles
from ningju.web.access import module_required, render_htmx

from . import services
from .models import RosterImport
from .parsing import COLUMNS, MAX_BYTES, MAX_ROWS
from .selectors import earlier_identical, import_get, import_list, importable_get, importable_organisations
from .spreadsheets import XLSX, errors_bytes, template_bytes
from .validation import OCCUPATIONS, POLITICAL_STATUSES

ERRORS_PER_PAGE = 100


def _xlsx(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    return response


@module_required(roles.M_ROSTERS)
def import_list_view(request):
    status = request.GET.get("status", "")
    status = status if status in RosterImport.Status.values else ""
    page = Paginator(import_list(user=request.user, status=status), 30).get_page(request.GET.get("page"))
    ctx = {"page": page, "status": status, "statuses": RosterImport.Status.choices}
    return render_htmx(request, "rosters/list.html", "rosters/_rows.html", ctx)


@module_required(roles.M_ROSTERS)
def upload(request):
    organisations = list(importable_organisations(request.user))
    ids = {str(o.pk) for o in organisations}
    selected = request.POST.get("organisation") or request.GET.get("org") or ""
    if not selected:
        own = str(request.user.organisation_id or "")
        selected = own if own in ids else (next(iter(ids)) if len(ids) == 1 else "")
    problems: list[str] = []
    if request.method == "POST":
        upload_file = request.FILES.get("file")
        if not selected:
            problems.append("请选择企业/站点")
        if upload_file is None:
            problems.append("请选择要上传的花名册文件(.xlsx 或 .csv)")
        elif upload_file.size > MAX_BYTES:
            problems.append(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB,请拆分为多个文件分别导入")
        if not problems:
            organisation = importable_get(user=request.user, pk=selected)  # 404 outside the user's scope
            try:
                result = services.roster_import(actor=request.user, organisation=organisation,
                                                file_name=upload_file.name, content=upload_file.read())
            except ValidationError as exc:
                problems += exc.messages
            else:
                if result.status == RosterImport.Status.SUCCEEDED:  # a refusal is explained on the result page
                    messages.success(request, f"导入成功:新增 {result.created_count} 人,更新 {result.updated_count} 人,"
                                              f"未变 {result.unchanged_count} 人")
                url = reverse("rosters:detail", args=[result.pk])
                if getattr(request, "htmx", None):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
    ctx = {"organisations": organisations, "selected": selected, "problems": problems,
           "required": [c.name for c in COLUMNS if c.required], "optional": [c.name for c in COLUMNS if not c.required],
           "max_rows": f"{MAX_ROWS:,}", "max_mb": MAX_BYTES // (1024 * 1024), "occupations": list(OCCUPATIONS),
           "statuses": list(POLITICAL_STATUSES)}
    response = render_htmx(request, "rosters/upload.html", "rosters/_upload_form.html", ctx)
    if problems and not getattr(request, "htmx", None):
        response.status_code = 400  # htmx swaps only 2xx answers: its partial shows the problems with 200
    return response


@module_required(roles.M_ROSTERS)
def import_detail(request, pk):
    record = import_get(user=request.user, pk=pk)
    errors = Paginator(record.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"record": record, "page": errors, "failed": record.status == RosterImport.Status.FAILED,
           "earlier": earlier_identical(record) if record.status == RosterImport.Status.SUCCEEDED else None,
           "can_people": request.user.can(roles.M_PEOPLE)}
    return render_htmx(request, "rosters/detail.html", "rosters/_errors.html", ctx)


@module_required(roles.M_ROSTERS)
def import_errors_xlsx(request, pk):
    record = import_get(user=request.user, pk=pk)
    return _xlsx(errors_bytes(record.errors), f"花名册错误清单-{record.pk}.xlsx")


@module_required(roles.M_ROSTERS)
def template(request):
    return _xlsx(template_bytes(), "花名册模板.xlsx")

