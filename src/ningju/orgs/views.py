from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render

from ningju.core import roles
from ningju.core.scoping import get_visible_or_404
from ningju.people.models import PARTY_STATUSES, Person
from ningju.web.access import attach_errors, module_required, render_htmx, run_action

from . import services
from .forms import OrganisationForm
from .models import Industry, Kind, Organisation
from .selectors import organisation_children, organisation_list


@module_required(roles.M_ORGS)
def org_list(request):
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    industry = request.GET.get("industry", "")
    qs = organisation_list(user=request.user, q=q, kind=kind, industry=industry)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    ctx = {"page": page, "q": q, "kind": kind, "industry": industry, "kinds": Kind.choices,
           "industries": [c for c in Industry.choices if c[0]], "can_edit": request.user.can(roles.M_ORGS_EDIT)}
    return render_htmx(request, "orgs/list.html", "orgs/_rows.html", ctx)


@module_required(roles.M_ORGS)
def org_detail(request, pk):
    org = get_visible_or_404(Organisation.objects.select_related("division", "parent"), request.user, pk=pk)
    people = Person.objects.visible_to(request.user).filter(employer__path__startswith=org.path)
    figures = people.aggregate(total=Count("id"), members=Count("id", filter=Q(political_status__in=PARTY_STATUSES)))
    ctx = {
        "org": org,
        "children": organisation_children(user=request.user, organisation=org),
        "figures": figures,
        "can_edit": request.user.can(roles.M_ORGS_EDIT),
        "can_people": request.user.can(roles.M_PEOPLE),
    }
    return render(request, "orgs/detail.html", ctx)


def _save(request, form, org=None):
    data = {k: form.cleaned_data[k] for k in form.Meta.fields}
    if org is None:
        return services.organisation_create(actor=request.user, **data)
    return services.organisation_update(actor=request.user, organisation=org, **data)


@module_required(roles.M_ORGS_EDIT)
def org_create(request):
    form = OrganisationForm(request.POST or None, user=request.user,
                            initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            org = _save(request, form)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已新增组织:{org.name}")
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/form.html", {"form": form, "title": "新增组织"},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_ORGS_EDIT)
def org_edit(request, pk):
    org = get_visible_or_404(Organisation, request.user, pk=pk)
    form = OrganisationForm(request.POST or None, instance=org, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            org = _save(request, form, Organisation.objects.get(pk=pk))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/form.html", {"form": form, "title": f"修改组织:{org.name}", "org": org},
                  status=400 if request.method == "POST" else 200)


@module_required(roles.M_ORGS_EDIT)
def org_delete(request, pk):
    org = get_visible_or_404(Organisation, request.user, pk=pk)
    if request.method == "POST":
        if run_action(request, lambda: services.organisation_delete(actor=request.user, organisation=org),
                      f"已删除组织:{org.name}"):
            return redirect("orgs:list")
        return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/confirm_delete.html", {"org": org})

