from django import template

from claims.choices import Role

from ..models import AccessAction

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    """A role's label in the active language (emails store the code)."""
    try:
        return Role(code).label
    except ValueError:
        return code


@register.filter
def access_action_label(code: str) -> str:
    try:
        return AccessAction(code).label
    except ValueError:
        return code
