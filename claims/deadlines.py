"""The deadline sweep: acts on every claim whose stored deadline has passed.

It looks up only due claims, through the partial index on `deadline_at`
(`claim_due_idx`, WHERE NOT deadline_expired), and locks a batch with
SELECT ... FOR UPDATE SKIP LOCKED, so two workers running at once take different
claims. A claim is handled once: its outcome either moves it to a state whose
clock is new, or sets `deadline_expired`.

The sweep decides and stops there. A batch is one transaction of a few statements
per outcome, whatever its size: one UPDATE of the claims, one INSERT ... SELECT of
their history rows and one INSERT ... SELECT of their outbox rows (the emails are
rendered and sent later by the delivery worker, claims/outbox.py). Every claim of
an outcome gets the same new values (one `now`, one new deadline), so nothing is
computed per row in Python. The source and target states come from the state
machine's own transitions (Claim.expire_pickup, Claim.expire_answer), not from a
second copy here. A worker killed halfway rolls back its whole batch, which the
next run redoes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, F, JSONField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from . import clocks, notifications
from .choices import ActorRole, ClaimState, DeadlineKind, EventAction, NotificationStatus, RejectionReason
from .models import Claim, ClaimEvent, Notification, User

log = logging.getLogger(__name__)
K = DeadlineKind
S = ClaimState


def fsm_transition(name: str) -> tuple[str, str]:
    """(source, target) of a single-source transition of the claim's state machine."""
    for t in Claim._meta.get_field("state").get_all_transitions(Claim):
        if t.name == name:
            return t.source, t.target
    raise LookupError(name)


def partner_language():
    """SQL for services.partner_language: the partner contact's saved language when the
    contact is a user of the company, else the language of the user who filed the claim."""
    contact = User.objects.filter(company_id=OuterRef("company_id"), email__iexact=OuterRef("partner_contact_email")).exclude(
        language=""
    )
    return Coalesce(Subquery(contact.values("language")[:1]), F("created_by__language"), Value(""))


@dataclass(frozen=True, eq=False)
class Email:
    kind: str
    to: str  # the claim column (or related column) holding the address
    context: Callable[[datetime], dict] = lambda now: {}
    per_row: dict = field(default_factory=dict)  # JSON keys computed from the claim's row: key -> expression
    language: Callable[[], object] = partner_language  # the recipient's language, as SQL on the claim's row


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
    details: dict = field(default_factory=dict)  # history details from the row: key -> expression
    email: Email | None = None

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
        email=Email(
            "claim_rejected",
            to="partner_contact_email",
            context=lambda now: {
                "reason": RejectionReason.NO_PARTNER_RESPONSE,
                "message": "",
                "dispute_until": None if final else clocks.deadline_for(K.DISPUTE_WINDOW, now),
                "is_final": final,
            },
        ),
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
    # A review or dispute decision is late: flag it and tell the assigned reviewer.
    Outcome(
        name="decision_passed",
        kinds=(K.REVIEW_DECISION, K.DISPUTE_DECISION),
        state=S.UNDER_REVIEW,
        action=EventAction.REVIEW_OVERDUE,
        updates=lambda now: {"is_overdue": True, **EXPIRED},
        details={"deadline": F("deadline_kind"), "due_at": F("deadline_at")},
        email=Email(
            "review_overdue",
            to="assigned_reviewer__email",
            per_row={"due_at": F("deadline_at")},
            language=lambda: F("assigned_reviewer__language"),
        ),
    ),
    # No answer to a request for information in time: rejected (no partner response), with
    # the 30-day dispute window, or final when the claim was already disputed once.
    _no_answer(final=False),
    _no_answer(final=True),
    # Seven days without a denial: sent on to incentive eligibility evaluation.
    Outcome(
        name="consent_passed",
        kinds=(K.CONSENT_WINDOW,),
        state=S.APPROVED,
        action=EventAction.CONSENT_PERIOD_PASSED,
        updates=lambda now: {"eligibility_sent_at": now, **EXPIRED},
        email=Email("consent_period_passed", to="partner_contact_email"),
    ),
    # Thirty days after a rejection: the dispute window closes (a new claim is the only way).
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


def _insert_select(model, columns: list[str], qs: QuerySet, *, returning_ids: bool = False) -> int | list[int]:
    """INSERT INTO model (columns) SELECT ... compiled by the ORM for this database
    (PostgreSQL and SQLite both return the new ids when asked)."""
    sql, params = qs.query.sql_with_params()
    quote = connection.ops.quote_name
    cols = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    returning = f" RETURNING {quote(model._meta.pk.column)}" if returning_ids else ""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({cols}) {sql}{returning}", params)
        return [row[0] for row in cursor.fetchall()] if returning_ids else cursor.rowcount


def _json(value) -> Value:
    return Value(value, output_field=JSONField())


def _apply(outcome: Outcome, ids: list[int], now: datetime) -> int:
    """The outcome for these locked claims: an UPDATE, the history rows, the outbox rows."""
    source, target = outcome.source, outcome.target
    rows = Claim.objects.filter(pk__in=ids, state=source).filter(outcome.when).order_by()
    when = Value(now, output_field=DateTimeField())
    changed = rows.update(updated_at=now, **({"state": target} if target else {}), **outcome.updates(now))
    if not changed:
        return 0
    # The rows this outcome just changed (we hold their locks; a transition moved them to `target`).
    mine = Claim.objects.filter(pk__in=ids, state=target or source).filter(outcome.when).order_by()
    details = JSONObject(**outcome.details) if outcome.details else _json({})
    _insert_select(
        ClaimEvent,
        ["claim", "at", "actor_role", "action", "from_state", "to_state", "changes", "details"],
        mine.values_list(
            F("pk"),
            when,
            Value(str(ActorRole.SYSTEM)),
            Value(str(outcome.action)),
            Value(source if target else ""),
            Value(target),
            _json({}),
            details,
        ),
    )
    _webhook_events(outcome, mine, now)
    if outcome.email:
        email = outcome.email
        constant = notifications.encode(email.context(now))
        if email.per_row:
            # Per-row values are datetimes from the claim's row; such emails have no constant context
            # (a JSON parameter nested in a JSON function would arrive as a string).
            assert not constant, email.kind
            context = JSONObject(**{k: JSONObject(**{notifications.DT_KEY: expr}) for k, expr in email.per_row.items()})
        else:
            context = _json(constant)
        recipients = mine.exclude(**{f"{email.to}__isnull": True}).exclude(**{email.to: ""})
        created = _insert_select(
            Notification,
            [
                "kind",
                "claim",
                "to",
                "language",
                "context",
                "subject",
                "status",
                "created_at",
                "next_attempt_at",
                "give_up_at",
                "attempts",
                "last_error",
            ],
            recipients.values_list(
                Value(str(email.kind)),
                F("pk"),
                F(email.to),
                email.language(),
                context,
                Value(""),
                Value(str(NotificationStatus.PENDING)),
                when,
                when,
                Value(notifications.give_up_at(now), output_field=DateTimeField()),
                Value(0),
                Value(""),
            ),
            returning_ids=True,
        )
        if created:
            notifications.request_delivery_on_commit(created)
    return changed


def _webhook_events(outcome: Outcome, mine: QuerySet[Claim], now: datetime) -> None:
    """Partner webhooks (claim.deadline_passed and the matching event) for the claims of
    companies that have an active endpoint: one query when none has, the usual case."""
    from integrations.models import WebhookEndpoint
    from integrations.webhooks import record_events

    hooked = mine.filter(company_id__in=WebhookEndpoint.objects.filter(is_active=True).values("company_id"))
    rows = list(hooked.values_list("pk", "company_id", "deadline_kind", "deadline_at"))
    if not rows:
        return
    source, target = outcome.source, outcome.target
    events = [
        ClaimEvent(
            claim=Claim(pk=pk, company_id=company_id),
            at=now,
            actor_role=ActorRole.SYSTEM,
            action=outcome.action,
            from_state=source if target else "",
            to_state=target,
            details={"deadline": kind, "due_at": due.isoformat() if due else None} if outcome.details else {},
        )
        for pk, company_id, kind, due in rows
    ]
    record_events(events, now=now)


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
