"""Deadlines in words: "review due in 3 business days", "answer by Tue 8 Dec"."""

import math

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from claims.calendar import business_days_between
from claims.choices import ClaimState
from claims.choices import DeadlineKind as K

register = template.Library()


@register.simple_tag
def deadline_words(claim) -> str:
    if not claim.deadline_at or not claim.deadline_kind:
        return ""
    now = timezone.now()
    at = claim.deadline_at
    day = formats.date_format(timezone.localtime(at), "MONTH_DAY_FORMAT")
    passed = at <= now
    if claim.deadline_kind in (K.REVIEW_PICKUP, K.REVIEW_DECISION, K.DISPUTE_DECISION):
        if passed:
            return _("review overdue since %(day)s") % {"day": day}
        n = business_days_between(now, at)
        if n == 0:
            return _("review due today")
        return ngettext("review due in %(n)d business day", "review due in %(n)d business days", n) % {"n": n}
    if claim.deadline_kind == K.PARTNER_ANSWER:
        return (_("answer was due %(day)s") if passed else _("answer by %(day)s")) % {"day": day}
    if claim.deadline_kind == K.CONSENT_WINDOW:
        if passed:
            return _("consent window ended %(day)s") % {"day": day}
        days = math.ceil((at - now).total_seconds() / 86400)
        if days == 1 and at.date() == now.date():
            return _("consent window ends today")
        return ngettext("consent window ends in %(n)d day", "consent window ends in %(n)d days", days) % {"n": days}
    if claim.deadline_kind == K.DISPUTE_WINDOW:
        return (_("dispute window closed %(day)s") if passed else _("dispute until %(day)s")) % {"day": day}
    return ""


_EXTRA_LABELS = {"mpn": _lazy("MPN ID"), "products": _lazy("Products"), "tenant": _lazy("Customer tenant")}


@register.filter
def field_label(name: str) -> str:
    """A history row's field name as the user knows it."""
    from claims.models import Claim

    if name in _EXTRA_LABELS:
        return str(_EXTRA_LABELS[name])
    try:
        label = str(Claim._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - unknown names are shown as they are
        label = name.replace("_", " ")
    return label[:1].upper() + label[1:]  # not str.capitalize(), which lowers "ID" to "Id"


@register.filter
def state_label(value: str) -> str:
    return str(ClaimState(value).label) if value in ClaimState.values else value


def _value_labels() -> dict:
    """Stored choice values a history row shows by their label in the reader's language."""
    from django.conf import settings

    from claims.choices import Activity, SolutionArea

    return {**dict(SolutionArea.choices), **dict(Activity.choices), **dict(settings.LANGUAGES)}


@register.filter
def change_value(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    label = _value_labels().get(value) if isinstance(value, str) else None
    return str(label) if label is not None else str(value)
