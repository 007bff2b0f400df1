"""The review queue's table rows, built in Python (see claims.rows for why)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from claims import links
from claims.models import Claim
from claims.rows import DASH, choice_labels, product_names, state_cell
from claims.templatetags.claims_tags import deadline_words


def queue_rows_html(claims: Iterable[Claim]) -> SafeString:
    """One row per claim: a checkbox for the bulk assignment, the claim with its dispute and
    competition flags, partner, customer, products, status, reviewer and deadline."""
    label = {
        "claim": _("Claim"),
        "partner": _("Partner"),
        "customer": _("Customer"),
        "products": _("Products"),
        "status": _("Status"),
        "assigned": _("Assigned to"),
        "deadline": _("Deadline"),
    }
    dispute = format_html(' <span class="flag">{}</span>', _("dispute"))
    competing = format_html(' <span class="flag flag-competing">{}</span>', _("competing"))
    states, overdue = choice_labels("state"), _("overdue")
    select = _("Select #%(pk)s")
    out = []
    for claim in claims:
        pk = claim.pk
        reviewer = claim.assigned_reviewer.get_username() if claim.assigned_reviewer else ""
        out.append(
            format_html(
                '<tr><td><input type="checkbox" name="claims" value="{}" id="pick-{}" aria-label="{}"></td>'
                '<td data-label="{}"><a href="{}">#{} {}</a>{}{}</td>'
                '<td data-label="{}">{}</td><td data-label="{}">{}</td><td data-label="{}">{}</td>'
                '<td data-label="{}">{}</td><td data-label="{}">{}</td><td data-label="{}">{}</td></tr>\n',
                pk,
                pk,
                select % {"pk": pk},
                label["claim"],
                links.path("reviews:review", pk),
                pk,
                claim.name,
                dispute if claim.is_dispute else "",
                competing if getattr(claim, "is_competing", False) else "",
                label["partner"],
                claim.company.name,
                label["customer"],
                (claim.tenant.name if claim.tenant else "") or DASH,
                label["products"],
                product_names(claim),
                label["status"],
                state_cell(claim, states, overdue),
                label["assigned"],
                reviewer or DASH,
                label["deadline"],
                deadline_words(claim),
            )
        )
    return mark_safe("".join(out))  # every row is format_html's output: escaped where it must be
