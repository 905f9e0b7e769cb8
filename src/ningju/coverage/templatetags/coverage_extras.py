from django import template

register = template.Library()


@register.filter
def can(user, module: str) -> bool:
    """``{% if user|can:"coverage.manage" %}``: the role's module permission."""
    return bool(getattr(user, "is_authenticated", False) and user.can(module))


@register.filter
def rate(value) -> str:
    """A coverage rate for display: "87.5%", or "—" when there is nothing to divide."""
    return "—" if value is None else f"{value:g}%"
