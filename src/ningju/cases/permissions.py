"""Who may take which step on a case. Pages use these to show buttons; services enforce them."""

from __future__ import annotations

from ningju.core import roles
from ningju.core.crypto import keyed_hash
from ningju.core.scoping import is_visible

from .models import Case


def is_handler(user, case: Case) -> bool:
    """The case's owner, or a login of its responsible organisation (or an organisation above it)."""
    if not getattr(user, "is_authenticated", False) or not case.organisation_id:
        return False
    if case.owner_id and case.owner_id == user.pk:
        return True
    if not user.can(roles.M_CASES_HANDLE) or not user.organisation_id:
        return False
    return case.org_path.startswith(user.organisation.path)


def is_dispatcher(user, case: Case) -> bool:
    """A dispatcher whose scope holds the case."""
    return (getattr(user, "is_authenticated", False) and user.can(roles.M_CASES_DISPATCH)
            and is_visible(case, user))


def is_reviewer(user, case: Case) -> bool:
    """A member of the organisation that verifies a rectification item (the supervision group)."""
    return bool(case.reviewer_org_id) and getattr(user, "is_authenticated", False) and bool(user.organisation_id) \
        and user.organisation.path.startswith(case.reviewer_org.path)


def is_filer(user, case: Case, query_code: str | None = None) -> bool:
    """The filer's login, or (for a case filed without one) whoever holds its query code. For a rectification
    item verified by an organisation, every member of that organisation speaks for the filer."""
    if is_reviewer(user, case):
        return True
    if case.filer_id:
        return getattr(user, "is_authenticated", False) and user.pk == case.filer_id
    return bool(query_code) and bool(case.query_code_hash) and keyed_hash(query_code) == case.query_code_hash


def may_see_contact(user, case: Case) -> bool:
    """The filer's phone is shown to handlers and dispatchers of the case, masked to everyone else."""
    return is_handler(user, case) or is_dispatcher(user, case) or (case.filer_id and case.filer_id == user.pk)
