"""Issue 21, point 2 in the browser: a security key (WebAuthn) as the second factor. Chromium's
virtual authenticator (DevTools protocol, WebAuthn domain) stands in for the key: a reviewer who
must have a second factor chooses a security key at sign-in, registers it, reaches the queue,
and the next sign-in asks for the key after the password. allauth's WebAuthn pages run on their
static scripts: Chromium enforces the CSP and refuses nothing."""

import pytest

from claims import demo
from tests.browser.test_mfa_setup import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page) -> tuple[object, str]:
    """A platform authenticator (a passkey store: resident keys, user verification passes)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_a_reviewer_registers_a_security_key_at_sign_in_then_signs_in_with_it(live_server, page, settings, screenshot):
    from allauth.mfa.models import Authenticator

    settings.CPOR_MFA_REQUIRED_FOR = ["reviewers", "global_admins"]
    demo.seed_directory()
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    cdp, authenticator_id = virtual_authenticator(page)

    sign_in(page, live_server.url, "reviewer-ana")
    # Sent to the choice of a second factor, told why.
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    assert page.url == f"{live_server.url}/accounts/2fa/"
    assert page.get_by_text("must have a second factor").is_visible()
    page.get_by_role("link", name="Add").click()
    # allauth asks for the password again before a second factor is added.
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Add Security Key").wait_for()
    page.get_by_label("Name").fill("Laptop")
    screenshot(page, "mfa-security-key")
    page.get_by_role("button", name="Add").click()  # the browser asks the (virtual) key
    page.get_by_role("heading", name="Recovery Codes").wait_for()
    assert len(page.locator("#recovery_codes").input_value().split()) == 10
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1
    (key,) = Authenticator.objects.filter(user__username="reviewer-ana", type=Authenticator.Type.WEBAUTHN)
    assert key.data["name"] == "Laptop"

    page.goto(f"{live_server.url}/accounts/2fa/webauthn/")
    assert page.get_by_text("Laptop").is_visible()
    page.goto(f"{live_server.url}/review/")
    assert page.url == f"{live_server.url}/review/"
    page.locator("header details.account summary").click()
    page.get_by_role("button", name="Sign out").click()

    # The password alone is not enough: the key is asked for, and signs in.
    sign_in(page, live_server.url, "reviewer-ana")
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    assert page.url == f"{live_server.url}/accounts/2fa/authenticate/"
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{live_server.url}/review/**")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert blocked == []


def test_a_passkey_signs_in_without_a_password_except_into_an_sso_only_company(live_server, page, screenshot):
    from claims.models import User

    demo.seed_directory()
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    virtual_authenticator(page)

    sign_in(page, live_server.url, "fabrikam-billing")
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Add Security Key").wait_for()
    page.get_by_label("Passwordless").check()  # a passkey: kept on the device, verified by it
    page.get_by_role("button", name="Add").click()
    page.get_by_role("heading", name="Recovery Codes").wait_for()
    page.locator("header details.account summary").click()
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "sign-in-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{live_server.url}/claims/**")  # no password, no code: the passkey is both
    page.locator("header details.account summary").click()
    page.get_by_role("button", name="Sign out").click()

    # Once the company signs in through its identity provider only, the passkey no longer does.
    company = User.objects.get(username="fabrikam-billing").company
    company.sso_only = True
    company.save(update_fields=["sso_only"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_text("signs in through its identity provider only").wait_for()
    assert page.url == f"{live_server.url}/accounts/login/"
    page.goto(f"{live_server.url}/claims/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert blocked == []
