"""A request's key, claimed in the transaction its work runs in: one key, one run.

The API's Idempotency-Key (claims/api/idempotency.py) and the browser's per-form token
(claims/form_once.py) both go through `claim_key`. It opens the transaction, inserts the
key's IdempotencyKey row first, and hands the block the row; the caller runs its work in
that same transaction and stores the result on the row. So the key and the work commit
together or roll back together: a key is never free while work done under it may still
commit, and never taken while its first request may still commit.

A second request with the same key waits on the row's unique index (user, key) until the
first transaction ends. If the first committed, the second gets the first's row (and its
stored result); if it rolled back, the second holds the key and runs. The wait is bounded
by `wait` on PostgreSQL (lock_timeout, for the key's insert only) and by the connection's
busy timeout on SQLite (every transaction takes SQLite's write lock at BEGIN IMMEDIATE);
when it runs out, `KeyBusy` is raised and nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, transaction

from .lengths import max_length
from .models import IdempotencyKey

SQLITE_BUSY, SQLITE_LOCKED = 5, 6
PG_LOCK_NOT_AVAILABLE = "55P03"


class KeyBusy(Exception):
    """The first request with this key still held it when the wait ran out."""


@dataclass
class ClaimedKey:
    record: IdempotencyKey
    created: bool  # True: this request holds the key and runs the work; False: `record` is the first's

    def keep(self, status_code: int, response=None, headers: dict | None = None) -> None:
        """Stores the result on the key; it commits with the work."""
        self.record.status_code = status_code
        self.record.response = response
        self.record.headers = headers or {}
        self.record.save(update_fields=["status_code", "response", "headers"])

    def forget(self) -> None:
        """Rolls the key back with the work (a server failure): a retry runs again."""
        transaction.set_rollback(True)


def _is_lock_wait(exc: OperationalError) -> bool:
    cause = exc.__cause__
    if connection.vendor == "postgresql":
        return getattr(cause, "pgcode", None) == PG_LOCK_NOT_AVAILABLE
    if connection.vendor == "sqlite":
        return (getattr(cause, "sqlite_errorcode", 0) & 0xFF) in (SQLITE_BUSY, SQLITE_LOCKED)
    return False


@contextmanager
def _lock_timeout(wait: timedelta | None) -> Iterator[None]:
    """Bounds lock waits to `wait` inside the block only, so the work keeps its own lock waits."""
    if wait is None or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        # 0 would mean "no limit": at least a millisecond.
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{max(1, int(wait.total_seconds() * 1000))}ms"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _insert_or_find(*, user, key: str, method: str, path: str, fingerprint: str, wait: timedelta | None) -> ClaimedKey:
    while True:
        try:
            # A savepoint: a conflict leaves the transaction usable to read the first's row.
            with _lock_timeout(wait), transaction.atomic():
                # Waits here while a first request with this key is still running.
                record = IdempotencyKey.objects.create(
                    user=user, key=key, method=method, path=path[: max_length(IdempotencyKey, "path")], fingerprint=fingerprint
                )
            return ClaimedKey(record, created=True)
        except IntegrityError:
            first = IdempotencyKey.objects.filter(user=user, key=key).first()
            if first is not None:
                return ClaimedKey(first, created=False)
            # Pruned between the conflict and the read: the key is free again.


@contextmanager
def claim_key(
    *, user, key: str, method: str, path: str, fingerprint: str = "", wait: timedelta | None = None
) -> Iterator[ClaimedKey]:
    """Opens the work's transaction and claims `key` in it before anything else.

    Yields a ClaimedKey: `created` True when this request holds the key (run the work in
    the block, then `keep()` its result or `forget()` it), False when an earlier request
    committed under the key (`record` holds what it stored). An exception leaving the block
    rolls back the key with the work. Raises KeyBusy when the first request still holds the
    key after `wait` (None: no bound beyond the database's own).
    """
    with ExitStack() as stack:
        try:
            # On SQLite the wait happens here, at BEGIN IMMEDIATE.
            stack.enter_context(transaction.atomic())
            claimed = _insert_or_find(user=user, key=key, method=method, path=path, fingerprint=fingerprint, wait=wait)
        except OperationalError as exc:
            if _is_lock_wait(exc):
                raise KeyBusy(key) from exc
            raise
        yield claimed
