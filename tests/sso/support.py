"""A real OpenID Provider for the tests: tests/sso/op.mjs (the npm package oidc-provider) on
loopback, and the directory it vouches for.

One provider process serves the whole session. It plays two identity providers' clients: the
partner app (a multi-tenant Entra ID registration: tokens carry `tid`) and the operator's app
(reviewers). Its misbehaving modes (tests/sso/op.mjs) re-sign or tamper with the genuine
artefacts of an otherwise real flow, so the refusals are tested against the same provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from claims.choices import Role
from claims.models import IdentityProviderLink, IdentityProviderRole, PartnerCompany

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parents[1] / ".ci" / "node" / "node_modules"
OIDC_PROVIDER = NODE_MODULES / "oidc-provider" / "package.json"
FABRIKAM_TENANT = "11111111-aaaa-4bbb-8ccc-000000000001"
UNLINKED_TENANT = "99999999-aaaa-4bbb-8ccc-000000000009"
PARTNER_CLIENT = {"client_id": "cpor-partner", "client_secret": "partner-secret-for-tests"}
OPERATOR_CLIENT = {"client_id": "cpor-operator", "client_secret": "operator-secret-for-tests"}

ACCOUNTS = {
    # A Fabrikam employee with two app roles: the strongest, Global admin, wins.
    "ada": {
        "tid": FABRIKAM_TENANT,
        "roles": ["Claims.Incentives", "Claims.Global"],
        "email": "ada@fabrikam.example",
        "preferred_username": "ada@fabrikam.example",
        "name": "Ada Lovelace",
    },
    "bill": {
        "tid": FABRIKAM_TENANT,
        "roles": ["Claims.Billing"],
        "email": "bill@fabrikam.example",
        "preferred_username": "bill@fabrikam.example",
        "name": "Bill Fabrikam",
    },
    # Someone from a tenant nobody linked.
    "eve": {
        "tid": UNLINKED_TENANT,
        "roles": ["Claims.Global"],
        "email": "eve@elsewhere.example",
        "preferred_username": "eve@elsewhere.example",
    },
    # The operator's reviewer.
    "rita": {"tid": "operator", "roles": ["Reviewer"], "email": "rita@operator.example", "preferred_username": "rita"},
}


def callback_uris(base: str) -> list[str]:
    return [f"{base}/accounts/oidc/{provider}/login/callback/" for provider in ("partner", "operator")]


class TestProvider:
    def __init__(self, bases: list[str]) -> None:
        uris = [uri for base in bases for uri in callback_uris(base)]
        config = {
            "node_modules": str(NODE_MODULES),
            "clients": [{**PARTNER_CLIENT, "redirect_uris": uris}, {**OPERATOR_CLIENT, "redirect_uris": uris}],
            "accounts": ACCOUNTS,
        }
        self._dir = tempfile.TemporaryDirectory(prefix="cpor-op-")
        path = Path(self._dir.name) / "op.json"
        path.write_text(json.dumps(config))
        self.process = subprocess.Popen(
            ["node", str(HERE / "op.mjs"), str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"the test OpenID Provider did not start: {line!r}")
        self.issuer = line.split(" ", 1)[1]
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the test OpenID Provider never answered its discovery document")

    def set_mode(self, mode: str = "") -> None:
        requests.post(f"{self.issuer}/__test/mode", json={"mode": mode}, timeout=5).raise_for_status()

    def set_accounts(self, accounts: dict) -> None:
        requests.post(f"{self.issuer}/__test/accounts", json={"accounts": accounts}, timeout=5).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._dir.cleanup()


def apps(issuer: str) -> list[dict]:
    def app(provider_id: str, name: str, client: dict) -> dict:
        return {
            "provider_id": provider_id,
            "name": name,
            "client_id": client["client_id"],
            "secret": client["client_secret"],
            "settings": {"server_url": issuer, "fetch_userinfo": False, "oauth_pkce_enabled": True},
        }

    return [app("operator", "CPOR operator", OPERATOR_CLIENT), app("partner", "Microsoft Entra ID", PARTNER_CLIENT)]


@pytest.fixture(scope="session")
def oidc_op(live_server):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    op = TestProvider(["http://testserver", live_server.url])
    yield op
    op.stop()


@pytest.fixture
def sso(oidc_op, settings):
    """The partner and operator apps pointed at the test provider, its misbehaviour off and its
    accounts as listed above."""
    from django.core.cache import cache

    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": apps(oidc_op.issuer)},
    }
    oidc_op.set_mode("")
    oidc_op.set_accounts(ACCOUNTS)
    cache.clear()
    yield oidc_op
    oidc_op.set_mode("")


@pytest.fixture
def fabrikam_link(directory, oidc_op):
    """Staff linked Fabrikam to its Entra ID tenant with its app roles mapped."""
    company = PartnerCompany.objects.get(name__startswith="Fabrikam")
    link = IdentityProviderLink.objects.create(company=company, issuer=oidc_op.issuer, tenant_id=FABRIKAM_TENANT)
    for value, role in [
        ("Claims.Global", Role.GLOBAL_ADMIN),
        ("Claims.Billing", Role.BILLING_ADMIN),
        ("Claims.Incentives", Role.INCENTIVES_ADMIN),
    ]:
        IdentityProviderRole.objects.create(link=link, value=value, role=role)
    return link


def sign_in_through_op(client, op: TestProvider, account: str, *, provider: str = "partner", with_mfa: bool = False):
    """Walks the redirect flow with the Django test client on our side and a plain HTTP
    client on the provider's (its sign-in page posted as a browser would); returns our
    answer to the callback."""
    start = client.post(f"/accounts/oidc/{provider}/login/")
    assert start.status_code == 302, start
    key_before = client.session.session_key  # the sign-in's state lives in this session
    browser = requests.Session()
    url, method, data = start["Location"], "GET", None
    for _hop in range(10):
        if url.startswith("http://testserver"):
            parts = urlsplit(url)
            answer = client.get(f"{parts.path}?{parts.query}")
            answer.session_key_before = key_before
            return answer
        answer = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if answer.status_code in (302, 303):
            url, method, data = urljoin(url, answer.headers["Location"]), "GET", None
        elif "/interaction/" in url and answer.status_code == 200:
            method, data = "POST", {"account": account, **({"with_mfa": "1"} if with_mfa else {})}
        else:
            raise AssertionError(f"the provider answered {answer.status_code}: {answer.text[:300]}")
    raise AssertionError("too many redirects")
