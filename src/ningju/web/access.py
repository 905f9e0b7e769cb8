"""Page access helpers: module permissions (403) and the htmx partial/full page choice."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ningju.core import roles


def module_required(module: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            roles.require(request.user, module)
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


def render_htmx(request, full_template: str, partial_template: str, context: dict):
    """Render only the partial for htmx requests (not boosted), the whole page otherwise."""
    htmx = getattr(request, "htmx", None)
    template = partial_template if htmx and not htmx.boosted else full_template
    return render(request, template, context)


def attach_errors(form, exc) -> None:
    """Show a service's ValidationError on the form, field by field where it names fields."""
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def run_action(request, action, success) -> bool:
    """Run a service call behind a button: its refusal (ValidationError) becomes an error message, otherwise
    ``success`` (a text, or a function of the call's result giving one) becomes a success message."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    try:
        result = action()
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True
