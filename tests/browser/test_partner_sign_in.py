import pytest

from claims import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS_LABELS = ["Editing", "Submitted", "Under Review", "Partner Action Required", "Approved", "Rejected"]


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_demo_partner_signs_in_and_sees_their_claims_in_every_status(live_server, page, screenshot):
    demo.seed()
    sign_in(page, live_server.url, "fabrikam-global")
    page.get_by_role("heading", name="Customer associations").wait_for()
    table = page.locator("table.claims")
    for label in STATUS_LABELS:
        assert table.locator(".status", has_text=label).count() >= 1, label
    assert table.get_by_role("link", name="Litware Dynamics 365 Sales").is_visible()
    assert page.get_by_text("Contoso Sales rollout").count() == 0  # Northwind's claim
    screenshot(page, "partner-claims")

    page.get_by_role("link", name="Contoso Exchange Online").click()
    page.get_by_role("heading", name="History").wait_for()
    assert page.get_by_text("The PoE has no customer signature").count() >= 1
    screenshot(page, "claim-detail")

    page.get_by_role("link", name="Active associations").click()
    assert page.get_by_role("link", name="Litware Dynamics 365 Sales").is_visible()
    assert page.get_by_text("88888888-8888-4888-8888-888888888888").is_visible()
    assert page.get_by_text("Contoso Sales rollout").count() == 0  # Northwind's association
    screenshot(page, "associations")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the main links fold behind "Menu"
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Claims", exact=True).click()
    first_row = page.locator("table.claims tbody tr").first
    assert first_row.bounding_box()["width"] <= 390  # rows become cards: no sideways scrolling
    screenshot(page, "partner-claims-phone")


def test_a_company_user_without_a_claims_role_sees_what_to_ask_for(live_server, page):
    demo.seed()
    sign_in(page, live_server.url, "fabrikam-viewer")
    page.get_by_role("heading", name="You need a claims role").wait_for()
    assert page.get_by_text("Global admin, Billing admin or Incentives admin").is_visible()
