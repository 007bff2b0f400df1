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
from contextlib import ExitStack

from django.http import HttpRequest, HttpResponseRedirect

from .once import claim_key


def form_token(request: HttpRequest) -> dict:
    return {"form_token": uuid.uuid4().hex}


class FormOnceMiddleware:
    """Claims the form's token in process_view and lets Django call the view itself, inside the
    claim's transaction, which __call__ ends. So an exception the view raises reaches every
    middleware's process_exception as usual (allauth's reauthentication and immediate
    responses, the store's 503), instead of becoming a 500 here. Listed near the end of
    MIDDLEWARE: its process_exception runs before the others' and marks the work for rollback.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        held = request.__dict__.pop("_form_once", None)
        if held is not None:
            claimed, stack = held
            with stack:  # ends the transaction claim_key opened in process_view
                if request.__dict__.pop("_form_once_failed", False) or response.status_code >= 500:
                    claimed.forget()  # the view failed: the key rolls back with its work
                else:
                    redirect = response.status_code in (301, 302, 303) and response.has_header("Location")
                    claimed.keep(response.status_code, {"location": response["Location"]} if redirect else None)
        return response

    def process_view(self, request, view, args, kwargs):
        # After CsrfViewMiddleware: a forged POST never gets here.
        if request.method != "POST" or request.path.startswith("/api/") or not request.user.is_authenticated:
            return None
        token = request.POST.get("form_token", "")
        if not token or len(token) > 64:
            return None
        key = f"form:{token}:{hashlib.sha256(request.path.encode()).hexdigest()[:32]}"
        stack = ExitStack()
        # Waits in claim_key while a first request with this token is still running.
        claimed = stack.enter_context(claim_key(user=request.user, key=key, method="POST", path=request.path))
        if not claimed.created:
            stack.close()
            location = (claimed.record.response or {}).get("location")
            # The first one redirected: the same redirect. It answered a page: the view runs again.
            return HttpResponseRedirect(location) if location else None
        request._form_once = (claimed, stack)
        return None

    def process_exception(self, request, exception):
        if "_form_once" in request.__dict__:
            request._form_once_failed = True
        return None
