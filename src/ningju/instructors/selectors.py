"""Reads of instructors, assignments and visits; every one starts from ``visible_to(user)``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from ningju.accounts.models import User
from ningju.core import roles
from ningju.core.idcard import mask_phone
from ningju.core.scoping import get_visible_or_404
from ningju.orgs.models import Organisation
from ningju.people.selectors import may_see_sensitive

from .models import Assignment, Instructor, Visit
from .services import UNIT_KINDS, check_may_record_visit


def _with_figures(qs, user):
    """Annotate the number of active assignments and the last visit date, both counted over what the
    user may see (subqueries, so the scope's joins cannot multiply them)."""
    assignments = (Assignment.objects.visible_to(user).filter(instructor=OuterRef("pk"), ended_on__isnull=True)
                   .order_by().values("instructor").annotate(n=Count("id")).values("n"))
    last_visit = (Visit.objects.visible_to(user).filter(instructor=OuterRef("pk"))
                  .order_by("-visited_on", "-id").values("visited_on")[:1])
    return (qs.select_related("appointed_by", "user")
            .annotate(active_assignments=Coalesce(Subquery(assignments, output_field=IntegerField()), Value(0)),
                      last_visit_on=Subquery(last_visit)))


def instructor_list(*, user, q: str | None = None, active: bool | None = None, appointed_by_id: int | None = None):
    qs = _with_figures(Instructor.objects.visible_to(user), user)
    if q:
        q = q.strip()
        qs = qs.filter(Q(name__contains=q) | Q(title__contains=q) | Q(appointed_by__name__contains=q))
    if active is not None:
        qs = qs.filter(active=active)
    if appointed_by_id:
        qs = qs.filter(appointed_by_id=appointed_by_id)
    return qs.order_by("-active", "name", "id")


def instructor_get(*, user, pk) -> Instructor:
    return get_visible_or_404(_with_figures(Instructor.objects.all(), user), user, pk=pk)


def own_instructor(user) -> Instructor | None:
    """The instructor profile linked to this login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Instructor.objects.select_related("appointed_by").filter(user=user).first()


def assignment_list(*, user, instructor: Instructor | None = None, active: bool | None = None):
    qs = Assignment.objects.visible_to(user).select_related("organisation__division", "instructor")
    if instructor is not None:
        qs = qs.filter(instructor=instructor)
    if active is True:
        qs = qs.filter(ended_on__isnull=True)
    elif active is False:
        qs = qs.filter(ended_on__isnull=False)
    return qs.order_by("ended_on", "-assigned_on", "-id")  # active ones (no end date) first


def assignment_get(*, user, pk) -> Assignment:
    return get_visible_or_404(Assignment.objects.select_related("organisation__division", "instructor__user"),
                              user, pk=pk)


def visit_list(*, user, instructor_id: int | None = None, organisation_id: int | None = None):
    qs = Visit.objects.visible_to(user).select_related("instructor", "organisation", "created_by")
    if instructor_id:
        qs = qs.filter(instructor_id=instructor_id)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.order_by("-visited_on", "-id")


def visit_get(*, user, pk) -> Visit:
    return get_visible_or_404(Visit.objects.select_related("instructor", "organisation", "created_by"), user, pk=pk)


def unit_choices(user):
    """Enterprises and stations an instructor may be assigned to by this user."""
    return (Organisation.objects.visible_to(user).filter(kind__in=UNIT_KINDS, is_active=True)
            .select_related("parent").order_by("path"))


def appointer_choices(user):
    return Organisation.objects.visible_to(user).filter(is_active=True).order_by("path")


def linkable_users(user):
    """Instructor logins in the user's scope that no instructor profile uses yet."""
    return (User.objects.visible_to(user).filter(role=roles.INSTRUCTOR.code, is_active=True,
                                                 instructor_profile__isnull=True).order_by("name", "id"))


def shown_phone(user, instructor: Instructor) -> str:
    """The phone unmasked for roles that see sensitive data and for the instructor's own login."""
    if may_see_sensitive(user) or (instructor.user_id and instructor.user_id == user.pk):
        return instructor.phone
    return mask_phone(instructor.phone)


def may_record_visit(user, assignment: Assignment) -> bool:
    if assignment.ended_on is not None or not assignment.instructor.active:
        return False
    try:
        check_may_record_visit(user, assignment.instructor)
    except PermissionDenied:
        return False
    return True
