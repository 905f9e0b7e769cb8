"""Checks shared by the star services: who acts for which branch, and which units a district has."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from ningju.core import roles
from ningju.core.scoping import is_visible
from ningju.geo.models import Level
from ningju.orgs.models import Kind, Organisation

from ..models import UnitKind

BRANCH_KINDS = (Kind.BRANCH, Kind.GENERAL_BRANCH, Kind.PARTY_COMMITTEE)


def unit_kind_of(branch: Organisation) -> str:
    """村 or 社区 from the statistical code: village-level codes 001–199 are communities (居委会), 200+ villages."""
    code = branch.division.code
    return UnitKind.COMMUNITY if int(code[9:12]) < 200 else UnitKind.VILLAGE


def check_branch(branch: Organisation) -> None:
    if branch.kind not in BRANCH_KINDS or branch.division.level != Level.VILLAGE:
        raise ValidationError({"branch": "只有村(社区)党组织可以参加“五星”支部创建"})


def acts_for_branch(actor, branch: Organisation) -> bool:
    """The branch's own login (村/社区党组织书记), or the organisation department above it."""
    if getattr(actor, "is_superuser", False):
        return True
    if getattr(actor, "organisation_id", None) == branch.pk and actor.can(roles.M_STARS):
        return True
    return actor.can(roles.M_STARS_MANAGE) and is_visible(branch, actor)


def secretary_of(branch: Organisation):
    """The login that owns the branch's rectification items: its secretary, or any active login of it."""
    users = list(branch.users.filter(is_active=True).order_by("pk"))
    for u in users:
        if u.role == roles.VILLAGE_SECRETARY.code:
            return u
    return users[0] if users else None


def units_of(district) -> list[Organisation]:
    """The village and community Party organisations of a district, one per village (the branch)."""
    orgs = (Organisation.objects.filter(is_active=True, kind__in=BRANCH_KINDS, division__level=Level.VILLAGE,
                                        division__path__startswith=district.path)
            .select_related("division").order_by("division__code", "pk"))
    seen, units = set(), []
    for o in orgs:
        if o.division_id not in seen:
            seen.add(o.division_id)
            units.append(o)
    return units
