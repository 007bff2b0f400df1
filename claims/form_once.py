"""A browser form stores once, however often it is submitted.

Every POST form carries a hidden `form_token`, fresh on each page render (context
processor `form_token`). The first POST with a token claims it (an IdempotencyKey row,
through claims.once.claim_key as the API's Idempotency-Key) in the same transaction as
the view, so a second POST with that token (a double click) waits on the row until the
first finishes, then gets the first one's redirect instead of acting again. Only
redirects are replayed: a page re-rendered with errors carries a new token anyway.
"""

from __future__ import annotations

import hashlib
import uuid

from django.http import HttpRequest, HttpResponseRedirect

from .once import claim_key


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
        # Waits in claim_key while a first request with this token is still running.
        with claim_key(user=request.user, key=key, method="POST", path=request.path) as claimed:
            if not claimed.created:
                location = (claimed.record.response or {}).get("location")
                if location:
                    return HttpResponseRedirect(location)
                return view(request, *args, **kwargs)
            response = view(request, *args, **kwargs)
            redirect = response.status_code in (301, 302, 303) and response.has_header("Location")
            claimed.keep(response.status_code, {"location": response["Location"]} if redirect else None)
            return response
