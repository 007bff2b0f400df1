"""Readiness (GET /readyz, `manage.py readiness`): can this deployment do its work now?

Each check answers "ok", "skipped" (not configured here) or "failed: <why>". The reason
names a kind of failure (an exception's class, a heartbeat's age), never a host, a user
or a path: /readyz answers anyone. The exception itself goes to the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from claims import heartbeats, scanning

log = logging.getLogger(__name__)

OK, SKIPPED = "ok", "skipped"


class NotReady(Exception):
    """A check's own verdict (as opposed to an error while checking)."""


def check_database(now: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return OK


def check_redis(now: datetime) -> str:
    """The broker (and, unless CPOR_CACHE_URL names another, the shared cache)."""
    if not settings.REDIS_URL:
        return SKIPPED  # the embedded default: a filesystem broker, a cache in process memory
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return OK


def check_storage(now: datetime) -> str:
    """The stored files' place takes a write and a delete (the media root on the filesystem)."""
    name = default_storage.save(f"readyz/{uuid.uuid4().hex}", ContentFile(b""))
    default_storage.delete(name)
    return OK


def check_clamd(now: datetime) -> str:
    """The malware scanner answers PING. "skipped" only in the "no scanner" mode (no clamd
    configured and CPOR_SCAN_REQUIRED off: uploads are marked clean unscanned); with a
    scanner required but none configured, uploads wait forever, so that fails."""
    if scanning.no_scanner():
        return SKIPPED
    if not scanning.configured():
        raise NotReady("no scanner configured (set CPOR_CLAMD_SOCKET or CPOR_CLAMD_HOST)")
    scanning.ping()
    return OK


def check_beat(now: datetime) -> str:
    """Beat's heartbeat task (claims.tasks.beat_heartbeat) ran recently: beat schedules and
    the deadlines' worker runs what it schedules."""
    beat = heartbeats.read(heartbeats.BEAT).get(heartbeats.BEAT)
    if beat is None:
        raise NotReady("no heartbeat yet")
    age = (now - beat.ended_at).total_seconds()
    if age > settings.CPOR_BEAT_HEARTBEAT_MAX_AGE_SECONDS:
        raise NotReady(f"last heartbeat {int(age)} s ago (at most {settings.CPOR_BEAT_HEARTBEAT_MAX_AGE_SECONDS} s)")
    return OK


CHECKS: dict[str, Callable[[datetime], str]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "clamd": check_clamd,
    "beat": check_beat,
}


def run(names: list[str] | None = None) -> dict[str, str]:
    """The verdict of each check (all of them, or `names`), in CHECKS order."""
    now = timezone.now()
    results = {}
    for name, check in CHECKS.items():
        if names and name not in names:
            continue
        try:
            results[name] = check(now)
        except NotReady as exc:
            results[name] = f"failed: {exc}"
        except Exception as exc:  # noqa: BLE001 - any error means not ready; the log keeps the details
            log.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = f"failed: {type(exc).__name__}"
    return results


def failed(results: dict[str, str]) -> list[str]:
    return [name for name, verdict in results.items() if verdict not in (OK, SKIPPED)]
