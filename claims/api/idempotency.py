"""Idempotency-Key for API POSTs: a retry with the same key gets the first result.

The key is claimed in the transaction the work runs in (claims/once.py), so the key, the
work and the stored response commit together or not at all. A retry while the first
request is still running waits for it: once the first commits, the retry gets its result;
if the first rolled back, the retry runs. A retry that waits longer than WAIT_FOR_FIRST is
told the first is in progress (409), and nothing runs. A key reused for a different
request is refused. Refusals (4xx) are kept and replayed; a 5xx rolls back with the work,
so a retry after a server failure runs again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from rest_framework.response import Response

from claims.errors import DomainError
from claims.lengths import max_length
from claims.models import IdempotencyKey
from claims.once import KeyBusy, claim_key

from .errors import error_response

# How long a retry waits for the first request with its key (PostgreSQL; SQLite waits for
# its connection's busy timeout). Longer holds a worker and a connection per waiting retry.
WAIT_FOR_FIRST = timedelta(seconds=10)
KEEP_FOR = timedelta(hours=24)


def prune(*, now=None) -> int:
    """Forgets keys older than a day (clients retry within minutes, not days)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=(now or timezone.now()) - KEEP_FOR).delete()
    return deleted


def _refuse(code: str, **params):
    error = DomainError.of(code, **params)
    return error_response([e.as_dict() for e in error.errors], error.http_status)


def _fingerprint(request) -> str:
    files = {name: [(f.name, f.size) for f in request.FILES.getlist(name)] for name in request.FILES}
    data = {k: v for k, v in request.data.items() if k not in request.FILES} if hasattr(request.data, "items") else request.data
    payload = json.dumps([request.method, request.path, data, files], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# What a retry gets again besides the body: where a 201 created its resource, the claim's version.
REPLAYED_HEADERS = ("Location", "ETag")


def _answer_of_first(record: IdempotencyKey, fingerprint: str):
    if record.fingerprint != fingerprint:
        return _refuse("idempotency_key_reused")
    if record.status_code is None:
        # Only a reservation committed apart from its work leaves a key without an answer
        # (this code never does). The work may have committed, so it is never run again.
        return _refuse("idempotency_request_in_progress")
    replay = Response(record.response, status=record.status_code, headers=record.headers or None)
    replay["Idempotent-Replayed"] = "true"
    return replay


def _run(view, method, request, args, kwargs):
    try:
        # A savepoint: whatever the view did before raising is undone, and the key's
        # transaction stays usable to store the refusal even after a failed statement.
        with transaction.atomic():
            return method(view, request, *args, **kwargs)
    except Exception as exc:  # domain and DRF errors become their response (a bug re-raises: a 500)
        return view.handle_exception(exc)


def idempotent(method):
    @wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return method(self, request, *args, **kwargs)
        if len(key) > max_length(IdempotencyKey, "key"):
            return _refuse("invalid_idempotency_key", max=max_length(IdempotencyKey, "key"))
        try:
            fingerprint = _fingerprint(request)
        except Exception:
            # An unreadable body: the view refuses it after its access checks (role first),
            # and nothing is kept under the key.
            return method(self, request, *args, **kwargs)
        try:
            with claim_key(
                user=request.user, key=key, method=request.method, path=request.path, fingerprint=fingerprint, wait=WAIT_FOR_FIRST
            ) as claimed:
                if not claimed.created:
                    return _answer_of_first(claimed.record, fingerprint)
                response = _run(self, method, request, args, kwargs)
                if response.status_code >= 500:
                    claimed.forget()
                else:
                    claimed.keep(
                        response.status_code,
                        json.loads(json.dumps(response.data, cls=DjangoJSONEncoder)),
                        {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)},
                    )
                return response
        except KeyBusy:
            return _refuse("idempotency_request_in_progress")

    return wrapper
