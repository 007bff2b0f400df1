"""The notes the system posts in a claim's comments: the arbitration notice and what an
arbitration did to the claim (claims.services.arbitration).

A note is stored as a code and its parameters (ClaimComment.code and .params) and worded
when it is shown, in the reader's language (the active language of the page or the API
request), by `text`: the claim page, the review page and the API read every comment through
`ClaimComment.text`, which calls it. Each side of an arbitration reads in its own language,
and so do the reviewers. A comment without a code (a person's, or a note written before
notes had codes) reads as it was stored.

The parameters name no partner: they are shown to the claim's own company.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .choices import ClaimState, DeadlineKind
from .clocks import clock_length, length

ARBITRATION_NOTICE = "arbitration_notice"
ASSOCIATION_ENDED = "association_ended"
DECIDED_OPEN = "decided_open"
ASSOCIATION_RESTORED = "association_restored"

# What the arbitration notice says happens next, by the state of the claim it lands on.
NEXT_PICKUP, NEXT_HELD, NEXT_REVIEW = "pickup", "held", "review"


@dataclass(frozen=True)
class Note:
    code: str
    params: dict


def arbitration_notice(claim) -> Note:
    """The arbitration notice, worded for the state of the claim it lands on. A submitted
    claim is told the pickup clock's length as it runs for that claim (today's setting)."""
    if claim.state == ClaimState.SUBMITTED:
        return Note(ARBITRATION_NOTICE, {"next": NEXT_PICKUP, "days": length(DeadlineKind.REVIEW_PICKUP)})
    if claim.state == ClaimState.APPROVED:
        return Note(ARBITRATION_NOTICE, {"next": NEXT_HELD})
    return Note(ARBITRATION_NOTICE, {"next": NEXT_REVIEW})


def association_ended(products: list[str], on: datetime) -> Note:
    return Note(ASSOCIATION_ENDED, {"products": products, "on": on.isoformat()})


def decided_open(products: list[str]) -> Note:
    return Note(DECIDED_OPEN, {"products": products})


def association_restored(products: list[str]) -> Note:
    return Note(ASSOCIATION_RESTORED, {"products": products})


# --- Wording, in the active language ------------------------------------------------------


def _arbitration_notice(p: dict) -> str:
    first = _(
        "This claim is in arbitration: another partner has claimed the same customer and product. "
        "Reviewers compare each partner's proof of execution and may ask you for more information here."
    )
    if p.get("next") == NEXT_PICKUP:
        then = _("The review still starts within %(period)s.") % {
            "period": clock_length(DeadlineKind.REVIEW_PICKUP, p.get("days"))
        }
    elif p.get("next") == NEXT_HELD:
        then = _("Your association stays in place unless reviewers decide for the other partner; you will be told here.")
    else:
        then = _("The review goes on; it may take longer while reviewers compare both sides.")
    return f"{first} {then}"


def _products(p: dict) -> str:
    return ", ".join(p.get("products", []))


def _association_ended(p: dict) -> str:
    on = parse_datetime(p.get("on", ""))
    return _(
        "Association ended for %(products)s: after reviewers compared proof of execution, the customer "
        "and product were decided for another partner on %(date)s. This claim is no longer on its way "
        "to incentive eligibility evaluation. If the customer denies the other partner, your "
        "association is restored and you will be emailed."
    ) % {"products": _products(p), "date": formats.date_format(timezone.localtime(on), "DATE_FORMAT") if on else ""}


def _decided_open(p: dict) -> str:
    return _(
        "Reviewers compared proof of execution and approved another partner's claim for %(products)s at "
        "this customer. A reviewer will still decide this claim and may ask you for more information here."
    ) % {"products": _products(p)}


def _association_restored(p: dict) -> str:
    return _(
        "Association restored for %(products)s: the customer denied the partner the arbitration had been "
        "decided for. This claim is approved again."
    ) % {"products": _products(p)}


WORDING: dict[str, Callable[[dict], str]] = {
    ARBITRATION_NOTICE: _arbitration_notice,
    ASSOCIATION_ENDED: _association_ended,
    DECIDED_OPEN: _decided_open,
    ASSOCIATION_RESTORED: _association_restored,
}


def text(code: str, params: dict) -> str | None:
    """The note `code` with `params`, in the active language; None for an unknown code."""
    wording = WORDING.get(code)
    return None if wording is None else wording(params or {})


def stored_text(note: Note) -> str:
    """The note in the default language, stored as the comment's body for readers that
    know no codes (the admin, a database dump); pages and the API word it again."""
    with translation.override(settings.LANGUAGE_CODE):
        return text(note.code, note.params) or ""


def comment_text(code: str, params: dict, body: str) -> str:
    """What a comment says to the reader: a note worded in the active language, else its body."""
    return (text(code, params) if code else None) or body
