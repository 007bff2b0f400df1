"""The deadline sweep: acts on every claim whose stored deadline has passed.

It looks up only due claims, through the partial index on `deadline_at`
(`claim_due_idx`, WHERE NOT deadline_expired), and locks a batch with
SELECT ... FOR UPDATE SKIP LOCKED, so two workers running at once take different
claims. A claim is handled once: its outcome either moves it to a state whose
clock is new, or sets `deadline_expired`.

The sweep is the transition skeleton (claims.services.base) done set-based: per outcome,
one UPDATE of the claims (the state machine's own transition: Claim.expire_pickup,
Claim.expire_answer), and one INSERT … SELECT … RETURNING of their history rows, handed to
claims.events in the same transaction like any service's. Everything else a change causes
(emails, in-app notifications, webhooks) follows from those history rows, exactly as it
does for a change a person makes: the sweep writes no second description of it. Every
claim of an outcome gets the same new values (one `now`, one new deadline), so nothing is
computed per row in Python. A worker killed halfway rolls back its whole batch, which the
next run redoes.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import clocks, events
from .choices import ActorRole, ClaimState, DeadlineKind, EventAction, RejectionReason
from .models import Claim, ClaimEvent

log = logging.getLogger(__name__)
K = DeadlineKind
S = ClaimState


def fsm_transition(name: str) -> tuple[str, str]:
    """(source, target) of a single-source transition of the claim's state machine."""
    for t in Claim._meta.get_field("state").get_all_transitions(Claim):
        if t.name == name:
            return t.source, t.target
    raise LookupError(name)


@dataclass(frozen=True, eq=False)
class Outcome:
    """What the sweep does to every due claim with a clock of `kinds` in `state`."""

    name: str
    kinds: tuple[str, ...]
    action: str
    state: str = ""  # required state when there is no transition
    transition: str = ""  # the state machine's transition to fire, if any
    disputed: bool | None = None  # only claims disputed before (True) or never disputed (False)
    updates: Callable[[datetime], dict] = lambda now: {}
    # History details: constants, and columns of the claim's row (key -> column) for values
    # that differ per claim (the deadline that passed).
    details: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)

    @property
    def when(self) -> Q:
        return Q() if self.disputed is None else Q(disputed_at__isnull=not self.disputed)

    @property
    def source(self) -> str:
        return fsm_transition(self.transition)[0] if self.transition else self.state

    @property
    def target(self) -> str:
        return fsm_transition(self.transition)[1] if self.transition else ""


def _clock(kind: str, now: datetime) -> dict:
    return {"deadline_kind": kind, "deadline_at": clocks.deadline_for(kind, now), "deadline_expired": False}


NO_CLOCK = {"deadline_kind": "", "deadline_at": None, "deadline_expired": False}
EXPIRED = {"deadline_expired": True}


def _rejection(now: datetime) -> dict:
    return {
        "rejection_reason": RejectionReason.NO_PARTNER_RESPONSE,
        "rejection_message": "",
        "decided_at": now,
        "is_overdue": False,
    }


def _no_answer(*, final: bool) -> Outcome:
    return Outcome(
        name="answer_passed_final" if final else "answer_passed",
        kinds=(K.PARTNER_ANSWER,),
        transition="expire_answer",
        disputed=final,
        action=EventAction.AUTO_REJECTED,
        updates=lambda now: {**_rejection(now), **(NO_CLOCK if final else _clock(K.DISPUTE_WINDOW, now))},
        details={"reason": RejectionReason.NO_PARTNER_RESPONSE, "final": final},
    )


OUTCOMES: tuple[Outcome, ...] = (
    # Submitted and nobody started the review: Under Review, flagged overdue, head of queue.
    Outcome(
        name="pickup_passed",
        kinds=(K.REVIEW_PICKUP,),
        transition="expire_pickup",
        action=EventAction.REVIEW_AUTO_STARTED,
        updates=lambda now: {"is_overdue": True, "review_started_at": now, **_clock(K.REVIEW_DECISION, now)},
    ),
    # A review or dispute decision is late: flag it (its history row tells the assigned reviewer).
    Outcome(
        name="decision_passed",
        kinds=clocks.DECISION_CLOCKS,
        state=S.UNDER_REVIEW,
        action=EventAction.REVIEW_OVERDUE,
        updates=lambda now: {"is_overdue": True, **EXPIRED},
        columns={"deadline": "deadline_kind", "due_at": "deadline_at"},
    ),
    # No answer to a request for information in time: rejected (no partner response), with
    # the dispute window, or final when the claim was already disputed once.
    _no_answer(final=False),
    _no_answer(final=True),
    # The consent window passed without a denial: sent on to incentive eligibility evaluation.
    Outcome(
        name="consent_passed",
        kinds=(K.CONSENT_WINDOW,),
        state=S.APPROVED,
        action=EventAction.CONSENT_PERIOD_PASSED,
        updates=lambda now: {"eligibility_sent_at": now, **EXPIRED},
    ),
    # The dispute window closed (a new claim is the only way).
    Outcome(
        name="dispute_window_passed",
        kinds=(K.DISPUTE_WINDOW,),
        state=S.REJECTED,
        action=EventAction.DISPUTE_WINDOW_CLOSED,
        updates=lambda now: dict(EXPIRED),
    ),
)


def due_claims(now: datetime) -> QuerySet[Claim]:
    """The only lookup the sweep makes: served by the partial index claim_due_idx."""
    return Claim.objects.filter(deadline_expired=False, deadline_at__lte=now)


def _details_sql(outcome: Outcome, updates: dict) -> tuple[str, list]:
    """SQL for the history rows' details: the outcome's constants and the clock it starts (the
    same keys claims.services.base records), merged with the claim columns that differ per row."""
    constants = dict(outcome.details)
    if updates.get("deadline_kind"):
        constants.update(clocks.clock_details(updates["deadline_kind"], updates["deadline_at"]))
    text = json.dumps(constants)
    if not outcome.columns:
        return "%s", [text]
    pairs = ", ".join(
        f"'{key}', c.{connection.ops.quote_name(Claim._meta.get_field(column).column)}" for key, column in outcome.columns.items()
    )
    if connection.vendor == "postgresql":
        return f"(CAST(%s AS jsonb) || jsonb_build_object({pairs}))", [text]
    return f"json_patch(%s, json_object({pairs}))", [text]


def _record(outcome: Outcome, ids: list[int], now: datetime, updates: dict) -> list[int]:
    """INSERT … SELECT … RETURNING of one history row per claim this outcome just changed
    (we hold their locks: a transition moved them to its target)."""
    quote, meta = connection.ops.quote_name, ClaimEvent._meta
    columns = ", ".join(
        quote(meta.get_field(name).column)
        for name in ("claim", "at", "actor_role", "action", "from_state", "to_state", "changes", "details")
    )
    details, details_params = _details_sql(outcome, updates)
    state_col = quote(Claim._meta.get_field("state").column)
    disputed_col = quote(Claim._meta.get_field("disputed_at").column)
    disputed = "" if outcome.disputed is None else f" AND c.{disputed_col} IS {'NOT ' if outcome.disputed else ''}NULL"
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"SELECT c.{quote(Claim._meta.pk.column)}, %s, %s, %s, %s, %s, %s, {details} "
        f"FROM {quote(Claim._meta.db_table)} c WHERE c.{quote(Claim._meta.pk.column)} IN ({marks}) "
        f"AND c.{state_col} = %s{disputed} RETURNING {quote(meta.pk.column)}"
    )
    target = outcome.target
    params = [
        connection.ops.adapt_datetimefield_value(now), str(ActorRole.SYSTEM), str(outcome.action),
        outcome.source if target else "", target, "{}", *details_params, *ids, target or outcome.source,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _apply(outcome: Outcome, ids: list[int], now: datetime) -> int:
    """The outcome for these locked claims: one UPDATE and the history rows, published."""
    updates = outcome.updates(now)
    rows = Claim.objects.filter(pk__in=ids, state=outcome.source).filter(outcome.when).order_by()
    changed = rows.update(updated_at=now, **({"state": outcome.target} if outcome.target else {}), **updates)
    if changed:
        events.publish(ids=_record(outcome, ids, now, updates), actions=[outcome.action])
    return changed


def _outcome_for(kind: str, state: str, disputed: bool) -> Outcome | None:
    for outcome in OUTCOMES:
        if kind in outcome.kinds and state == outcome.source and outcome.disputed in (None, disputed):
            return outcome
    return None


def process_due_batch(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Handles at most one batch of due claims in one transaction. Returns how many it handled."""
    now = now or timezone.now()
    batch_size = batch_size or settings.CPOR_SWEEP_BATCH_SIZE
    with transaction.atomic():
        batch = list(
            due_claims(now)
            .select_for_update(skip_locked=True)
            .order_by("deadline_at", "pk")
            .values_list("pk", "deadline_kind", "state", "disputed_at")[:batch_size]
        )
        if not batch:
            return 0
        groups: dict[Outcome | None, list[int]] = defaultdict(list)
        for pk, kind, state, disputed_at in batch:
            groups[_outcome_for(kind, state, disputed_at is not None)].append(pk)
        for outcome, ids in groups.items():
            if outcome is not None:
                _apply(outcome, ids, now)
        misfits = groups.get(None)
        if misfits:
            # A clock that does not fit the state (data fixed by hand): stop looking at it.
            log.warning("Claims %s: deadline does not fit their state; clock stopped.", misfits)
            Claim.objects.filter(pk__in=misfits).update(deadline_expired=True, updated_at=now)
    return len(batch)


def run_sweep(*, now: datetime | None = None, max_batches: int = 100_000) -> int:
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
