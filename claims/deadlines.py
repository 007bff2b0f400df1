"""The deadline sweep: acts on every claim whose stored deadline has passed.

It looks up only due claims, through the partial index on `deadline_at`
(`claim_due_idx`, WHERE NOT deadline_expired). A batch is locked with
SELECT ... FOR UPDATE SKIP LOCKED, so two workers running at once take
different claims, and a claim is handled once: its handler either moves it to a
state whose clock is new, or sets `deadline_expired`. The transitions still run
through the django-fsm methods (in memory), and the batch is written set-based:
an UPDATE per distinct outcome, one INSERT of history rows, one of outbox rows.
A worker killed halfway rolls back its whole batch, which the next run redoes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations import webhooks

from . import clocks, notifications
from .choices import ActorRole, ClaimState, DeadlineKind, EventAction, RejectionReason
from .errors import DomainError
from .models import Claim, ClaimEvent, Notification
from .services import fire, partner_email, record, rejection_email

log = logging.getLogger(__name__)
K = DeadlineKind
S = ClaimState

# Every field a handler may change; bulk_update writes them all for the batch.
SWEEP_FIELDS = [
    "state",
    "is_overdue",
    "rejection_reason",
    "rejection_message",
    "decided_at",
    "eligibility_sent_at",
    "updated_at",
    *clocks.CLOCK_FIELDS,
]

Outcome = tuple[ClaimEvent, list[Notification]]


def _transition(claim: Claim, name: str) -> str | None:
    """The services' transition, or None where the state does not allow it."""
    try:
        return fire(claim, name)
    except DomainError:
        return None


def _pickup_passed(claim: Claim, now: datetime) -> Outcome | None:
    """Submitted and nobody started the review: Under Review, flagged overdue, head of queue."""
    before = _transition(claim, "expire_pickup")
    if before is None:
        return None
    claim.is_overdue = True
    clocks.start_clock(claim, K.REVIEW_DECISION, now)
    event = record(
        claim,
        actor=None,
        role=ActorRole.SYSTEM,
        action=EventAction.REVIEW_AUTO_STARTED,
        now=now,
        from_state=before,
        save_row=False,
    )
    return event, []


def _decision_passed(claim: Claim, now: datetime) -> Outcome | None:
    """A review or dispute decision is late: flag it and tell the assigned reviewer."""
    if claim.state != S.UNDER_REVIEW:
        return None
    claim.is_overdue = True
    claim.deadline_expired = True
    event = record(
        claim,
        actor=None,
        role=ActorRole.SYSTEM,
        action=EventAction.REVIEW_OVERDUE,
        now=now,
        details={"deadline": claim.deadline_kind, "due_at": claim.deadline_at.isoformat()},
        save_row=False,
    )
    mails = []
    if claim.assigned_reviewer_id and claim.assigned_reviewer.email:
        mails.append(
            notifications.build(
                "review_overdue", to=claim.assigned_reviewer.email, claim=claim, context={"due_at": claim.deadline_at}, now=now
            )
        )
    return event, mails


def _answer_passed(claim: Claim, now: datetime) -> Outcome | None:
    """No answer to a request for information in time: rejected, no partner response."""
    before = _transition(claim, "expire_answer")
    if before is None:
        return None
    claim.rejection_reason = RejectionReason.NO_PARTNER_RESPONSE
    claim.rejection_message = ""
    claim.decided_at = now
    claim.is_overdue = False
    if claim.disputed_at is None:
        clocks.start_clock(claim, K.DISPUTE_WINDOW, now)
    else:
        clocks.stop_clock(claim)  # a rejection after a dispute is final
    event = record(
        claim, actor=None, role=ActorRole.SYSTEM, action=EventAction.AUTO_REJECTED, now=now, from_state=before, save_row=False
    )
    return event, [rejection_email(claim, now)]


def _consent_passed(claim: Claim, now: datetime) -> Outcome | None:
    """Seven days without a denial: sent on to incentive eligibility evaluation."""
    if claim.state != S.APPROVED:
        return None
    claim.eligibility_sent_at = now
    claim.deadline_expired = True
    event = record(claim, actor=None, role=ActorRole.SYSTEM, action=EventAction.CONSENT_PERIOD_PASSED, now=now, save_row=False)
    return event, [partner_email("consent_period_passed", claim, now)]


def _dispute_window_passed(claim: Claim, now: datetime) -> Outcome | None:
    """Thirty days after a rejection: the dispute window closes (a new claim is the only way)."""
    if claim.state != S.REJECTED:
        return None
    claim.deadline_expired = True
    event = record(claim, actor=None, role=ActorRole.SYSTEM, action=EventAction.DISPUTE_WINDOW_CLOSED, now=now, save_row=False)
    return event, []


HANDLERS: dict[str, Callable[[Claim, datetime], Outcome | None]] = {
    K.REVIEW_PICKUP: _pickup_passed,
    K.REVIEW_DECISION: _decision_passed,
    K.DISPUTE_DECISION: _decision_passed,
    K.PARTNER_ANSWER: _answer_passed,
    K.CONSENT_WINDOW: _consent_passed,
    K.DISPUTE_WINDOW: _dispute_window_passed,
}


def _write(claims: list[Claim]) -> None:
    """One UPDATE per distinct set of new values. Every claim a handler changes in one
    batch gets the same values (one `now`, one new deadline), so a batch is a handful
    of plain `UPDATE ... WHERE id IN (...)`: far cheaper than bulk_update's CASE per field."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for claim in claims:
        groups[tuple(getattr(claim, f) for f in SWEEP_FIELDS)].append(claim.pk)
    for values, pks in groups.items():
        Claim.objects.filter(pk__in=pks).update(**dict(zip(SWEEP_FIELDS, values, strict=True)))


def due_claims(now: datetime):
    """The only lookup the sweep makes: served by the partial index claim_due_idx."""
    return Claim.objects.filter(deadline_expired=False, deadline_at__lte=now)


def process_due_batch(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Handles at most one batch of due claims. Returns how many claims it handled."""
    now = now or timezone.now()
    batch_size = batch_size or settings.CPOR_SWEEP_BATCH_SIZE
    with transaction.atomic():
        batch = list(
            due_claims(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("assigned_reviewer")
            .order_by("deadline_at", "pk")[:batch_size]
        )
        changed: list[Claim] = []
        events: list[ClaimEvent] = []
        mails: list[Notification] = []
        for claim in batch:
            handler = HANDLERS.get(claim.deadline_kind)
            outcome = handler(claim, now) if handler else None
            if outcome is None:
                # A clock that does not fit the state (data fixed by hand): stop looking at it.
                log.warning("Claim %s: deadline %r does not fit state %r", claim.pk, claim.deadline_kind, claim.state)
                claim.deadline_expired = True
            else:
                events.append(outcome[0])
                mails.extend(outcome[1])
            claim.updated_at = now
            changed.append(claim)
        if not changed:
            return 0
        _write(changed)
        ClaimEvent.objects.bulk_create(events)
        webhooks.record_events(events, now=now)  # partner webhooks (claim.deadline_passed & co), set-based
        notifications.enqueue(mails)
    return len(changed)


def run_sweep(*, now: datetime | None = None, max_batches: int = 1000) -> int:
    """Processes batches until one comes back short (nothing more is due, or what is
    left is locked by another worker). Returns how many claims it handled."""
    total = 0
    batch_size = settings.CPOR_SWEEP_BATCH_SIZE
    for _ in range(max_batches):
        handled = process_due_batch(now=now, batch_size=batch_size)
        total += handled
        if handled < batch_size:
            break
    return total
