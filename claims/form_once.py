"""A browser form stores once, however often it is submitted.

Every POST form carries a hidden `form_token`, fresh on each page render (context
processor `form_token`). The first POST with a token reserves it (an IdempotencyKey row,
the mechanism the API uses) in the same transaction as the view, so a second POST with
that token (a double click) waits on the row until the first finishes, then gets the
first one's redirect instead of acting again. Only redirects are replayed: a page
re-rendered with errors carries a new token anyway.
"""

from __future__ import annotations

import hashlib
import uuid

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseRedirect

from .models import IdempotencyKey


def form_token(request: HttpRequest) -> dict:
    return {"form_token": uuid.uuid4().hex}


class FormOnceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        # After CsrfViewMiddleware: a forged POST never gets here.
        if request.method != "POST" or request.path.startswith("/api/") or not request.user.is_authenticated:
            return None
        token = request.POST.get("form_token", "")
        if not token or len(token) > 64:
            return None
        key = f"form:{token}:{hashlib.sha256(request.path.encode()).hexdigest()[:32]}"
        with transaction.atomic():
            try:
                with transaction.atomic():
                    # Waits here while a first request with this token is still running.
                    record = IdempotencyKey.objects.create(
                        user=request.user, key=key, method="POST", path=request.path[:500], fingerprint=""
                    )
            except IntegrityError:
                record = None
            if record is None:
                first = IdempotencyKey.objects.filter(user=request.user, key=key).first()
                location = (first.response or {}).get("location") if first else None
                if location:
                    return HttpResponseRedirect(location)
                return view(request, *args, **kwargs)
            response = view(request, *args, **kwargs)
            record.status_code = response.status_code
            if response.status_code in (301, 302, 303) and response.has_header("Location"):
                record.response = {"location": response["Location"]}
            record.save(update_fields=["status_code", "response"])
            return response
