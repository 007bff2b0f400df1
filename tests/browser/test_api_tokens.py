"""Issue 21, point 5 in the browser: a partner creates a personal API token (confirming
their password), sees it once,
a script calls the API with it, the partner revokes it (after confirming) and the script is
refused. Chromium enforces the CSP: the pages need no inline script."""

import urllib.error
import urllib.request

import pytest

from claims import demo
from tests.browser.test_partner_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call_api(base: str, key: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{base}/api/v1/claims/", headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_create_a_token_see_it_once_use_it_revoke_it(live_server, page, screenshot):
    demo.seed_directory()
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    sign_in(page, live_server.url, "fabrikam-global")
    page.locator("header details.account summary").click()  # the account menu holds the link
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Expires after (days)").fill("30")
    # Creating a token asks for the password again first, then the form is sent.
    page.get_by_role("button", name="Create token").click()
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/account/tokens/")
    assert page.locator("#new-token").count() == 0
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()

    key = page.locator("#new-token").input_value()
    assert key.startswith("cpor_") and len(key) == 45
    screenshot(page, "api-token-created")
    page.reload()
    assert page.locator("#new-token").count() == 0  # shown once
    assert key not in page.content() and "CRM sync" in page.content()

    status, body = call_api(live_server.url, key)
    assert status == 200 and '"results"' in body
    page.reload()
    assert page.locator("tr", has_text="CRM sync").locator("td").nth(4).inner_text() != "Never"

    page.get_by_role("link", name="Revoke…").click()
    page.get_by_role("heading", name="Revoke the token CRM sync?").wait_for()
    page.get_by_role("button", name="Revoke token").click()
    page.get_by_text("was revoked").wait_for()
    status, body = call_api(live_server.url, key)
    assert status == 401 and '"code":"token_revoked"' in body.replace(" ", "")
    assert blocked == []
