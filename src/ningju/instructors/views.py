from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse

from ningju.core import roles, uploads
from ningju.web.access import attach_errors, module_required, render_htmx, run_action

from . import selectors, services
from .forms import AssignForm, EndForm, InstructorForm, VisitForm
from .models import Visit


def _detail_url(pk) -> str:
    return reverse("instructors:detail", args=[pk])


def _is_instructor(user) -> bool:
    return user.role == roles.INSTRUCTOR.code and not user.is_superuser


@module_required(roles.M_INSTRUCTORS)
def instructor_list_view(request):
    if _is_instructor(request.user):
        return _my_units(request)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    active = {"1": True, "0": False}.get(status)
    qs = selectors.instructor_list(user=request.user, q=q, active=active)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    for i in page.object_list:
        i.shown_phone = selectors.shown_phone(request.user, i)
    ctx = {"page": page, "q": q, "status": status, "can_manage": request.user.can(roles.M_INSTRUCTORS_MANAGE)}
    return render_htmx(request, "instructors/list.html", "instructors/_rows.html", ctx)


def _my_units(request):
    """An instructor's own page: the enterprises and stations assigned to them, with a visit button."""
    profile = selectors.own_instructor(request.user)
    ctx = {"profile": profile, "assignments": [], "visits": []}
    if profile is not None:
        last = (Visit.objects.visible_to(request.user)
                .filter(instructor_id=OuterRef("instructor_id"), organisation_id=OuterRef("organisation_id"))
                .order_by("-visited_on", "-id").values("visited_on")[:1])
        assignments = list(selectors.assignment_list(user=request.user, instructor=profile, active=True)
                           .annotate(last_visit_on=Subquery(last)))
        for a in assignments:
            a.can_visit = selectors.may_record_visit(request.user, a)
        ctx["assignments"] = assignments
        ctx["visits"] = selectors.visit_list(user=request.user, instructor_id=profile.pk)[:20]
    return render(request, "instructors/mine.html", ctx)


@module_required(roles.M_INSTRUCTORS)
def instructor_detail(request, pk):
    instructor = selectors.instructor_get(user=request.user, pk=pk)
    assignments = list(selectors.assignment_list(user=request.user, instructor=instructor))
    for a in assignments:
        a.can_visit = selectors.may_record_visit(request.user, a)
    visits = Paginator(selectors.visit_list(user=request.user, instructor_id=instructor.pk), 20)
    ctx = {
        "instructor": instructor,
        "shown_phone": selectors.shown_phone(request.user, instructor),
        "assignments": assignments,
        "n_active": sum(1 for a in assignments if a.ended_on is None),
        "visits": visits.get_page(request.GET.get("page")),
        "can_manage": request.user.can(roles.M_INSTRUCTORS_MANAGE),
        "can_orgs": request.user.can(roles.M_ORGS),
    }
    return render(request, "instructors/detail.html", ctx)


def _form_page(request, form, title: str, cancel_url: str, *, multipart: bool = False, intro: str = ""):
    return render(request, "instructors/form.html",
                  {"form": form, "title": title, "cancel_url": cancel_url, "multipart": multipart, "intro": intro},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_INSTRUCTORS_MANAGE)
def instructor_create(request):
    form = InstructorForm(request.POST or None, user=request.user,
                          initial={"appointed_by": request.user.organisation_id})
    if request.method == "POST" and form.is_valid():
        try:
            instructor = services.instructor_create(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记指导员:{instructor.name}")
            return redirect("instructors:detail", pk=instructor.pk)
    return _form_page(request, form, "登记党建指导员", reverse("instructors:list"),
                      intro="手机号加密保存。开通账号后,指导员用手机号登录,可查看被选派企业和站点的人员并记录走访。")


@module_required(roles.M_INSTRUCTORS_MANAGE)
def instructor_edit(request, pk):
    instructor = selectors.instructor_get(user=request.user, pk=pk)
    sees_phone = selectors.shown_phone(request.user, instructor) == instructor.phone
    initial = {"name": instructor.name, "phone": instructor.phone if sees_phone else "", "title": instructor.title,
               "appointed_by": instructor.appointed_by_id}
    form = InstructorForm(request.POST or None, user=request.user, instructor=instructor, initial=initial)
    if not sees_phone:
        form.fields["phone"].help_text = f"当前:{selectors.shown_phone(request.user, instructor)},不修改请留空"
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        if not data.get("phone") and not sees_phone:
            data.pop("phone")
        try:
            services.instructor_update(actor=request.user, instructor=instructor, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("instructors:detail", pk=instructor.pk)
    return _form_page(request, form, f"修改指导员:{instructor.name}", _detail_url(instructor.pk))


@module_required(roles.M_INSTRUCTORS_MANAGE)
def instructor_assign(request, pk):
    instructor = selectors.instructor_get(user=request.user, pk=pk)
    if not instructor.active:
        messages.error(request, "该指导员已离岗,不能选派")
        return redirect("instructors:detail", pk=instructor.pk)
    form = AssignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            a = services.assignment_create(actor=request.user, instructor=instructor, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已选派到:{a.organisation.name}")
            return redirect("instructors:detail", pk=instructor.pk)
    return _form_page(request, form, f"选派 {instructor.name} 到企业/站点", _detail_url(instructor.pk),
                      intro="选派后,指导员账号即可查看该企业/站点的人员,该单位计入组织覆盖。")


@module_required(roles.M_INSTRUCTORS_MANAGE)
def assignment_end(request, pk):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    back = _detail_url(assignment.instructor_id)
    if assignment.ended_on is not None:
        messages.error(request, "该选派已结束")
        return redirect(back)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_end(actor=request.user, assignment=assignment, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已结束对“{assignment.organisation.name}”的指导")
            return redirect(back)
    return _form_page(request, form, f"结束选派:{assignment.instructor.name} → {assignment.organisation.name}", back,
                      intro="结束后,指导员账号不再能查看该单位的数据;如该单位没有其他覆盖方式,将计为未覆盖。")


@module_required(roles.M_INSTRUCTORS_MANAGE)
def instructor_deactivate(request, pk):
    instructor = selectors.instructor_get(user=request.user, pk=pk)
    back = _detail_url(instructor.pk)
    if not instructor.active:
        messages.error(request, "该指导员已离岗")
        return redirect(back)
    form = EndForm(request.POST or None, label="离岗日期")
    if request.method == "POST" and form.is_valid():
        try:
            services.instructor_deactivate(actor=request.user, instructor=instructor, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"{instructor.name} 已离岗,全部选派已结束")
            return redirect(back)
    return _form_page(request, form, f"{instructor.name} 离岗", back,
                      intro=f"离岗将结束其全部 {instructor.active_assignments} 个在指导的选派,"
                            "并收回指导员账号对这些单位的查看权限。")


@module_required(roles.M_INSTRUCTORS_MANAGE)
def instructor_reactivate(request, pk):
    instructor = selectors.instructor_get(user=request.user, pk=pk)
    if request.method != "POST":
        return redirect("instructors:detail", pk=instructor.pk)
    run_action(request, lambda: services.instructor_reactivate(actor=request.user, instructor=instructor),
               f"{instructor.name} 已恢复在岗,可重新选派")
    return redirect("instructors:detail", pk=instructor.pk)


@module_required(roles.M_INSTRUCTORS)
def visit_create(request, pk):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    services.check_may_record_visit(request.user, assignment.instructor)
    back = reverse("instructors:list") if _is_instructor(request.user) else _detail_url(assignment.instructor_id)
    if assignment.ended_on is not None or not assignment.instructor.active:
        messages.error(request, "该选派已结束,不能记录走访")
        return redirect(back)
    form = VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_create(actor=request.user, instructor=assignment.instructor,
                                  organisation=assignment.organisation, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已记录对“{assignment.organisation.name}”的走访")
            return redirect(back)
    return _form_page(request, form, f"记录走访:{assignment.organisation.name}", back, multipart=True,
                      intro=f"指导员:{assignment.instructor.name}")


@module_required(roles.M_INSTRUCTORS)
def visit_photo(request, pk):
    """A visit's photo, only to those who may see the visit (photos are never served from /media/)."""
    visit = selectors.visit_get(user=request.user, pk=pk)
    return uploads.file_response(visit.photo, filename=f"visit-{visit.pk}")
