"""Template context of the case engine: the unread notification count for the header bell."""

from django.utils.functional import SimpleLazyObject

from .services import notify


def unread(request):
    """``cases_unread``: the user's unread notifications, counted only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"cases_unread": SimpleLazyObject(lambda: notify.unread_count(user))}
