"""When each clock ends. Computed once when the clock starts and stored on the claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from .calendar import add_business_days
from .choices import DeadlineKind
from .models import Claim

K = DeadlineKind

CLOCK_FIELDS = ["deadline_kind", "deadline_at", "deadline_expired"]


@dataclass(frozen=True)
class Clock:
    kind: str
    setting: str  # the setting that holds its length
    business_days: bool  # business days of the configured calendar, else calendar days
    decision: bool = False  # a reviewer's decision is due: passed, the claim is overdue


# Every clock, declared once: its length, how it counts, what kind of clock it is.
CLOCKS: dict[str, Clock] = {
    c.kind: c
    for c in (
        Clock(K.REVIEW_PICKUP, "CPOR_REVIEW_PICKUP_BUSINESS_DAYS", business_days=True),
        Clock(K.REVIEW_DECISION, "CPOR_REVIEW_DECISION_BUSINESS_DAYS", business_days=True, decision=True),
        Clock(K.PARTNER_ANSWER, "CPOR_PARTNER_ANSWER_BUSINESS_DAYS", business_days=True),
        Clock(K.DISPUTE_DECISION, "CPOR_DISPUTE_DECISION_BUSINESS_DAYS", business_days=True, decision=True),
        Clock(K.CONSENT_WINDOW, "CPOR_CONSENT_WINDOW_DAYS", business_days=False),
        Clock(K.DISPUTE_WINDOW, "CPOR_DISPUTE_WINDOW_DAYS", business_days=False),
    )
}
DECISION_CLOCKS = tuple(k for k, c in CLOCKS.items() if c.decision)
BUSINESS_DAY_CLOCKS = tuple(k for k, c in CLOCKS.items() if c.business_days)


def length(kind: str) -> int:
    """How many (business or calendar) days the clock runs, as configured."""
    return getattr(settings, CLOCKS[kind].setting)


def deadline_for(kind: str, start: datetime) -> datetime:
    if kind not in CLOCKS:
        raise ValueError(f"unknown clock {kind!r}")
    if CLOCKS[kind].business_days:
        return add_business_days(start, length(kind))
    return start + timedelta(days=length(kind))


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
