"""Issue 21, point 2: the authenticator app's secret and the recovery codes' seed are stored
encrypted (Fernet keys from CPOR_MFA_ENCRYPTION_KEYS, else derived from SECRET_KEY); secrets
stored before encryption came in keep working and `manage.py mfa_encrypt_secrets` encrypts them
(and re-encrypts under a new first key). Codes are computed per RFC 6238 from the secret the
set-up page showed, as the user's app would (tests/accounts/test_mfa.py)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client

from claims.mfa import ENCRYPTED_PREFIX, decrypt_secret
from tests.accounts.test_mfa import LATER, T0, set_up_totp, sign_in, signed_in_as, totp

STEPS = ["2026-11-23 10:10:00Z", "2026-11-23 10:15:00Z", "2026-11-23 10:20:00Z", "2026-11-23 10:25:00Z"]


def signs_in_with(secret: str, at: str, username: str = "fabrikam-billing") -> bool:
    with time_machine.travel(at, tick=False):
        client = Client()
        asked = sign_in(client, username)
        assert asked["Location"] == "/accounts/2fa/authenticate/"
        client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
        return signed_in_as(client) == username


def stored(user, kind) -> dict:
    return Authenticator.objects.get(user=user, type=kind).data


def test_the_stored_secret_is_encrypted_and_its_codes_still_verify(fabrikam_billing):
    with time_machine.travel(T0, tick=False):
        client = Client()
        sign_in(client, "fabrikam-billing")
        secret, codes = set_up_totp(client)

    data = stored(fabrikam_billing, Authenticator.Type.TOTP)
    assert data["secret"] != secret and data["secret"].startswith(ENCRYPTED_PREFIX)
    assert secret not in json.dumps(data) and secret.lower() not in json.dumps(data).lower()
    assert decrypt_secret(data["secret"]) == secret
    # The recovery codes' seed too: the codes are derived from it.
    seed = stored(fabrikam_billing, Authenticator.Type.RECOVERY_CODES)["seed"]
    assert seed.startswith(ENCRYPTED_PREFIX) and not any(code in seed for code in codes)

    assert signs_in_with(secret, LATER)
    with time_machine.travel(STEPS[0], tick=False):
        client = Client()
        sign_in(client, "fabrikam-billing")
        assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
        assert signed_in_as(client) == "fabrikam-billing"


def test_a_secret_stored_before_encryption_keeps_working_and_the_command_encrypts_it(fabrikam_billing):
    # As allauth stored it before this product encrypted anything: the base32 secret itself.
    secret = generate_totp_secret()
    Authenticator.objects.create(user=fabrikam_billing, type=Authenticator.Type.TOTP, data={"secret": secret})
    assert signs_in_with(secret, LATER)

    out = StringIO()
    call_command("mfa_encrypt_secrets", stdout=out)
    assert out.getvalue().startswith("1 authenticator(s)")
    data = stored(fabrikam_billing, Authenticator.Type.TOTP)
    assert data["secret"].startswith(ENCRYPTED_PREFIX) and secret not in data["secret"]
    assert signs_in_with(secret, STEPS[0])
    # Once done, running it again changes nothing.
    call_command("mfa_encrypt_secrets", stdout=(again := StringIO()))
    assert again.getvalue().startswith("0 authenticator(s)")
    assert stored(fabrikam_billing, Authenticator.Type.TOTP) == data


def test_keys_rotate_the_first_encrypts_every_one_decrypts(settings, fabrikam_billing):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CPOR_MFA_ENCRYPTION_KEYS = [old]
    with time_machine.travel(T0, tick=False):
        client = Client()
        sign_in(client, "fabrikam-billing")
        secret, _codes = set_up_totp(client)
    under_old = stored(fabrikam_billing, Authenticator.Type.TOTP)["secret"]

    settings.CPOR_MFA_ENCRYPTION_KEYS = [new, old]
    assert signs_in_with(secret, LATER)  # still readable with the old key second
    call_command("mfa_encrypt_secrets", stdout=StringIO())
    under_new = stored(fabrikam_billing, Authenticator.Type.TOTP)["secret"]
    assert under_new != under_old
    token = under_new.removeprefix(ENCRYPTED_PREFIX).encode()
    assert Fernet(new).decrypt(token).decode() == secret

    settings.CPOR_MFA_ENCRYPTION_KEYS = [new]  # the old key dropped
    assert signs_in_with(secret, STEPS[0])
    # Without the key that encrypted it, the error says what to do (not a wrong-code page).
    settings.CPOR_MFA_ENCRYPTION_KEYS = [old]
    with pytest.raises(ImproperlyConfigured, match="no longer lists"):
        decrypt_secret(under_new)


def test_without_keys_set_the_key_comes_from_the_secret_key_and_survives_its_rotation(settings, fabrikam_billing):
    assert settings.CPOR_MFA_ENCRYPTION_KEYS == []
    with time_machine.travel(T0, tick=False):
        client = Client()
        sign_in(client, "fabrikam-billing")
        secret, _codes = set_up_totp(client)
    # Django's way of rotating the secret key: the old one moves to SECRET_KEY_FALLBACKS.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test"
    assert signs_in_with(secret, LATER)
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ImproperlyConfigured):
        decrypt_secret(stored(fabrikam_billing, Authenticator.Type.TOTP)["secret"])


def test_a_key_that_is_not_a_fernet_key_is_refused_at_start_up():
    from tests.test_settings_startup import run

    bad = run("from django.conf import settings; settings.CPOR_MFA_ENCRYPTION_KEYS", CPOR_MFA_ENCRYPTION_KEYS="not-a-key")
    assert bad.returncode != 0 and "CPOR_MFA_ENCRYPTION_KEYS: each key must be a Fernet key" in bad.stderr
    key = Fernet.generate_key().decode()
    good = run(
        "from django.conf import settings; print(settings.CPOR_MFA_ENCRYPTION_KEYS)", CPOR_MFA_ENCRYPTION_KEYS=f"{key}, {key}"
    )
    assert good.returncode == 0 and good.stdout.strip() == str([key, key]), good.stderr


def test_passkey_sign_in_is_on_unless_turned_off():
    from tests.test_settings_startup import run

    code = "import django; django.setup(); from django.urls import reverse; print(reverse('mfa_login_webauthn'))"
    on = run(code, DJANGO_SECRET_KEY="a-real-secret-from-the-environment")
    assert on.returncode == 0 and on.stdout.strip() == "/accounts/2fa/webauthn/login/", on.stderr
    off = run(code, DJANGO_SECRET_KEY="a-real-secret-from-the-environment", CPOR_PASSKEY_LOGIN="off")
    assert off.returncode != 0 and "NoReverseMatch" in off.stderr


def test_only_the_sign_in_under_way_counts_as_a_passkeys(rf, fabrikam_billing):
    """The SSO-only refusal of a passkey (claims/accounts.py) looks at the session's last
    authentication record: a refused passkey earlier in the session does not refuse the
    identity provider's sign-in that follows."""
    from allauth.account.internal.flows.login import record_authentication
    from django.contrib.sessions.backends.cache import SessionStore

    from claims.accounts import signing_in_by_passkey

    request = rf.get("/")
    request.session = SessionStore()
    record_authentication(request, fabrikam_billing, "mfa", id=1, type="webauthn", passwordless=True)
    assert signing_in_by_passkey(request, fabrikam_billing)
    record_authentication(request, fabrikam_billing, "socialaccount", provider="partner", uid="ada")
    assert not signing_in_by_passkey(request, fabrikam_billing)
    record_authentication(request, fabrikam_billing, "mfa", id=1, type="webauthn", reauthenticated=True)
    assert not signing_in_by_passkey(request, fabrikam_billing)  # a key as second factor is no passkey sign-in
