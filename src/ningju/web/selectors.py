"""Figures for the role home pages, computed from records within the user's scope."""

from django.db.models import Count, Q

from ningju.core import roles
from ningju.core.models import AuditEntry
from ningju.geo.models import Division, Level
from ningju.orgs.models import PARTY_KINDS, Kind, Organisation
from ningju.people.models import PARTY_STATUSES, Occupation, Person
from ningju.points import selectors as points_selectors


def home_figures(user) -> dict:
    people = Person.objects.visible_to(user)
    orgs = Organisation.objects.visible_to(user)
    figures = {
        "people": people.count(),
        "members": people.filter(political_status__in=PARTY_STATUSES).count(),
        "orgs": orgs.count(),
        "party_orgs": orgs.filter(kind__in=PARTY_KINDS).count(),
        "stations": orgs.filter(kind__in=[Kind.STATION, Kind.PLATFORM_ENTERPRISE]).count(),
    }
    occ = dict(people.values_list("occupation").annotate(n=Count("id")).values_list("occupation", "n"))
    figures["by_occupation"] = [(label, occ.get(code, 0)) for code, label in Occupation.choices if occ.get(code)]
    return figures


def division_breakdown(user, limit: int = 60) -> list[dict]:
    """Per child division of the user's territory: organisations, people and members in it."""
    scope_divs = Division.objects.visible_to(user)
    top = scope_divs.order_by("level", "code").first()
    if top is None:
        return []
    children = list(Division.objects.filter(parent=top).order_by("code")[:limit])
    rows = []
    for child in children:
        p = Person.objects.visible_to(user).filter(
            Q(home_division__path__startswith=child.path) | Q(employer__division__path__startswith=child.path))
        rows.append({
            "division": child,
            "orgs": Organisation.objects.visible_to(user).filter(division__path__startswith=child.path).count(),
            "people": p.count(),
            "members": p.filter(political_status__in=PARTY_STATUSES).count(),
        })
    return rows


def station_rows(user, limit: int = 100) -> list[dict]:
    """Enterprises and stations in scope with their worker and member counts."""
    qs = (Organisation.objects.visible_to(user)
          .filter(kind__in=[Kind.STATION, Kind.PLATFORM_ENTERPRISE])
          .select_related("division", "parent")
          .annotate(n_people=Count("employees", distinct=True),
                    n_members=Count("employees", filter=Q(employees__political_status__in=PARTY_STATUSES),
                                    distinct=True))
          .order_by("path")[:limit])
    return list(qs)


def villages_in_scope(user, limit: int = 200):
    return Division.objects.visible_to(user).filter(level=Level.VILLAGE).order_by("code")[:limit]


def recent_audit(user, limit: int = 8):
    return AuditEntry.objects.visible_to(user).select_related("content_type")[:limit]


def home_context(user) -> dict:
    r = user.role_obj
    ctx = {"figures": None}
    if r is None and not user.is_superuser:
        return ctx
    if r is not None and r.code == roles.WORKER.code:
        ctx["person"] = user.person
        return ctx
    if r is not None and r.code == roles.VILLAGER.code:
        ctx["points_accounts"] = list(points_selectors.my_accounts(user=user).select_related("household"))
        ctx["points_placed"] = points_selectors.orders(user=user, status="placed").count()
        return ctx
    ctx["figures"] = home_figures(user)
    code = r.code if r else "admin"
    if code in {"city_org", "district_org", "town_secretary", "admin"}:
        ctx["breakdown"] = division_breakdown(user)
    if code in {"industry_dept", "station_manager", "instructor", "district_org", "city_org"}:
        ctx["stations"] = station_rows(user)
    if code in {"village_secretary", "supervisor"}:
        ctx["villages"] = villages_in_scope(user)
    if user.can(roles.M_AUDIT):
        ctx["recent_audit"] = recent_audit(user)
    return ctx
