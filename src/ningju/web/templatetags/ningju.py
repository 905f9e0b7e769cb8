from django import template

from ningju.core.audit import action_label

register = template.Library()


@register.filter
def audit_action(code: str) -> str:
    return action_label(code)
