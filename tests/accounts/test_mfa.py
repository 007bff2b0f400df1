"""Issue 21, point 2: a second factor on allauth.mfa. An authenticator app (TOTP) with
single-use recovery codes is asked for after the password; the groups CPOR_MFA_REQUIRED_FOR
names must set one up before anything else; no password-only door (API token, admin sign-in)
lets such a user in without it.

TOTP codes are computed here from the secret the set-up page shows (RFC 6238), as the user's
authenticator app would, so the tests hold whatever allauth does inside."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import struct
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.test import Client

from claims import demo
from claims.models import User

PASSWORD = demo.PASSWORD
REQUIRED = ["reviewers", "global_admins"]
T0 = "2026-11-23 10:00:00Z"
LATER = "2026-11-23 10:05:00Z"  # other 30-second steps: a code is taken once per step


def totp(secret: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The RFC 6238 code (HMAC-SHA1, 30-second steps, 6 digits) of a base32 `secret` at `at`."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def sign_in(client: Client, login: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": login, "password": password})


def signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def set_up_totp(client: Client) -> tuple[str, list[str]]:
    """Activates an authenticator app for the signed-in user as they would on the web; returns
    its secret and the recovery codes the next page shows."""
    page = client.get("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before a second factor is added.
    assert page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"), page
    page = client.post(page["Location"], {"password": PASSWORD}, follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/" and page.status_code == 200
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"|value="([A-Z2-7]+)"[^>]*id="authenticator_secret"',
                       page.content.decode())  # fmt: skip
    secret = secret.group(1) or secret.group(2)
    assert client.post("/accounts/2fa/totp/activate/", {"code": wrong(totp(secret))}).status_code == 200
    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert activated.status_code == 302 and activated["Location"] == "/accounts/2fa/recovery-codes/"
    codes_page = client.get(activated["Location"]).content.decode()
    textarea = re.search(r'<textarea[^>]*id="recovery_codes"[^>]*>(.*?)</textarea>', codes_page, flags=re.S).group(1)
    return secret, html.unescape(textarea).split()


@pytest.fixture
def required(settings):
    settings.CPOR_MFA_REQUIRED_FOR = REQUIRED
    return settings


def test_after_setting_up_an_authenticator_app_a_sign_in_needs_its_code(fabrikam_billing):
    with time_machine.travel(T0, tick=False):
        client = Client()
        sign_in(client, "fabrikam-billing")
        secret, codes = set_up_totp(client)
        assert len(codes) == 10
        client.post("/accounts/logout/")
    assert Authenticator.objects.filter(user=fabrikam_billing, type=Authenticator.Type.TOTP).exists()

    with time_machine.travel(LATER, tick=False):
        client = Client()
        asked = sign_in(client, "fabrikam-billing")
        assert asked.status_code == 302 and asked["Location"] == "/accounts/2fa/authenticate/"
        assert signed_in_as(client) is None  # the password alone signs nobody in
        assert client.get("/claims/").status_code == 302
        refused = client.post("/accounts/2fa/authenticate/", {"code": wrong(totp(secret))})
        assert refused.status_code == 200 and signed_in_as(client) is None
        done = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
        assert done.status_code == 302 and done["Location"] == "/"
        assert signed_in_as(client) == "fabrikam-billing"
        assert client.get("/claims/").status_code == 200


def test_a_recovery_code_signs_in_once(fabrikam_billing):
    with time_machine.travel(T0, tick=False):
        setup = Client()
        sign_in(setup, "fabrikam-billing")
        _secret, codes = set_up_totp(setup)

    with time_machine.travel(LATER, tick=False):
        first = Client()
        sign_in(first, "fabrikam-billing")
        assert first.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
        assert signed_in_as(first) == "fabrikam-billing"

        again = Client()
        sign_in(again, "fabrikam-billing")
        assert again.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200
        assert signed_in_as(again) is None
        assert again.post("/accounts/2fa/authenticate/", {"code": codes[1]}).status_code == 302
        assert signed_in_as(again) == "fabrikam-billing"


@pytest.mark.parametrize("username", ["reviewer-ana", "fabrikam-global"])
def test_a_user_of_a_required_group_without_a_second_factor_sees_only_its_set_up(required, users, username):
    with time_machine.travel(T0, tick=False):
        client = Client()
        signed_in = sign_in(client, username)
        assert signed_in.status_code == 302 and signed_in_as(client) == username
        for page in [signed_in["Location"], "/", "/claims/", "/review/", "/notifications/", "/accounts/password/change/"]:
            response = client.get(page)
            assert response.status_code == 302 and response["Location"] == "/accounts/2fa/", page
        api = client.get("/api/v1/claims/")
        assert api.status_code == 403 and api.json()["errors"][0]["code"] == "mfa_required"
        # The choice of a second factor says why; the set-up, the language picker and signing out stay open.
        choice = client.get("/accounts/2fa/")
        assert choice.status_code == 200 and "must have a second factor" in choice.content.decode()
        assert 'href="/accounts/2fa/totp/activate/"' in choice.content.decode()
        assert 'href="/accounts/2fa/webauthn/add/"' in choice.content.decode()
        assert client.post("/i18n/setlang/", {"language": "it", "next": "/"}).status_code == 302
        reauthenticate = client.get("/accounts/2fa/totp/activate/")["Location"]
        assert reauthenticate.startswith("/accounts/reauthenticate/") and client.get(reauthenticate).status_code == 200
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})

        set_up_totp(client)
        assert "must have a second factor" not in client.get("/accounts/2fa/").content.decode()
        home = "/review/" if username == "reviewer-ana" else "/claims/"
        assert client.get(home).status_code == 200
        # Once set up it stays: this user may not remove it (staff do, in the admin).
        totp = Authenticator.objects.get(user=users[username], type=Authenticator.Type.TOTP)
        assert client.post("/accounts/2fa/totp/deactivate/").status_code == 200
        assert Authenticator.objects.filter(pk=totp.pk).exists()
        client.post("/accounts/logout/")
        assert signed_in_as(client) is None


def test_a_user_outside_the_required_groups_is_not_sent_to_the_set_up(required, fabrikam_billing, fabrikam_viewer):
    for username, page in [("fabrikam-billing", "/claims/"), ("fabrikam-viewer", "/notifications/")]:
        client = Client()
        assert sign_in(client, username).status_code == 302
        assert client.get(page).status_code == 200
        assert client.get("/accounts/password/change/").status_code == 200
        assert (
            client.get("/api/v1/claims/").status_code in (200, 403)
            and "mfa_required" not in client.get("/api/v1/claims/").content.decode()
        )


def test_with_the_setting_off_nobody_is_sent_to_the_set_up(settings, ana, fabrikam):
    assert settings.CPOR_MFA_REQUIRED_FOR == []  # the test settings, like `make run`
    for username, page in [("reviewer-ana", "/review/"), ("fabrikam-global", "/claims/")]:
        client = Client()
        sign_in(client, username)
        assert client.get(page).status_code == 200


def token(username: str, password: str = PASSWORD):
    return Client().post("/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json")


def test_the_token_endpoint_refuses_a_user_with_a_second_factor(fabrikam_billing):
    with time_machine.travel(T0, tick=False):
        client = Client()
        sign_in(client, "fabrikam-billing")
        set_up_totp(client)
    refused = token("fabrikam-billing")
    assert refused.status_code == 403
    (error,) = refused.json()["errors"]
    assert error["code"] == "mfa_required" and "second factor" in error["message"]
    # A wrong password is still just that: nothing tells whether the account has a second factor.
    assert token("fabrikam-billing", "wrong").json()["errors"][0]["code"] == "invalid_credentials"


def test_the_token_endpoint_refuses_a_user_of_a_required_group_and_serves_the_others(required, users):
    for username in ["reviewer-ana", "fabrikam-global"]:
        refused = token(username)
        assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "mfa_required", username
    for username in ["fabrikam-billing", "fabrikam-incentives", "fabrikam-viewer"]:
        issued = token(username)
        assert issued.status_code == 200 and issued.json()["token"], username


def test_with_the_setting_off_the_token_endpoint_serves_every_user_without_a_second_factor(users):
    for username in ["reviewer-ana", "fabrikam-global", "fabrikam-billing"]:
        assert token(username).status_code == 200


def test_the_admins_password_form_refuses_whoever_must_have_a_second_factor(settings, admin_user):
    settings.CPOR_MFA_REQUIRED_FOR = ["staff"]
    client = Client()
    refused = client.post("/admin/login/", {"username": "admin", "password": "password"})
    assert refused.status_code == 200 and "second factor" in refused.content.decode()
    assert signed_in_as(client) is None
    settings.CPOR_MFA_REQUIRED_FOR = []
    assert client.post("/admin/login/", {"username": "admin", "password": "password"}).status_code == 302


def test_production_requires_it_of_reviewers_and_global_admins_and_refuses_an_unknown_group():
    from tests.test_settings_startup import run

    default = run("from django.conf import settings; print(settings.CPOR_MFA_REQUIRED_FOR)")
    assert default.returncode == 0 and default.stdout.strip() == "['reviewers', 'global_admins']", default.stderr
    off = run("from django.conf import settings; print(settings.CPOR_MFA_REQUIRED_FOR)", CPOR_MFA_REQUIRED_FOR="")
    assert off.stdout.strip() == "[]"
    bad = run("from django.conf import settings; settings.CPOR_MFA_REQUIRED_FOR", CPOR_MFA_REQUIRED_FOR="reviewers,admins")
    assert bad.returncode != 0 and "CPOR_MFA_REQUIRED_FOR: unknown group(s) ['admins']" in bad.stderr


def add_security_key(user, name: str = "Laptop") -> Authenticator:
    """A registered security key as allauth stores it (its credential is only read when the key
    signs in, which the browser test tests/browser/test_passkeys.py does with a real one)."""
    from allauth.mfa.webauthn.internal.auth import WebAuthn

    return WebAuthn.add(user, name, {}).instance


def test_a_security_key_meets_the_requirement_and_a_required_user_keeps_one_second_factor(required, fabrikam):
    client = Client()
    sign_in(client, "fabrikam-global")
    assert client.get("/claims/")["Location"] == "/accounts/2fa/"
    key = add_security_key(fabrikam)
    assert client.get("/claims/").status_code == 200  # a security key alone is a second factor
    with time_machine.travel(T0, tick=False):
        set_up_totp(client)  # (asks for the password again: the removals below need no other)

        # With both, either may go; the last one stays (staff remove it in the admin).
        removed = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")
        assert removed.status_code == 302 and not Authenticator.objects.filter(pk=key.pk).exists()
        client.post("/accounts/2fa/totp/deactivate/")
        assert Authenticator.objects.filter(user=fabrikam, type=Authenticator.Type.TOTP).exists()

        key = add_security_key(fabrikam)
        client.post("/accounts/2fa/totp/deactivate/")
        assert not Authenticator.objects.filter(user=fabrikam, type=Authenticator.Type.TOTP).exists()
        refused = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/", follow=True)
        assert Authenticator.objects.filter(pk=key.pk).exists()
        assert refused.redirect_chain[-1][0] == "/accounts/2fa/webauthn/"
        assert "must keep a second factor" in refused.content.decode()
        assert client.get("/claims/").status_code == 200


def test_a_user_outside_the_required_groups_may_remove_every_second_factor(fabrikam_billing):
    with time_machine.travel(T0, tick=False):
        client = Client()
        sign_in(client, "fabrikam-billing")
        set_up_totp(client)
        key = add_security_key(fabrikam_billing)
        assert client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/").status_code == 302
        client.post("/accounts/2fa/totp/deactivate/")
    assert not Authenticator.objects.filter(user=fabrikam_billing).exists()  # recovery codes go with the last


def test_a_password_reset_neither_signs_in_nor_skips_the_second_factor(fabrikam_billing):
    """Abuse (issue 21, "Done when"): whoever controls the mailbox resets the password, but the
    reset signs nobody in and the new password still asks for the authenticator's code."""
    import re as _re

    from django.core import mail

    with time_machine.travel(T0, tick=False):
        owner = Client()
        sign_in(owner, "fabrikam-billing")
        secret, _codes = set_up_totp(owner)

    with time_machine.travel(LATER, tick=False):
        mailbox = Client()
        mailbox.post("/accounts/password/reset/", {"email": fabrikam_billing.email})
        link = _re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
        form = mailbox.get(link)
        assert form.status_code == 302
        done = mailbox.post(
            form["Location"], {"password1": "a-new-Passw0rd-for-claims", "password2": "a-new-Passw0rd-for-claims"}
        )
        assert done.status_code == 302 and signed_in_as(mailbox) is None
        asked = sign_in(mailbox, "fabrikam-billing", "a-new-Passw0rd-for-claims")
        assert asked.status_code == 302 and asked["Location"] == "/accounts/2fa/authenticate/"
        assert signed_in_as(mailbox) is None and mailbox.get("/claims/").status_code == 302
        assert mailbox.post("/accounts/2fa/authenticate/", {"code": totp(secret)}).status_code == 302
        assert signed_in_as(mailbox) == "fabrikam-billing"
        # The owner's session ended with the reset (claims/sessions.py).
        assert owner.get("/claims/").status_code == 302


def test_signing_in_gives_a_new_session_key_so_a_planted_one_signs_nobody_in(fabrikam_billing):
    """Session fixation: a session key known before sign-in (planted by an attacker) is not the
    one the signed-in user gets, and it stays anonymous."""
    victim = Client()
    victim.get("/accounts/login/")
    victim.session.save()
    planted = victim.session.session_key
    assert planted
    assert sign_in(victim, "fabrikam-billing").status_code == 302
    assert victim.session.session_key != planted and signed_in_as(victim) == "fabrikam-billing"
    from django.conf import settings

    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert attacker.get("/claims/").status_code == 302  # sent to sign in


def test_a_required_users_second_factor_is_looked_up_once_per_session(required, fabrikam):
    """The set-up check costs one query on the first page after the factor is there; the
    session remembers it, so the pages after ask nothing more (and another user's session,
    or a session from before the factor, is still checked)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.mfa import FACTOR_SEEN_SESSION_KEY

    client = Client()
    sign_in(client, "fabrikam-global")
    assert client.get("/claims/")["Location"] == "/accounts/2fa/"  # no factor yet: still checked
    assert FACTOR_SEEN_SESSION_KEY not in client.session
    add_security_key(fabrikam)

    def factor_lookups(page: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        return sum('"mfa_authenticator"' in q["sql"] for q in queries.captured_queries)

    assert factor_lookups("/claims/") == 1
    assert client.session[FACTOR_SEEN_SESSION_KEY] == fabrikam.pk
    assert factor_lookups("/claims/") == 0
    assert factor_lookups("/notifications/") == 0
    # A session that remembers someone else proves nothing for this user.
    session = client.session
    session[FACTOR_SEEN_SESSION_KEY] = fabrikam.pk + 1
    session.save()
    assert factor_lookups("/claims/") == 1
