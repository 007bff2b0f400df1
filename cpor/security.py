"""Who the client is, and what a locked-out sign-in gets.

One rule for the client's address, used by the API throttles and by the sign-in lockout
(django-axes): REMOTE_ADDR, unless CPOR_TRUSTED_PROXIES reverse proxies (e.g. the Caddy
of docker-compose) stand in front; then the address that the outermost trusted proxy saw,
counted from the right of X-Forwarded-For (the same rule as DRF's NUM_PROXIES). Entries
left of it are written by the client and never trusted.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from django.conf import settings
from django.shortcuts import render
from rest_framework.throttling import ScopedRateThrottle

from claims.api.errors import is_api, json_error

from . import ratelimit

log = logging.getLogger("cpor.security")


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.CPOR_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies == 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote
    candidate = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class ClientThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counted per real client address by the one rate-limit counter
    (cpor.ratelimit): DRF's own reads the request history, appends and writes it back, so
    requests served at the same moment by several workers overwrite each other's count."""

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.waiting = ratelimit.hit(self.key, limit=self.num_requests, window=self.duration)
        return not self.waiting

    def wait(self):
        return self.waiting


def _refused(request, *, seconds: int, code: str):
    minutes = max(1, math.ceil(seconds / 60))
    if is_api(request):
        response = json_error(code, 429, minutes=minutes, seconds=seconds)
    else:
        context = {"minutes": minutes, "seconds": seconds, "slowed_down": code == "login_slowed_down"}
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer while a username is locked out from this address (429)."""
    log.warning("Sign-in locked out for %s from %s", (credentials or {}).get("username", "?"), client_ip(request))
    return _refused(request, seconds=int(settings.AXES_COOLOFF_TIME.total_seconds()), code="login_locked_out")


# --- An address that keeps failing is slowed down, never locked -------------------------------

_WINDOW = 3600  # failures of an address are counted over the last hour


def _failures_key(address: str) -> str:
    return f"cpor:signin:failures:{address}"


def _next_key(address: str) -> str:
    return f"cpor:signin:next:{address}"


def address_wait(request) -> int:
    """Seconds this address must still wait before its next sign-in attempt (0: none)."""
    from django.core.cache import cache

    next_at = cache.get(_next_key(client_ip(request)))
    return max(0, math.ceil(next_at - time.time())) if next_at else 0


def address_failed(request) -> None:
    """One more failed sign-in from this address: past the free failures, the next attempt
    waits twice as long as the last one (1, 2, 4 … seconds, at most the configured wait)."""
    from django.core.cache import cache

    address = client_ip(request)
    cache.add(_failures_key(address), 0, _WINDOW)
    try:
        failures = cache.incr(_failures_key(address))
    except ValueError:  # the window closed in between
        cache.add(_failures_key(address), 1, _WINDOW)
        failures = 1
    over = failures - settings.CPOR_LOGIN_ADDRESS_FREE_FAILURES
    if over > 0:
        wait = min(2 ** (over - 1), settings.CPOR_LOGIN_ADDRESS_MAX_WAIT_SECONDS)
        cache.set(_next_key(address), time.time() + wait, _WINDOW)


def slowed_down(request):
    """The 429 an address gets while it must wait (sign-in page, admin, API token), else None."""
    wait = address_wait(request)
    if not wait:
        return None
    log.warning("Sign-in from %s slowed down: %s s to wait", client_ip(request), wait)
    return _refused(request, seconds=wait, code="login_slowed_down")


def gated(view):
    """A sign-in view that an address must wait for after too many failures."""

    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and (refused := slowed_down(request)):
            return refused
        return view(request, *args, **kwargs)

    return wrapped


def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Every failed sign-in (page, admin, API token) in the log, with its username and
    address, and counted against the address (see address_failed)."""
    address = client_ip(request) if request is not None else "?"
    log.warning("Failed sign-in for %r from %s", (credentials or {}).get("username", "?"), address)
    if request is not None:
        address_failed(request)


def sign_in_username(request, credentials=None) -> str | None:
    """django-axes' username of a sign-in attempt (AXES_USERNAME_CALLABLE): what was typed,
    except that an email address of an account counts as that account's username, so
    "global@fabrikam.example" and "fabrikam-global" share one count per address."""
    typed = (credentials or {}).get("username") or (credentials or {}).get("email")
    if typed is None and request is not None:
        data = getattr(request, "data", None) or request.POST
        typed = data.get("username")
    if typed and "@" in typed:
        from claims.accounts import username_for_email

        return username_for_email(typed.strip()) or typed
    return typed
