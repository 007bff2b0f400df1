"""Idempotency-Key for API POSTs: a retry with the same key gets the first result.

The key is reserved in its own transaction before the work runs, so two concurrent
requests with one key cannot both act: the second is told the first is in progress.
A key reused for a different request is refused. Results of 5xx are not kept, so a
retry after a server failure runs again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from claims.errors import DomainError
from claims.models import IdempotencyKey

from .errors import error_response

ABANDONED_AFTER = timedelta(seconds=60)
KEEP_FOR = timedelta(hours=24)


def prune(*, now=None) -> int:
    """Forgets keys older than a day (clients retry within minutes, not days)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=(now or timezone.now()) - KEEP_FOR).delete()
    return deleted


def _refuse(code: str):
    error = DomainError.of(code)
    return error_response([e.as_dict() for e in error.errors], error.http_status)


def _fingerprint(request) -> str:
    files = {name: [(f.name, f.size) for f in request.FILES.getlist(name)] for name in request.FILES}
    data = {k: v for k, v in request.data.items() if k not in request.FILES} if hasattr(request.data, "items") else request.data
    payload = json.dumps([request.method, request.path, data, files], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def idempotent(method):
    @wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return method(self, request, *args, **kwargs)
        if len(key) > 255:
            return _refuse("invalid_idempotency_key")
        try:
            fingerprint = _fingerprint(request)
        except Exception:
            # An unreadable body: the view refuses it after its access checks (role first),
            # and nothing is kept under the key.
            return method(self, request, *args, **kwargs)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, method=request.method, path=request.path[:500], fingerprint=fingerprint
                )
        except IntegrityError:
            record = IdempotencyKey.objects.get(user=request.user, key=key)
            if record.fingerprint != fingerprint:
                return _refuse("idempotency_key_reused")
            if record.status_code is None and record.created_at < timezone.now() - ABANDONED_AFTER:
                # The first request died without an answer (its process was killed): run again.
                IdempotencyKey.objects.filter(pk=record.pk, status_code__isnull=True).delete()
                return wrapper(self, request, *args, **kwargs)
            if record.status_code is None:
                return _refuse("idempotency_request_in_progress")
            replay = Response(record.response, status=record.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = method(self, request, *args, **kwargs)
        except Exception as exc:  # domain and DRF errors become their response, and are kept
            response = self.handle_exception(exc)
        if response.status_code >= 500:
            record.delete()
        else:
            record.status_code = response.status_code
            record.response = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
            record.save(update_fields=["status_code", "response"])
        return response

    return wrapper
