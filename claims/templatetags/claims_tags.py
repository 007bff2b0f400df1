"""Deadlines in words: "review due in 3 business days", "answer by Tue 8 Dec"."""

import math

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from claims import clocks, lengths
from claims.calendar import business_days_between
from claims.choices import Activity, ClaimState, RejectionReason, SolutionArea, WithdrawReason
from claims.choices import DeadlineKind as K
from claims.clocks import DECISION_CLOCKS

register = template.Library()


@register.simple_tag
def deadline_words(claim) -> str:
    if not claim.deadline_at or not claim.deadline_kind:
        return ""
    now = timezone.now()
    at = claim.deadline_at
    day = formats.date_format(timezone.localtime(at), "MONTH_DAY_FORMAT")
    passed = at <= now
    if claim.deadline_kind == K.REVIEW_PICKUP:
        # Nobody has started the review yet: say when it starts, not that a decision is due.
        return (_("review start overdue since %(day)s") if passed else _("review starts by %(day)s")) % {"day": day}
    if claim.deadline_kind in DECISION_CLOCKS:
        if passed:
            return _("review overdue since %(day)s") % {"day": day}
        if claim.is_overdue:
            # Its pickup clock passed (claims.deadlines "pickup_passed"): the review started late and
            # the decision clock now runs, but the claim is overdue since then, not "due in 5 days".
            since = claim.review_started_at or at
            return _("review overdue since %(day)s") % {"day": formats.date_format(timezone.localtime(since), "MONTH_DAY_FORMAT")}
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
def visible_details(event, user) -> dict:
    """What this user may read of a history row's details (claims.history's allowlist)."""
    from claims.history import details_for

    return details_for(event.action, event.details, user)


@register.filter
def state_label(value: str) -> str:
    return str(ClaimState(value).label) if value in ClaimState.values else value


_CHOICE_LABELS = {"solution_area": SolutionArea, "activity": Activity, "state": ClaimState}


@register.simple_tag
def history_value(field: str, value, product_names: dict | None = None) -> str:
    """A history value as the user knows it: labels, not codes ("Dynamics 365 Sales,
    subscription 1111…", "Business Applications"). `product_names` maps product codes to
    names (the view reads the small catalog once)."""
    if value in (None, "", []):
        return "—"
    if field == "products" and isinstance(value, list):
        names = product_names or {}
        parts = []
        for item in value:
            code, _sep, sub = str(item).partition(":")
            name = names.get(code, code)
            parts.append(_("%(product)s, subscription %(id)s") % {"product": name, "id": sub} if sub else name)
        return "; ".join(parts)
    if field in _CHOICE_LABELS and value in _CHOICE_LABELS[field].values:
        return str(_CHOICE_LABELS[field](value).label)
    return change_value(value)


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


@register.filter
def detail_label(value, key: str = "") -> str:
    """A code stored in history details (a reason) as its label."""
    for choices in (WithdrawReason, RejectionReason):
        if value in choices.values:
            return str(choices(value).label)
    return str(value)


@register.simple_tag
def dashboard_rows(claims):
    """The dashboard's table rows (claims.rows)."""
    from claims.rows import dashboard_rows_html

    return dashboard_rows_html(claims)


@register.simple_tag
def next_deadline(claim) -> str:
    from claims.presentation import next_deadline_text

    return next_deadline_text(claim)


# Where a field's error points to when the field is not a single input.
# The claim form's Activity radios and Product checkboxes are fieldsets that take the focus.
_ANCHORS = {"products": "products", "activity": "activities"}


@register.inclusion_tag("claims/_error_summary.html")
def error_summary(*forms) -> dict:
    """Every error of the given forms at the top of the page, each linking to its field
    (static/js/error-summary.js moves the focus here)."""
    items = []
    for form in forms:
        if not form or not getattr(form, "errors", None):
            continue
        for name, errors in form.errors.items():
            if name == "__all__":
                items += [{"label": "", "message": e, "anchor": ""} for e in errors]
                continue
            field = form[name]
            # A group of radios or checkboxes links to its fieldset (templates/claims/_field.html),
            # which takes the focus; a single input links to itself.
            group = f"{field.auto_id}_group" if field.auto_id and field.use_fieldset else ""
            anchor = _ANCHORS.get(name) or group or field.id_for_label or field.auto_id
            items += [{"label": field.label, "message": e, "anchor": anchor} for e in errors]
    return {"items": items}


@register.filter
def when(value) -> str:
    """A moment, one way everywhere: the user's locale format, in their time zone, named."""
    if not value:
        return ""
    # Every DATETIME_FORMAT of cpor/formats names the time zone ("e").
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


@register.filter
def day(value) -> str:
    """A date, one way everywhere: the user's locale format."""
    if not value:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


@register.simple_tag(name="clock_length")
def clock_length_tag(kind: str) -> str:
    """How long a clock runs, in words: {% clock_length "review_pickup" as pickup %} (claims.clocks)."""
    return clocks.clock_length(kind)


@register.filter(name="max_length")
def max_length_filter(obj, field: str) -> int:
    """The longest value the field holds, from its model: maxlength="{{ claim|max_length:'rejection_message' }}"."""
    return lengths.max_length(type(obj), field)
