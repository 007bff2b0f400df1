"""When each clock ends. Computed once when the clock starts and stored on the claim."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from .calendar import add_business_days
from .choices import DeadlineKind
from .models import Claim

K = DeadlineKind

CLOCK_FIELDS = ["deadline_kind", "deadline_at", "deadline_expired"]


def deadline_for(kind: str, start: datetime) -> datetime:
    if kind == K.REVIEW_PICKUP:
        return add_business_days(start, settings.CPOR_REVIEW_PICKUP_BUSINESS_DAYS)
    if kind == K.REVIEW_DECISION:
        return add_business_days(start, settings.CPOR_REVIEW_DECISION_BUSINESS_DAYS)
    if kind == K.PARTNER_ANSWER:
        return add_business_days(start, settings.CPOR_PARTNER_ANSWER_BUSINESS_DAYS)
    if kind == K.DISPUTE_DECISION:
        return add_business_days(start, settings.CPOR_DISPUTE_DECISION_BUSINESS_DAYS)
    if kind == K.CONSENT_WINDOW:
        return start + timedelta(days=settings.CPOR_CONSENT_WINDOW_DAYS)
    if kind == K.DISPUTE_WINDOW:
        return start + timedelta(days=settings.CPOR_DISPUTE_WINDOW_DAYS)
    raise ValueError(f"unknown clock {kind!r}")


def start_clock(claim: Claim, kind: str, now: datetime) -> None:
    claim.deadline_kind = kind
    claim.deadline_at = deadline_for(kind, now)
    claim.deadline_expired = False


def stop_clock(claim: Claim) -> None:
    claim.deadline_kind = ""
    claim.deadline_at = None
    claim.deadline_expired = False


def clock_details(kind: str, ends_at: datetime | None) -> dict:
    """What a history row records of the clock its change started (claims.history.CLOCK)."""
    return {"clock": kind, "clock_ends_at": ends_at.isoformat() if ends_at else None}


def clock_running(claim: Claim, kind: str, now: datetime) -> bool:
    """True while the claim's clock of this kind has not ended."""
    return claim.deadline_kind == kind and claim.deadline_at is not None and now < claim.deadline_at
