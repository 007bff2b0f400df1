"""Claim history is the single source of events.

Every change of a claim writes its history rows (ClaimEvent) and hands them, in the same
transaction, to `publish()`: the services through `claims.services.base.record`, the
deadline sweep with the ids its `INSERT … RETURNING` gave back. Subscribers register from
their app's `AppConfig.ready()` (emails and in-app notifications: claims; webhooks:
integrations), so this module knows none of them and `claims` imports nothing from the
apps above it.

A subscriber has two parts:
- `write(batch)` runs in the transaction of the change and only writes rows (an outbox):
  a rolled-back change leaves nothing, a committed one can never lose what it caused;
- `deliver(written)` runs on commit with what `write` returned, and is the only part that
  talks to the world (a Celery message, never SMTP or HTTP directly).

A batch is set-based: subscribers read the rows they need with one query per batch
(`batch.rows()`), whatever its size, so the sweep's thousand rows cost what one costs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from .models import ClaimEvent


@dataclass(frozen=True)
class Batch:
    """History rows written in the current transaction."""

    ids: tuple[int, ...]
    actions: frozenset[str]
    # The rows themselves when the writer has them (the services); the sweep passes ids only.
    events: tuple[ClaimEvent, ...] = field(default=(), compare=False)

    def rows(self) -> QuerySet[ClaimEvent]:
        return ClaimEvent.objects.filter(pk__in=self.ids)


@dataclass(frozen=True)
class Subscriber:
    name: str
    write: Callable[[Batch], Any]
    deliver: Callable[[Any], None] | None = None


_subscribers: dict[str, Subscriber] = {}


def subscribe(name: str, *, write: Callable[[Batch], Any], deliver: Callable[[Any], None] | None = None) -> None:
    """Registers a subscriber once (AppConfig.ready() may run more than once in tests)."""
    _subscribers[name] = Subscriber(name, write, deliver)


def subscribers() -> Sequence[Subscriber]:
    return tuple(_subscribers.values())


def publish(events: Iterable[ClaimEvent] = (), *, ids: Iterable[int] = (), actions: Iterable[str] = ()) -> None:
    """Hands history rows written in this transaction to every subscriber.

    The services pass the saved ClaimEvent rows; the sweep passes the ids and actions of the
    rows its INSERT returned."""
    events = tuple(events)
    batch = Batch(
        ids=tuple(e.pk for e in events) + tuple(ids),
        actions=frozenset(e.action for e in events) | frozenset(actions),
        events=events,
    )
    if not batch.ids:
        return
    assert transaction.get_connection().in_atomic_block, "history rows are published inside their transaction"
    for sub in subscribers():
        written = sub.write(batch)
        if sub.deliver is not None and written:
            transaction.on_commit(lambda sub=sub, written=written: sub.deliver(written), robust=True)
