from django.conf import settings
from ninja.security import APIKeyCookie, HttpBearer

from ningju.accounts.services import token_user
from ningju.core import roles


class TokenAuth(HttpBearer):
    """``Authorization: Bearer nj_...`` tokens created on the account page."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # Without a logged-in session there is nothing for CSRF to protect: answer 401, not a
        # CSRF 403 (a request with a missing, bad or revoked token ends up here).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def require_module(request, module: str) -> None:
    roles.require(request.auth, module)
