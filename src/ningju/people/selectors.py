"""Reads of the people registry, already scoped; masking decided in one place."""

from django.db.models import Q

from ningju.core import idcard
from ningju.core.crypto import keyed_hash
from ningju.core.roles import role
from ningju.core.scoping import get_visible_or_404, scope_of

from .models import Person


def person_list(*, user, q: str | None = None, political_status: str | None = None,
                occupation: str | None = None, employer_id: int | None = None, division_code: str | None = None):
    qs = Person.objects.visible_to(user).select_related("employer", "home_division")
    if q:
        q = q.strip()
        norm = idcard.normalise(q)
        if len(norm) == 18:
            qs = qs.filter(id_hash=keyed_hash(norm))
        elif q.isdigit() and len(q) == 11:
            qs = qs.filter(phone_hash=keyed_hash(q))
        else:
            qs = qs.filter(Q(name__contains=q))
    if political_status:
        qs = qs.filter(political_status=political_status)
    if occupation:
        qs = qs.filter(occupation=occupation)
    if employer_id:
        qs = qs.filter(employer_id=employer_id)
    if division_code:
        qs = qs.filter(Q(home_division__path__contains=f"{division_code}/")
                       | Q(employer__division__path__contains=f"{division_code}/"))
    return qs.order_by("name", "id")


def person_get(*, user, pk) -> Person:
    return get_visible_or_404(Person.objects.select_related("employer", "home_division"), user, pk=pk)


def may_see_sensitive(user, person: Person | None = None) -> bool:
    """Whether ``user`` sees ID number and phone unmasked (the person's own record always)."""
    if user.is_superuser:
        return True
    if person is not None and scope_of(user).person_id == person.pk:
        return True
    return bool(user.role) and role(user.role).sees_sensitive


def shown_id(user, person: Person) -> str:
    return person.id_number if may_see_sensitive(user, person) else person.id_number_masked


def shown_phone(user, person: Person) -> str:
    return person.phone if may_see_sensitive(user, person) else person.phone_masked
