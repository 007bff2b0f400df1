"""Issue 21, point 3 in the browser: Chromium walks the whole redirect flow between the app and a
real OpenID Provider (tests/sso/op.mjs, the npm package oidc-provider): a new Fabrikam user is
provisioned with the role their app roles map to; a role removed in the directory is removed at
the next sign-in; a user from an unlinked tenant gets a page, not an account; the session key
changes at the sign-in (session fixation)."""

import pytest

from claims.choices import Role
from claims.models import User
from tests.sso.support import ACCOUNTS

pytestmark = [pytest.mark.browser, pytest.mark.oidc, pytest.mark.django_db(transaction=True)]


def session_cookie(context, base: str) -> str | None:
    return next((c["value"] for c in context.cookies(base) if c["name"] == "sessionid"), None)


def sso_sign_in(page, base: str, account: str, *, screenshot=None) -> str | None:
    """Signs in through the test provider; returns the session key that carried the sign-in's
    state (before our callback)."""
    page.goto(f"{base}/accounts/login/")
    button = page.get_by_role("button", name="Sign in with Microsoft Entra ID")
    if screenshot:
        screenshot(page, "sso-sign-in")
    button.click()
    page.get_by_role("heading", name="Test identity provider").wait_for()
    before = session_cookie(page.context, base)
    page.get_by_label("Account").select_option(account)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/**")
    page.wait_for_load_state()
    return before


def test_a_new_user_is_provisioned_then_loses_a_removed_role_at_the_next_sign_in(
    live_server, page, chromium, sso, fabrikam_link, screenshot
):
    base = live_server.url
    before = sso_sign_in(page, base, "bill", screenshot=screenshot)
    page.locator("header details.account summary").wait_for()  # signed in: the account menu
    bill = User.objects.get(email="bill@fabrikam.example")
    assert (bill.company, bill.role) == (fabrikam_link.company, Role.BILLING_ADMIN)
    # Session fixation: the session that carried the state is not the signed-in one.
    after = session_cookie(page.context, base)
    assert before and after and before != after
    page.goto(f"{base}/claims/")
    assert page.url == f"{base}/claims/"

    # An administrator removes bill's app role in the directory.
    sso.set_accounts({**ACCOUNTS, "bill": {**ACCOUNTS["bill"], "roles": []}})
    context = chromium.new_context(locale="en-US")
    try:
        again = context.new_page()
        sso_sign_in(again, base, "bill")
        again.locator("header details.account summary").wait_for()
    finally:
        context.close()
    bill.refresh_from_db()
    assert bill.role == Role.MEMBER and bill.company == fabrikam_link.company
    assert User.objects.filter(email="bill@fabrikam.example").count() == 1


def test_a_user_from_an_unlinked_tenant_sees_a_clear_page_and_gets_no_account(live_server, page, sso, fabrikam_link):
    sso_sign_in(page, live_server.url, "eve")
    page.get_by_role("heading", name="Sign-in refused").wait_for()
    assert "not linked to CPOR Claims" in page.get_by_role("alert").inner_text()
    assert not User.objects.filter(email="eve@elsewhere.example").exists()
    assert page.locator("header details.account").count() == 0
