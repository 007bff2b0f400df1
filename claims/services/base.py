"""The transition skeleton, written once: lock → fire → fields → clock → save → record.

Every service that changes a claim runs inside `change()`:

    with change(claim, actor=user, action=EventAction.SUBMITTED, access=partner_of(user)) as c:
        ...checks that may refuse (DomainError): nothing is written yet...
        c.fire("submit")                 # the state machine's transition (or invalid_transition)
        c.claim.submitted_at = c.now     # fields
        c.start_clock(K.REVIEW_PICKUP)   # the clock of the new state
    # on leaving the block: the changed fields saved, the history row written and published
    # (claims.events: emails, webhooks), then the `c.then(...)` steps, all in one transaction.

The claim row is locked (SELECT … FOR UPDATE) before anything is read, so two actors racing on
one claim are serialized and the second sees the first's state. The fields to save are the
ones that differ from the locked row: a service never lists them by hand.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from .. import clocks, competition, events, notes
from ..access import role_of
from ..choices import ActorRole
from ..errors import DomainError
from ..models import Association, Claim, ClaimComment, ClaimEvent, User


def lock(claim: Claim | int) -> Claim:
    """The claim, re-read under its row lock; `not_found` if it is gone."""
    pk = claim if isinstance(claim, int) else claim.pk
    try:
        return Claim.objects.select_for_update(of=("self",)).select_related("tenant", "mpn", "company").get(pk=pk)
    except Claim.DoesNotExist as exc:
        raise DomainError.of("not_found") from exc


def _fields(claim: Claim) -> dict:
    return {f.attname: copy.copy(getattr(claim, f.attname)) for f in Claim._meta.concrete_fields}


class Change:
    """One change of one locked claim (see the module's docstring)."""

    def __init__(self, claim: Claim, *, actor: User | None, role: str, action: str | None, now: datetime) -> None:
        self.claim, self.actor, self.role, self.action, self.now = claim, actor, role, action, now
        self.details: dict = {}
        self.changes: dict = {}
        self.from_state = ""
        self._loaded = _fields(claim)
        self._clock_started = False
        self._after: list[Callable[[], None]] = []

    def guard(self, name: str) -> None:
        """Refuses with `invalid_transition` unless the state machine allows `name` now."""
        if not can_proceed(getattr(self.claim, name)):
            raise DomainError.of("invalid_transition")

    def fire(self, name: str) -> None:
        """Runs the state machine's transition `name` (guards only: it writes nothing)."""
        self.guard(name)
        self.from_state = self.claim.state
        getattr(self.claim, name)()

    def start_clock(self, kind: str) -> None:
        clocks.start_clock(self.claim, kind, self.now)
        self._clock_started = True

    def stop_clock(self) -> None:
        clocks.stop_clock(self.claim)

    def then(self, step: Callable[[], None]) -> None:
        """A step after the history row is written, in the same transaction (other claims
        told of this change: arbitration notices, the losing side, restorations)."""
        self._after.append(step)

    def save(self) -> None:
        changed = [name for name, before in self._loaded.items() if getattr(self.claim, name) != before]
        if not changed:
            return
        try:
            self.claim.save(update_fields=[*changed, "updated_at"])
        except ConcurrentTransition as exc:
            raise DomainError.of("concurrent_change") from exc
        self._loaded = _fields(self.claim)

    def record(self) -> ClaimEvent | None:
        if not self.action:
            return None
        details = dict(self.details)
        if self._clock_started:
            details.update(clocks.clock_details(self.claim.deadline_kind, self.claim.deadline_at))
        return record(
            self.claim, actor=self.actor, role=self.role, action=self.action, now=self.now,
            from_state=self.from_state, changes=self.changes, details=details,
        )  # fmt: skip


@contextmanager
def change(
    claim: Claim | int,
    *,
    actor: User | None,
    action: str | None,
    role: str | None = None,
    access: Callable[[Claim], None] | None = None,
    tenant_first: bool = False,
    now: datetime | None = None,
) -> Iterator[Change]:
    """The skeleton of every claim change. `access(claim)` runs on the locked claim before
    anything else (another company's claim is `not_found`, a missing role `permission_denied`).
    `tenant_first`: lock the claim's customer tenant before the claim, as every change that
    can touch another partner's claim (approval, arbitration, restore) must, in one order.
    `now`: the time of the change that caused this one (a claim told of another's approval)."""
    with transaction.atomic():
        if tenant_first:
            competition.lock_tenant_of(claim)
        locked = lock(claim)
        if access is not None:
            access(locked)
        c = Change(locked, actor=actor, role=role or role_of(actor), action=action, now=now or timezone.now())
        yield c
        c.save()
        c.record()
        for step in c._after:
            step()


def record(
    claim: Claim,
    *,
    actor: User | None,
    role: str,
    action: str,
    now: datetime,
    from_state: str = "",
    changes: dict | None = None,
    details: dict | None = None,
) -> ClaimEvent:
    """Writes one history row and publishes it (claims.events) in the caller's transaction."""
    event = ClaimEvent.objects.create(
        claim=claim,
        at=now,
        actor=actor,
        actor_role=role,
        action=action,
        from_state=from_state,
        to_state=claim.state if from_state else "",
        changes=changes or {},
        details=details or {},
    )
    events.publish([event])
    return event


def comment(claim: Claim, *, author: User | None, role: str, body: str, kind: str, now: datetime) -> ClaimComment:
    return ClaimComment.objects.create(claim=claim, author=author, author_role=role, body=body, kind=kind, created_at=now)


def system_note(claim: Claim, *, note: notes.Note, now: datetime) -> ClaimComment:
    """A comment the system posts on a claim (arbitration, restoration), naming no partner.
    Stored as its code and parameters: each reader reads it in their language (claims.notes)."""
    return ClaimComment.objects.create(
        claim=claim, author=None, author_role=ActorRole.SYSTEM, kind=ClaimComment.Kind.ARBITRATION,
        body=notes.stored_text(note), code=note.code, params=note.params, created_at=now,
    )  # fmt: skip


def end_associations(claim: Claim, *, reason: str, now: datetime) -> int:
    return Association.objects.filter(claim=claim, ended_at__isnull=True).update(ended_at=now, end_reason=reason)
