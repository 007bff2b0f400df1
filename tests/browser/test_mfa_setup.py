"""Issue 21, point 2 in the browser: a reviewer who must have a second factor is taken to its
choice at sign-in, activates an authenticator app (the code computed from the secret the page
shows, as the app would), is shown recovery codes, then reaches the queue; the next sign-in
asks for the app's code. Chromium enforces the CSP: the pages need no inline script."""

import pytest

from claims import demo
from tests.accounts.test_mfa import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_reviewer_sets_up_an_authenticator_app_at_sign_in_then_signs_in_with_its_code(live_server, page, settings, screenshot):
    settings.CPOR_MFA_REQUIRED_FOR = ["reviewers", "global_admins"]
    demo.seed_directory()
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)

    sign_in(page, live_server.url, "reviewer-ana")
    # The choice of a second factor (an authenticator app here; a security key in test_passkeys.py).
    page.get_by_role("link", name="Activate").click()
    # allauth asks for the password again before a second factor is added.
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Activate Authenticator App").wait_for()
    assert page.url == f"{live_server.url}/accounts/2fa/totp/activate/"
    assert page.get_by_role("img").first.is_visible()  # the QR code
    secret = page.locator("#authenticator_secret").input_value()
    screenshot(page, "mfa-setup")
    page.get_by_label("Authenticator code").fill(totp(secret))
    page.get_by_role("button", name="Activate").click()
    page.get_by_role("heading", name="Recovery Codes").wait_for()
    assert len(page.locator("#recovery_codes").input_value().split()) == 10

    page.goto(f"{live_server.url}/review/")
    assert page.url == f"{live_server.url}/review/"
    page.locator("header details.account summary").click()  # the account menu holds "Sign out"
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server.url, "reviewer-ana")
    page.get_by_label("Code").fill(totp(secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/review/**")
    assert blocked == []
