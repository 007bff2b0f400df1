"""Rules that decide whether a change may happen now, each written once and asked by the
services (which refuse), the pages and the API's available actions (which only offer what
the services would accept)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from . import clocks, competition
from .choices import UNDISPUTABLE_REASONS, ClaimState, DeadlineKind, RejectionReason
from .errors import DomainError
from .models import Claim

K = DeadlineKind


def refuse_duplicate(claim: Claim, field: str | None = "products") -> None:
    """`duplicate_claim` when the company already has a live claim for this tenant and one
    of these products (competition.duplicate_of; it is their own claim, so naming it is fine).
    Callers hold the tenant lock, so two submissions of one company cannot both pass."""
    existing = competition.duplicate_of(claim)
    if existing is not None:
        raise DomainError.of("duplicate_claim", field, claim=f"#{existing.pk} “{existing.name}”", claim_id=existing.pk)


def answer_open(claim: Claim, now: datetime) -> bool:
    """The partner may still answer a request for information."""
    return claim.state == ClaimState.PARTNER_ACTION_REQUIRED and clocks.clock_running(claim, K.PARTNER_ANSWER, now)


def dispute_refusal(claim: Claim, now: datetime) -> str | None:
    """Why this claim cannot be disputed now (an error code), or None if it can."""
    if claim.state != ClaimState.REJECTED:
        return "invalid_transition"
    if claim.rejection_reason in UNDISPUTABLE_REASONS or claim.disputed_at is not None:
        return "not_disputable"
    if not clocks.clock_running(claim, K.DISPUTE_WINDOW, now):
        return "dispute_window_closed"
    return None


def not_disputable_why(claim: Claim) -> str:
    """Which rule makes this rejection undisputable, in words."""
    if claim.rejection_reason == RejectionReason.PARTNER_REQUEST:
        return str(_("it was withdrawn at your request (reason: partner request)."))
    if claim.rejection_reason == RejectionReason.CUSTOMER_DENIAL:
        return str(_("the customer denied the association (reason: customer denial)."))
    return str(_("it decides your earlier dispute, and a claim can be disputed once."))


def refuse_dispute(claim: Claim, now: datetime) -> None:
    if refusal := dispute_refusal(claim, now):
        raise DomainError.of(refusal, **({"why": not_disputable_why(claim)} if refusal == "not_disputable" else {}))
