"""The request id: one token that ties a web request to everything it causes.

The web request binds it (cpor.logs.RequestIdMiddleware: a sane incoming X-Request-ID, else a
new one) in structlog's context variables; Celery carries it in each task's headers
(django-structlog's receivers); the outbox rows a change writes (emails, webhook deliveries:
claims.models.DeliveryRow) store it, so the worker that sends them logs it again. Work that
no request caused (a beat run: the sweep, the drains) gets its own id when its task starts.

Pure: no Django model is imported here (claims.models reads `current` as a column default).
"""

from __future__ import annotations

import re
import uuid

import structlog

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
MAX_LENGTH = 64  # the outbox rows' column
# A token a log search can rely on: 8 to 64 letters, digits and - _ . : (UUIDs, nginx's and
# most proxies' ids). Anything else (spaces, quotes, control characters, a huge value) is replaced.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")


def new() -> str:
    return uuid.uuid4().hex


def sane(value: str | None) -> str | None:
    """The incoming value if it is a sane token, else None."""
    if value and len(value) <= MAX_LENGTH and SANE.fullmatch(value):
        return value
    return None


def current() -> str:
    """The request id bound in this context ("" outside any request or task): the outbox
    rows' column default, so every row written in a request or a task carries its id."""
    return structlog.contextvars.get_contextvars().get("request_id") or ""
