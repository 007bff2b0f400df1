"""How long each clock runs and when it ends. The end is computed once when the clock
starts and stored on the claim.

A clock's length lives here once (CLOCKS): `deadline_for` counts with it, and every text
that names it ("within 5 business days", "7 days to deny") says `clock_length(kind)`, so a
changed setting changes the deadlines and the words together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import npgettext

from .calendar import add_business_days
from .choices import DeadlineKind

if TYPE_CHECKING:  # claims.errors words clock lengths: this module loads wherever it does, models or not
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


def clock_length(kind: str, n: int | None = None) -> str:
    """How long clock `kind` runs, in words of the active language: "5 business days", "7 days".
    `n`: a length it ran with before (a stored text worded when shown), else the configured one."""
    n = length(kind) if n is None else n
    if CLOCKS[kind].business_days:
        return npgettext("clock length", "%(n)d business day", "%(n)d business days", n) % {"n": n}
    return npgettext("clock length", "%(n)d day", "%(n)d days", n) % {"n": n}


def _fill_clock_lengths(message, kinds: dict[str, str]) -> str:
    return str(message) % {name: clock_length(kind) for name, kind in kinds.items()}


_fill_clock_lengths_lazy = lazy(_fill_clock_lengths, str)


def with_clock_lengths(message, **kinds: str):
    """`message` (a lazy translation) with each %(name)s placeholder replaced by the length of
    clock kinds[name], worded when the text is shown (its language, today's settings), not at
    import: for module-level texts such as error messages and API descriptions."""
    return _fill_clock_lengths_lazy(message, kinds)


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
