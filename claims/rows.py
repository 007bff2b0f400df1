"""Table rows of the list pages (the partner dashboard, the review queue), built in Python.

A page of 50 rows spent most of its render time in the template engine: dozens of variable
lookups, filters and escapes per row (measured in docs/benchmarks.md). These functions write the same markup with one `format_html` per cell, every fixed
word translated once per page. tests/claims/test_rows.py holds them to the markup of the row
templates they replace.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import links
from .models import Claim

DASH = "—"


def product_names(claim: Claim) -> str:
    """The claim's products by name, from the prefetched rows (no query)."""
    return ", ".join(cp.product.name for cp in claim.products.all())


def choice_labels(field: str) -> dict[str, str]:
    """A claim field's choice labels in the current language, translated once per page
    (what get_FOO_display shows; a value outside the choices shows as it is)."""
    return {value: str(label) for value, label in Claim._meta.get_field(field).flatchoices}


def state_cell(claim: Claim, states: dict[str, str], overdue: str) -> SafeString:
    flag = format_html(' <span class="flag">{}</span>', overdue) if claim.is_overdue else ""
    return format_html('<span class="status status-{}">{}</span>{}', claim.state, states.get(claim.state, claim.state), flag)


def dashboard_rows_html(claims: Iterable[Claim]) -> SafeString:
    """The partner dashboard's rows (each cell as the page's former row template wrote it)."""
    from .presentation import next_deadline_text

    label = {
        "claim": _("Claim"),
        "customer": _("Customer"),
        "area": _("Solution area / activity"),
        "products": _("Products"),
        "status": _("Status"),
        "deadline": _("Next deadline"),
    }
    states, areas, activities = choice_labels("state"), choice_labels("solution_area"), choice_labels("activity")
    overdue = _("overdue")
    out = []
    for claim in claims:
        customer = claim.tenant.name if claim.tenant else (claim.customer_domain or DASH)
        area = areas.get(claim.solution_area, claim.solution_area) or DASH
        activity = f" / {activities.get(claim.activity, claim.activity)}" if claim.activity else ""
        out.append(
            format_html(
                '<tr><td data-label="{}"><a href="{}">#{} {}</a></td><td data-label="{}">{}</td>'
                '<td data-label="{}">{}{}</td><td data-label="{}">{}</td><td data-label="{}">{}</td>'
                '<td data-label="{}">{}</td></tr>\n',
                label["claim"],
                links.path("claims:detail", claim.pk),
                claim.pk,
                claim.name,
                label["customer"],
                customer,
                label["area"],
                area,
                activity,
                label["products"],
                product_names(claim) or DASH,
                label["status"],
                state_cell(claim, states, overdue),
                label["deadline"],
                next_deadline_text(claim),
            )
        )
    return mark_safe("".join(out))  # every row is format_html's output: escaped where it must be
