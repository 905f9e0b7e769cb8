from django.db.models import Count, Q

from .models import Organisation


def organisation_list(*, user, q: str | None = None, kind: str | None = None, industry: str | None = None,
                      division_code: str | None = None, parent_id: int | None = None):
    qs = Organisation.objects.visible_to(user).select_related("division", "parent")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(contact_name__contains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if industry:
        qs = qs.filter(industry=industry)
    if division_code:
        qs = qs.filter(division__path__contains=f"{division_code}/")
    if parent_id:
        qs = qs.filter(parent_id=parent_id)
    return qs.order_by("path")


def organisation_children(*, user, organisation):
    return (Organisation.objects.visible_to(user).filter(parent=organisation)
            .select_related("division").annotate(n_children=Count("children")).order_by("name"))
