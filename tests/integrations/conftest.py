import json

import pytest
from standardwebhooks.webhooks import Webhook

from integrations import services


@pytest.fixture(autouse=True)
def fresh_throttle():
    # The token endpoint allows 10 requests a minute per client; each test starts afresh.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def httpserver_listen_address():
    # The receiver listens on the IPv4 loopback only, which the URL names directly.
    return ("127.0.0.1", 0)


@pytest.fixture
def loopback(settings):
    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = True
    return settings


def hook_url(httpserver, path="/hook") -> str:
    return f"http://127.0.0.1:{httpserver.port}{path}"


def register(user, httpserver, *, events=None, path="/hook"):
    from integrations.webhooks import EVENT_TYPES

    return services.endpoint_create(actor=user, url=hook_url(httpserver, path), events=events or list(EVENT_TYPES))


def received(httpserver, path="/hook") -> list:
    return [req for req, _resp in httpserver.log if req.path == path]


def verify(secret: str, request) -> dict:
    """The Standard Webhooks library's own check of a received request."""
    return Webhook(secret).verify(request.get_data(), dict(request.headers))


def bodies(httpserver, secret, path="/hook") -> list[dict]:
    return [verify(secret, r) for r in received(httpserver, path)]


__all__ = ["hook_url", "register", "received", "verify", "bodies", "json"]
