"""Competing claims with two companies in the browser, end to end:
warn -> submit -> arbitrate -> loser told -> customer denies the winner -> loser restored."""

import pytest
from django.core import mail

from claims import demo
from claims.models import Association, Claim
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import SUB_HELD, SUB_SALES, Builder, claim_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = {"name": "signed-poe.pdf", "mimeType": "application/pdf", "buffer": demo.demo_pdf("browser")}


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def test_warn_submit_arbitrate_loser_told_customer_denies_winner_loser_restored(live_server, page, screenshot, people):
    base = live_server.url
    held = Builder(people["northwind-global"], people["reviewer-ben"]).approved(
        claim_data(
            name="Northwind Contoso Sales",
            mpn_id="5678901",
            products=[{"product": "d365_sales", "subscription_id": SUB_HELD}],
            partner_contact={"name": "Diego Siciliani", "email": "diego@northwind.example", "phone": ""},
        )
    )

    # 1. Fabrikam types the tenant and the product: the form warns at once, naming nobody.
    sign_in(page, base, "fabrikam-global")
    page.get_by_role("link", name="New claim").first.click()
    page.get_by_label("Claim name").fill("Fabrikam Contoso Sales")
    page.get_by_label("Customer tenant ID").fill(demo.CONTOSO)
    page.get_by_label("Customer subdomain or domain").fill("contoso.com")
    page.get_by_label("Solution area").select_option("business_applications")
    page.locator("label.choice[data-area=business_applications]", has_text="Usage").click()
    page.locator("input[name=products][value=d365_sales]").check()
    live = page.locator("#conflicts-live")
    live.get_by_text("another partner holds the association").wait_for()
    assert "Northwind" not in live.inner_text()
    page.get_by_label("Subscription ID for Dynamics 365 Sales").fill(SUB_SALES)
    page.get_by_label("MPN ID").select_option("4567890")
    for label, value in [
        ("Customer contact name", "Megan Bowen"),
        ("Customer contact email", "megan.bowen@contoso.com"),
        ("Partner contact name", "Alex Wilber"),
        ("Partner contact email", "alex.wilber@fabrikam.example"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Claim saved as Editing").wait_for()
    assert page.locator("#conflicts").get_by_text("compares the proof of execution of each side").is_visible()
    page.locator("#id_files").set_input_files([PDF])
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("signed-poe.pdf uploaded.").wait_for()
    screenshot(page, "arbitration-warning")

    # The submit confirmation repeats the warning.
    page.get_by_role("link", name="Submit for review…").click()
    assert page.locator("#conflicts").get_by_text("Dynamics 365 Sales").is_visible()
    screenshot(page, "submit-confirmation")
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted. A reviewer will start the review by").wait_for()
    winner = Claim.objects.get(name="Fabrikam Contoso Sales")

    # 2. A reviewer arbitrates for Fabrikam.
    page.context.clear_cookies()
    sign_in(page, base, "reviewer-ana")
    page.goto(f"{base}/review/claims/{winner.pk}/")
    page.get_by_role("button", name="Start review").click()
    page.get_by_label("Arbitration rationale").fill("Signed 2026 PoE against an unsigned 2024 one.")
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Confirm approval").click()
    page.get_by_text("Approved.").first.wait_for()

    # 3. Northwind is told, by email and on its claim, which no longer offers Withdraw.
    assert any(m.to == ["diego@northwind.example"] and "association ended" in m.subject for m in mail.outbox)
    page.context.clear_cookies()
    sign_in(page, base, "northwind-global")
    page.goto(f"{base}/claims/{held.pk}/")
    page.get_by_text("Association ended: decided for another partner on").wait_for()
    assert page.get_by_role("link", name="Withdraw").count() == 0
    assert "Fabrikam" not in page.content()
    screenshot(page, "association-ended")

    # 4. The customer denies Fabrikam from the emailed link.
    winner.refresh_from_db()
    consent_mail = [m for m in mail.outbox if m.to == ["megan.bowen@contoso.com"]][-1]
    link = next(w for w in consent_mail.body.split() if "/consent/" in w).replace("http://testserver", base)
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_role("button", name="Deny this association").click()
    page.get_by_role("button", name="Yes, deny the association").click()
    page.get_by_role("heading", name="Association denied").wait_for()

    # 5. Northwind's association is back, and its claim says so.
    assert (
        Association.objects.get(tenant__subdomain="contoso", product__code="d365_sales", ended_at__isnull=True).claim_id
        == held.pk
    )
    sign_in(page, base, "northwind-global")
    page.goto(f"{base}/claims/{held.pk}/")
    assert "Association restored for Dynamics 365 Sales" in page.locator("#comments").inner_text()
    assert page.get_by_text("Association ended: decided for another partner on").count() == 0
    assert any(m.to == ["diego@northwind.example"] and "association restored" in m.subject for m in mail.outbox)


def test_a_second_live_claim_of_the_company_is_refused_naming_the_first(live_server, page, people):
    first = Builder(people["fabrikam-global"], None).submitted(claim_data(name="First Contoso Sales"))
    second = Builder(people["fabrikam-incentives"], None).editing(
        claim_data(name="Second Contoso Sales", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{second.pk}/submit/")
    page.get_by_role("button", name="Submit for review").click()
    message = page.locator(".messages .message-error")
    message.wait_for()
    assert "already has a live claim for this customer and product" in message.inner_text()
    assert f"#{first.pk}" in message.inner_text() and "First Contoso Sales" in message.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('message-error')")
