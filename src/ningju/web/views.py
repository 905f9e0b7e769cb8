from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from ningju.core import roles
from ningju.core.audit import action_label
from ningju.core.models import AuditEntry

from .access import module_required, render_htmx
from .selectors import home_context


@login_required
def home(request):
    ctx = home_context(request.user)
    return render(request, "web/home.html", ctx)


@module_required(roles.M_AUDIT)
def audit_list(request):
    qs = AuditEntry.objects.visible_to(request.user).select_related("content_type")
    q = request.GET.get("q", "").strip()
    action = request.GET.get("action", "").strip()
    if q:
        qs = qs.filter(object_repr__contains=q) | qs.filter(actor_label__contains=q)
    if action:
        qs = qs.filter(action=action)
    page = Paginator(qs.order_by("-at", "-id"), 30).get_page(request.GET.get("page"))
    for e in page.object_list:
        e.action_label = action_label(e.action)
    actions = sorted({(c, action_label(c)) for c in AuditEntry.objects.visible_to(request.user)
                      .values_list("action", flat=True).distinct()}, key=lambda x: x[0])
    return render_htmx(request, "web/audit_list.html", "web/_audit_rows.html",
                       {"page": page, "q": q, "action": action, "actions": actions})
