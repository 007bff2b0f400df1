"""Idempotency-Key for API POSTs: a retry with the same key gets the first result.

The key is reserved in its own transaction before the work runs, so two concurrent
requests with one key cannot both act: the second is told the first is in progress.
A key reused for a different request is refused. Results of 5xx are not kept, so a
retry after a server failure runs again.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from rest_framework.response import Response

from claims.models import IdempotencyKey

from .errors import error_response


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
            return error_response(
                [
                    {
                        "code": "invalid_idempotency_key",
                        "field": None,
                        "message": "Use an Idempotency-Key of at most 255 characters.",
                    }
                ],
                400,
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, method=request.method, path=request.path[:500], fingerprint=fingerprint
                )
        except IntegrityError:
            record = IdempotencyKey.objects.get(user=request.user, key=key)
            if record.fingerprint != fingerprint:
                return error_response(
                    [{"code": "idempotency_key_reused", "field": None,
                      "message": "This Idempotency-Key was used for a different request. Use a new key for a new request."}],
                    400,
                )  # fmt: skip
            if record.status_code is None:
                return error_response(
                    [{"code": "idempotency_request_in_progress", "field": None,
                      "message": "The first request with this Idempotency-Key is still running. Retry in a moment."}],
                    409,
                )  # fmt: skip
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
