"""Emails as outbox rows: what to send, written in the transaction that causes it.

A row stores the email's kind, recipient, language and the history row it is about
(claims.emails writes them for every claim change); an email about no claim change (a
webhook endpoint turned off) stores a JSON context instead. The delivering worker renders
and sends it (claims/outbox.py), so a service or the deadline sweep never renders a
template or talks to a mail server. After the
transaction commits, one message asks the delivery queue to send that
transaction's rows (however many: the sweep sends one per batch); a periodic drain
picks up whatever that message missed (broker down, worker killed) and the retries, so a rolled-back change sends nothing and a committed one is never lost.

This module sits below the services: it imports models and settings only, and
reaches the Celery task by its registered name, never by importing claims.tasks.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise

from . import links
from .models import Claim, Notification

log = logging.getLogger(__name__)

DRAIN_TASK = "claims.tasks.drain_outbox"
DELIVERY_QUEUE = "deliveries"
# A datetime in a stored context: {"$dt": "2026-11-22T05:54:00+00:00"} (SQL builds the same shape).
DT_KEY = "$dt"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def claim_url(claim: Claim) -> str:
    """The claim's page (the outbox builds thousands of these: see claims.links)."""
    return absolute_url(links.path("claims:detail", claim.pk))


def encode(value):
    """A context value as JSON: datetimes tagged so the renderer gets datetimes back."""
    if isinstance(value, datetime):
        return {DT_KEY: value.isoformat()}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(v) for v in value]
    if isinstance(value, Promise):  # a lazy translation: the code's English, the renderer translates labels
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def parse_time(raw) -> datetime | None:
    """A time stored as ISO text in JSON (a context, history details). SQLite's has no offset:
    it is UTC."""
    parsed = parse_datetime(raw) if isinstance(raw, str) and raw else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def decode(value):
    """A stored context as the renderer wants it: tagged datetimes back to datetimes."""
    if isinstance(value, dict):
        if set(value) == {DT_KEY}:
            return parse_time(value[DT_KEY])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def build(
    kind: str, *, to: str, claim: Claim | None, context: dict | None = None, now: datetime, language: str | None = None
) -> Notification:
    """An unsaved outbox row for templates/emails/<kind>.html (its subject, text and HTML parts).

    `context` holds JSON-friendly values (datetimes are fine); the claim is loaded
    again when the email is rendered, in `language` (default: the site's)."""
    return Notification(
        kind=kind,
        claim=claim,
        to=to or "",
        context=encode(context or {}),
        language=language or "",
        created_at=now,
        next_attempt_at=now,
    )


def enqueue(notifications: list[Notification]) -> list[Notification]:
    """Saves the rows in the caller's transaction and asks for delivery once it commits."""
    notifications = [n for n in notifications if n.to]
    if not notifications:
        return []
    saved = Notification.objects.bulk_create(notifications)
    request_delivery_on_commit([n.pk for n in saved])
    return saved


def request_delivery_on_commit(ids: list[int]) -> None:
    transaction.on_commit(lambda: request_delivery(ids), robust=True)


def request_delivery(ids: list[int]) -> None:
    """One message to the delivery queue for these rows. A lost message costs nothing
    but time: the periodic drain finds the rows."""
    from celery import current_app

    try:
        current_app.tasks[DRAIN_TASK].apply_async(kwargs={"ids": ids}, queue=DELIVERY_QUEUE)
    except Exception:  # broker down: the periodic drain delivers later
        log.warning("Could not queue an outbox drain; the periodic drain will deliver the emails.", exc_info=True)
