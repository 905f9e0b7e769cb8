from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ningju.core import roles
from ningju.web.access import module_required

from . import services
from .forms import LoginForm, PasswordChangeForm, TokenForm
from .models import ApiToken


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def _profile_context(request, **extra):
    ctx = {
        "password_form": PasswordChangeForm(),
        "token_form": TokenForm(),
        "tokens": ApiToken.objects.filter(user=request.user, revoked=False).order_by("-created_at"),
    }
    ctx.update(extra)
    return ctx


@module_required(roles.M_PROFILE)
def profile(request):
    return render(request, "accounts/profile.html", _profile_context(request))


@module_required(roles.M_PROFILE)
@require_POST
def password_change(request):
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else "new_password", errs)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, password_form=form), status=400)


@module_required(roles.M_PROFILE)
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/profile.html", _profile_context(request, token_form=form), status=400)
    _, raw = services.token_create(user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
    return render(request, "accounts/profile.html", _profile_context(request, new_token=raw))


@module_required(roles.M_PROFILE)
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(user=request.user, token=token)
    messages.success(request, "令牌已撤销")
    return redirect("accounts:profile")
