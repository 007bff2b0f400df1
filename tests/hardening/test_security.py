"""Issue 9, items 9, 10, 12, 13: throttles keyed by the real client, sign-in brute force
locked out, a Content-Security-Policy without unsafe-inline, PoE files sandboxed, and a
CSV export that a spreadsheet cannot run."""

import csv
import io
import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from claims import services
from claims.spreadsheet import safe_cell
from cpor.security import client_ip
from tests.api.test_api import API, codes
from tests.conftest import claim_data, pdf

TOKEN = f"{API}/auth/token/"


def token(client, username="fabrikam-global", password="wrong", **headers):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **headers)


# 9. Throttles
@pytest.mark.parametrize(
    "proxies, forwarded, remote, expected",
    [
        (0, "203.0.113.9", "192.0.2.1", "192.0.2.1"),
        (1, "203.0.113.9", "192.0.2.1", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "192.0.2.1", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "10.0.0.3", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.3", "203.0.113.9"),
        (1, "not-an-address", "192.0.2.1", "192.0.2.1"),
        (1, "", "192.0.2.1", "192.0.2.1"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(settings, proxies, forwarded, remote, expected):
    settings.CPOR_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected


@time_machine.travel("2026-11-23 10:00:30Z", tick=False)
def test_forged_forwarded_addresses_do_not_walk_around_the_token_throttle(db, directory, settings):
    settings.AXES_FAILURE_LIMIT = 1000  # the throttle, not the lockout, is under test
    client = APIClient()
    statuses = [token(client, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(30)]
    assert statuses == [400] * 10 + [429] * 20
    refused = token(client, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert codes(refused) == ["throttled"] and int(refused["Retry-After"]) == 60


@time_machine.travel("2026-11-23 10:00:30Z", tick=False)
def test_behind_one_proxy_clients_count_apart_and_forged_prefixes_do_not_help(db, directory, settings):
    settings.AXES_FAILURE_LIMIT = 1000
    settings.CPOR_TRUSTED_PROXIES = 1
    client = APIClient(REMOTE_ADDR="10.0.0.2")  # the proxy
    forged = [token(client, HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.9").status_code for i in range(12)]
    assert forged == [400] * 10 + [429] * 2
    # Another client behind the same proxy has its own count.
    assert token(client, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 400


def test_the_window_reopens_after_its_duration(db, directory, settings):
    settings.AXES_FAILURE_LIMIT = 1000
    client = APIClient()
    with time_machine.travel("2026-11-23 10:00:30Z", tick=False) as clock:
        assert [token(client).status_code for _ in range(11)][-2:] == [400, 429]
        clock.shift(timedelta(seconds=61))
        assert token(client).status_code == 400


# 10. Sign-in brute force
def login(client, username="fabrikam-global", password="wrong", url="/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def test_five_failures_lock_the_username_from_that_address_only(db, directory, caplog):
    attacker = Client(REMOTE_ADDR="192.0.2.4")
    caplog.set_level(logging.INFO)
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False) as clock:
        for _ in range(4):
            assert login(attacker).status_code == 200  # the form again, with its error
        assert login(attacker).status_code == 429  # the fifth failure locks the pair
        locked = login(attacker, password="demo-password")
        assert locked.status_code == 429 and "_auth_user_id" not in attacker.session
        assert "Too many failed sign-ins" in locked.content.decode() and "15 minutes" in locked.content.decode()
        assert locked["Retry-After"] == "900"
        failures = [r.getMessage() for r in caplog.records if r.name == "cpor.security" and r.levelno == logging.WARNING]
        assert "Failed sign-in for 'fabrikam-global' from 192.0.2.4" in failures
        assert any(m.startswith("Sign-in locked out for fabrikam-global") for m in failures)
        # The user signs in from their own address with the right password, whatever failed elsewhere.
        own = Client(REMOTE_ADDR="192.0.2.99")
        assert login(own, password="demo-password").status_code == 302
        # Another user behind the attacker's address is not locked out by these failures.
        assert login(Client(REMOTE_ADDR="192.0.2.4"), "fabrikam-billing", "demo-password").status_code == 302
        clock.shift(timedelta(minutes=16))
        assert login(Client(REMOTE_ADDR="192.0.2.4"), password="demo-password").status_code == 302


def test_failures_spread_over_many_addresses_lock_nobody_out(db, directory):
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        for i in range(20):
            assert login(Client(REMOTE_ADDR=f"198.51.100.{i}")).status_code == 200
        assert login(Client(REMOTE_ADDR="198.51.100.200"), password="demo-password").status_code == 302


def test_one_address_trying_many_usernames_is_slowed_down_progressively_not_locked(db, directory, settings):
    settings.CPOR_LOGIN_ADDRESS_FREE_FAILURES, settings.CPOR_LOGIN_ADDRESS_MAX_WAIT_SECONDS = 4, 8
    client = Client(REMOTE_ADDR="198.51.100.5")
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False) as clock:
        for name in ["a", "b", "c", "d"]:
            assert login(client, name).status_code == 200  # the free failures
        waits = []
        for name in ["e", "f", "g", "h", "i"]:
            assert login(client, name).status_code == 200  # allowed, and counted
            refused = login(client, "fabrikam-billing", "demo-password")  # too soon: not even checked
            assert refused.status_code == 429 and "_auth_user_id" not in client.session
            waits.append(int(refused["Retry-After"]))
            clock.shift(timedelta(seconds=waits[-1]))
        assert waits == [1, 2, 4, 8, 8]  # twice as long each time, up to the configured wait
        # After the wait, the right password from that address works: slowed down, never locked out.
        assert login(client, "fabrikam-billing", "demo-password").status_code == 302
        assert login(Client(REMOTE_ADDR="198.51.100.6"), "fabrikam-global", "demo-password").status_code == 302


def test_a_success_resets_the_count(db, directory):
    client = Client()
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        for _ in range(4):
            login(client)
        assert login(client, password="demo-password").status_code == 302
        client.post("/accounts/logout/")
        for _ in range(4):
            assert login(client).status_code == 200
        assert login(client, password="demo-password").status_code == 302


def test_the_admin_login_and_the_api_token_follow_the_same_rule(db, directory, django_user_model, settings):
    django_user_model.objects.create_superuser("root", "root@cpor.example", "admin-password")
    admin = Client(REMOTE_ADDR="203.0.113.7")
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        for _ in range(4):
            assert login(admin, "root", url="/admin/login/").status_code == 200
        assert login(admin, "root", url="/admin/login/").status_code == 429
        locked = login(admin, "root", "admin-password", url="/admin/login/")
        assert locked.status_code == 429 and "_auth_user_id" not in admin.session
        assert login(Client(REMOTE_ADDR="203.0.113.8"), "root", "admin-password", url="/admin/login/").status_code == 302
        api = APIClient(REMOTE_ADDR="203.0.113.77")
        for _ in range(4):
            assert codes(token(api, "fabrikam-billing")) == ["invalid_credentials"]
        assert codes(token(api, "fabrikam-billing")) == ["login_locked_out"]
        refused = token(api, "fabrikam-billing", "demo-password")
        assert refused.status_code == 429 and codes(refused) == ["login_locked_out"]
        assert refused["Content-Type"] == "application/json"
        assert token(APIClient(REMOTE_ADDR="203.0.113.78"), "fabrikam-billing", "demo-password").status_code == 200
        # An address that keeps failing is slowed down on the token endpoint too, with a code of its own.
        settings.CPOR_LOGIN_ADDRESS_FREE_FAILURES = 1
        slow = APIClient(REMOTE_ADDR="203.0.113.90")
        assert codes(token(slow, "nobody")) == ["invalid_credentials"]
        assert codes(token(slow, "nobody")) == ["invalid_credentials"]
        waiting = token(slow, "fabrikam-billing", "demo-password")
        assert waiting.status_code == 429 and codes(waiting) == ["login_slowed_down"] and waiting["Retry-After"] == "1"


# 12. CSP
def test_every_page_has_a_csp_without_unsafe_inline_and_no_inline_code(fabrikam, build, client):
    claim = build.editing()
    client.force_login(fabrikam)
    for url in ["/claims/", f"/claims/{claim.pk}/", "/claims/new/", f"/claims/{claim.pk}/edit/", "/api/docs/", "/admin/login/"]:
        response = client.get(url, follow=True)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "object-src 'none'" in policy, url
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"
        assert "<style" not in html and not re.search(r"\son[a-z]+=", html), f"inline style or handler on {url}"
    assert "default-src 'self'" in client.get(f"{API}/claims/")["Content-Security-Policy"]


def test_a_poe_opened_inline_is_sandboxed_with_a_safe_file_name(fabrikam, ana, build, client):
    claim = build.editing(poe=False)
    evidence = services.evidence_add(claim=claim, actor=fabrikam, file=SimpleUploadedFile('a"b;c\r\nd.pdf', pdf().read()))
    client.force_login(ana)
    response = client.get(f"/claims/{claim.pk}/evidence/{evidence.pk}/?inline=1")
    assert response.status_code == 200 and response["Content-Security-Policy"] == "sandbox"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;") and '"' not in disposition.split("filename=", 1)[1].strip('"')
    assert "\r" not in disposition and "\n" not in disposition and ";c" not in disposition
    attachment = client.get(f"/claims/{claim.pk}/evidence/{evidence.pk}/")
    assert attachment["Content-Security-Policy"] == "sandbox" and attachment["Content-Disposition"].startswith("attachment;")


# 13. CSV injection
@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_formula_starts_are_quoted_and_other_cells_kept(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("Contoso = 1") == "Contoso = 1" and safe_cell(42) == 42 and safe_cell("") == ""


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"])
def test_the_csv_export_escapes_formula_cells(fabrikam, build, client, name):
    build.editing(claim_data(name=name))
    client.force_login(fabrikam)
    response = client.get("/claims/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][1] == "'" + name
    assert rows[1][0].isdigit()  # numbers stay numbers


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"], ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_every_cell_of_the_csv_export_is_escaped_its_header_too(fabrikam, build, client, monkeypatch, prefix):
    import claims.views
    from claims.models import CustomerTenant

    # A translation whose headers start like a formula, and a customer name that does.
    monkeypatch.setattr(claims.views, "_", lambda text: prefix + text)
    build.editing(claim_data())
    CustomerTenant.objects.filter(subdomain="contoso").update(name=f"{prefix}Contoso")
    client.force_login(fabrikam)
    response = client.get("/claims/export.csv")
    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert header[:2] == [f"'{prefix}ID", f"'{prefix}Claim name"]
    assert all(cell.startswith(f"'{prefix}") for cell in header)
    assert row[3] == f"'{prefix}Contoso"
