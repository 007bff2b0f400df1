"""The one delivery engine of every outbox: lease, backoff, give-up and the failed list.

Emails (claims.outbox) and webhook events (integrations.webhooks) are outbox rows
(claims.models.DeliveryRow) written in the transaction of the change that causes them. Each
outbox says how it sends and how it waits between attempts (its `Policy`); everything else
is here, once:

- `lease()` takes due rows with SELECT … FOR UPDATE SKIP LOCKED and holds them until
  `locked_until`, so concurrent workers take different rows and a killed worker's rows come
  back once its lease lapses;
- `delivered()` marks rows done as soon as the far side accepted them. When the database
  does not answer at that moment (a restart), the marks are kept in this process and written
  as soon as it answers again, before the lease lapses: only a crash of the worker itself in
  that instant can deliver a row twice;
- `attempt_failed()` backs off per the policy; a row is given up (failed) once its retry window,
  counted from its first attempt, is over, or its policy has no further wait;
- `failed()` lists them and `retry()` sends them again with a fresh window.

Each row stores the request id of the request (or beat run) that wrote it; the lines logged
about a row carry it (`logged_as`), so one grep of a request id finds its emails and webhook
deliveries in the worker's log (cpor/logs.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Model, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from structlog.contextvars import bound_contextvars

from cpor import requestid

log = logging.getLogger(__name__)

PENDING, FAILED = "pending", "failed"


@contextmanager
def logged_as(request_id: str) -> Iterator[None]:
    """Lines logged in this block carry `request_id`, the id stored on the row they are about
    (the task's own id, when it differs, stays as `run_request_id`)."""
    current = requestid.current()
    if not request_id or request_id == current:
        yield
        return
    with bound_contextvars(request_id=request_id, **({"run_request_id": current} if current else {})):
        yield


@dataclass(frozen=True)
class Policy:
    """How one outbox retries (settings are read when asked, so tests can change them)."""

    lease: Callable[[], timedelta]  # how long a worker holds the rows it took
    # After `attempts` failed attempts: how long to wait before the next one (None: give up).
    wait: Callable[[int], timedelta | None]
    # How long after the first attempt the row is still retried (None: `wait` alone decides).
    window: Callable[[], timedelta | None] = lambda: None


class Outbox:
    """One outbox table and its policy; `done` is the model's delivered status."""

    def __init__(self, model: type[Model], *, done: str, policy: Policy, name: str) -> None:
        self.model, self.done, self.policy, self.name = model, done, policy, name
        self._unwritten: list[tuple[list[int], dict, datetime]] = []  # marks the database did not take yet

    # --- reading ---------------------------------------------------------------------------

    def _free(self, now: datetime) -> Q:
        return Q(status=PENDING) & (Q(locked_until__isnull=True) | Q(locked_until__lte=now))

    def due(self, now: datetime) -> QuerySet:
        """Pending rows whose next attempt is due and which no live worker holds (served by
        the outbox's partial index on next_attempt_at, pending rows only)."""
        return self.model.objects.filter(self._free(now), next_attempt_at__lte=now)

    def pending(self) -> QuerySet:
        """The rows not delivered yet (due now or waiting for a retry)."""
        return self.model.objects.filter(status=PENDING)

    def failed(self) -> QuerySet:
        """The rows given up, newest attempt first: the list people retry from."""
        return self.model.objects.filter(status=FAILED).order_by("-last_attempt_at", "-pk")

    # --- taking -------------------------------------------------------------------------------

    def lease(self, now: datetime, *, limit: int, ids: Iterable[int] | None = None) -> list:
        """Takes up to `limit` due rows (of `ids` only, if given: rows just committed go now,
        whatever their stored time) and holds them for the policy's lease. Taking a row counts
        its attempt, so a worker killed in the middle of one still counts it."""
        self.flush()
        rows = self.due(now) if ids is None else self.model.objects.filter(self._free(now), pk__in=list(ids))
        with transaction.atomic():
            taken = list(
                rows.select_for_update(skip_locked=True).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
            )
            if taken:
                self.model.objects.filter(pk__in=taken).update(
                    locked_until=now + self.policy.lease(), attempts=F("attempts") + 1, last_attempt_at=now,
                    first_attempt_at=Coalesce("first_attempt_at", Value(now)),
                )  # fmt: skip
        return taken

    def release(self, pks: Iterable[int]) -> None:
        """Gives back rows that were taken but not tried: their attempt does not count."""
        pks = list(pks)
        if pks:
            self.model.objects.filter(pk__in=pks, status=PENDING).update(
                locked_until=None,
                attempts=F("attempts") - 1,
                first_attempt_at=Case(When(attempts__lte=1, then=Value(None)), default=F("first_attempt_at")),
            )

    # --- outcomes -----------------------------------------------------------------------------

    def delivered(self, pks: list[int], now: datetime, *, per_row: dict | None = None, **fields) -> None:
        """The far side accepted these rows: done, with `fields` (the same for all of them) and
        `per_row` ({field: {pk: value}}), in one UPDATE. Written at once; if the database does
        not answer, kept and written when it does."""
        if not pks:
            return
        self._unwritten.append((list(pks), (fields, per_row or {}), now))
        self.flush(until=now + self.policy.lease())

    def flush(self, until: datetime | None = None) -> None:
        """Writes the marks kept while the database did not answer. With `until`, keeps trying
        (a connection that failed is closed and opened again) until then: past it another
        worker may take the rows again, which only the database coming back can prevent."""
        # Waited in real seconds: the clock a test pins must not hold a worker forever.
        deadline = time.monotonic() + max((until - timezone.now()).total_seconds(), 0) if until else 0.0
        pause = 0.0
        while self._unwritten:
            pks, fields, now = self._unwritten[0]
            try:
                self._write_delivered(pks, fields, now)
            except DatabaseError:
                if connection.in_atomic_block or time.monotonic() >= deadline:
                    # Inside a transaction nothing can be written until it ends: the caller's
                    # next lease writes the marks first.
                    log.warning("%s: could not mark %s rows delivered yet; kept for the next attempt.", self.name, len(pks))
                    return
                log.info("%s: the database did not take a delivered mark; trying again.", self.name)
                connection.close()  # a broken connection is opened afresh by the next query
                time.sleep(pause)
                pause = min(max(pause * 2, 0.05), 1.0)
                continue
            self._unwritten.pop(0)

    def _write_delivered(self, pks: list[int], values: tuple[dict, dict], now: datetime) -> None:
        """One UPDATE, written from the model's own names: a delivery worker marks a handful of
        rows many times a second, and compiling the same UPDATE through the ORM each time cost
        more than running it (docs/benchmarks.md, B6)."""
        fields, per_row = values
        meta, quote = self.model._meta, connection.ops.quote_name

        def column(name: str) -> str:
            return quote(meta.get_field(name).column)

        def prep(name: str, value):
            return meta.get_field(name).get_db_prep_value(value, connection=connection, prepared=False)

        sets = [f"{column('status')} = %s", f"{column('locked_until')} = NULL", f"{column('last_error')} = ''"]
        params: list = [self.done]
        for name, value in fields.items():
            sets.append(f"{column(name)} = %s")
            params.append(prep(name, value))
        for name, by_pk in per_row.items():
            sets.append(
                f"{column(name)} = CASE {quote(meta.pk.column)} {' '.join(['WHEN %s THEN %s'] * len(by_pk))} ELSE {column(name)} END"
            )
            for pk, value in by_pk.items():
                params += [pk, prep(name, value)]
        params += pks
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} "
                f"WHERE {quote(meta.pk.column)} IN ({', '.join(['%s'] * len(pks))})",
                params,
            )

    def attempt_failed(self, row, error: str, now: datetime, *, give_up: bool = False, **fields) -> bool:
        """One failed attempt of `row`: backs off, or gives it up (failed) once its retry
        window from the first attempt is over or its policy has no further wait. Returns
        whether it was given up."""
        attempts = row.attempts  # counted when the row was taken
        first = row.first_attempt_at or now
        wait = self.policy.wait(attempts)
        window = self.policy.window()
        gave_up = give_up or wait is None or (window is not None and now >= first + window)
        try:
            self.model.objects.filter(pk=row.pk).update(
                last_error=error[:2000], locked_until=None, next_attempt_at=now + (wait or timedelta(0)),
                status=FAILED if gave_up else PENDING, **fields,
            )  # fmt: skip
        except DatabaseError:
            # Not written: the row stays taken until its lease lapses, then it is tried again.
            with logged_as(row.request_id):
                log.warning("%s %s: the failed attempt could not be written: %s", self.name, row.pk, error, exc_info=True)
            if not connection.in_atomic_block:
                connection.close()
            return False
        row.status = FAILED if gave_up else PENDING
        with logged_as(row.request_id):
            if gave_up:
                log.error("%s %s given up after %s attempts since %s: %s", self.name, row.pk, attempts, first.isoformat(), error)
            else:
                log.warning(
                    "%s %s not delivered (attempt %s), next try at %s: %s", self.name, row.pk, attempts, now + wait, error
                )
        return gave_up

    # --- people -------------------------------------------------------------------------------

    def retry(self, pks: Iterable[int], *, now: datetime | None = None, statuses: tuple[str, ...] = (FAILED,)) -> int:
        """Sends these rows again now, with a fresh retry window (people's "retry")."""
        now = now or timezone.now()
        return self.model.objects.filter(pk__in=list(pks), status__in=statuses).update(
            status=PENDING, next_attempt_at=now, first_attempt_at=None, locked_until=None
        )


class relaxed_commits:
    """Marks written in this block do not wait for the database's WAL flush (PostgreSQL's
    synchronous_commit off, this session only): only a crash of the database server itself
    could lose such a mark, and that sends one row twice rather than losing it, which is
    worth not waiting for a disk flush per delivered row."""

    def __enter__(self):
        self.on = connection.vendor == "postgresql" and connection.get_autocommit()
        if self.on:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")

    def __exit__(self, *exc):
        if self.on:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("RESET synchronous_commit")
            except DatabaseError:  # a connection that broke meanwhile resets with it
                connection.close()


def exponential(base_seconds: Callable[[], int], max_seconds: Callable[[], int]) -> Callable[[int], timedelta]:
    """Waits base, 2 × base, 4 × base … seconds, at most `max_seconds`."""

    def wait(attempts: int) -> timedelta:
        return timedelta(seconds=min(base_seconds() * (2 ** max(attempts - 1, 0)), max_seconds()))

    return wait


def schedule(seconds: Callable[[], list[int]]) -> Callable[[int], timedelta | None]:
    """Waits the n-th listed time after the n-th failed attempt; none after the last."""

    def wait(attempts: int) -> timedelta | None:
        listed = seconds()
        return timedelta(seconds=listed[attempts - 1]) if attempts <= len(listed) else None

    return wait
