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

from django.conf import settings
from django.shortcuts import render
from rest_framework.throttling import ScopedRateThrottle

from claims.api.errors import is_api, json_error

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
    """DRF's scoped throttle, counted per real client address in the shared cache.

    DRF's own throttle reads the request history, appends and writes it back: requests
    served at the same moment by several workers overwrite each other's count. Here the
    count is one atomic increment (Redis INCR; a lock in process memory), in a window that
    opens with the client's first request and lasts the rate's duration.
    """

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
        self.cache.add(self.key, 0, self.duration)
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # the window closed between add and incr
            self.cache.add(self.key, 1, self.duration)
            count = 1
        return count <= self.num_requests

    def wait(self):
        return self.duration


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer while a username or an address is locked out (429)."""
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    log.warning("Sign-in locked out for %s from %s", (credentials or {}).get("username", "?"), client_ip(request))
    if is_api(request):
        response = json_error("login_locked_out", 429, minutes=minutes)
    else:
        response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Every failed sign-in (page, admin, API token) in the log, with its username and address."""
    address = client_ip(request) if request is not None else "?"
    log.warning("Failed sign-in for %r from %s", (credentials or {}).get("username", "?"), address)
