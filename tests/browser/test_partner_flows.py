"""A partner's work in the browser, end to end, on Debian's Chromium."""

from datetime import UTC, datetime

import pytest
import time_machine

from claims import demo, services
from claims.models import Claim
from reviews import services as review
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import SUB_HELD, Builder, claim_data, m365_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = {"name": "signed-poe.pdf", "mimeType": "application/pdf", "buffer": demo.demo_pdf("browser")}


@pytest.fixture
def people(db):
    users = demo.seed_directory()["users"]
    return users


def save(page):
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()


def field_error(page, field_id: str) -> str:
    return page.locator(f"#{field_id}").locator("xpath=..").locator(".error").first.inner_text()


def test_create_with_every_error_shown_and_fixed_then_upload_and_submit(live_server, page, screenshot, people):
    Builder(people["northwind-global"], people["reviewer-ana"]).approved(
        claim_data(mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    sign_in(page, live_server.url, "fabrikam-global")
    page.get_by_role("link", name="New claim").first.click()
    page.get_by_label("Claim name").fill("Contoso Sales rollout")
    page.get_by_label("Customer tenant ID").fill("0b0b0b0b-0000-4000-8000-000000000000")
    page.get_by_label("Customer subdomain or domain").fill("litware")
    page.get_by_label("Solution area").select_option("business_applications")
    page.locator("label.choice[data-area=business_applications]", has_text="Usage").click()
    page.locator("input[name=products][value=d365_sales]").check()
    page.get_by_label("Subscription ID for Dynamics 365 Sales").fill("33333333-3333-4333-8333-333333333333")
    page.get_by_label("MPN ID").select_option("4567890")
    page.get_by_label("Customer contact name").fill("Megan Bowen")
    page.get_by_label("Customer contact email").fill("megan-at-contoso")
    page.get_by_label("Partner contact name").fill("Alex Wilber")
    page.get_by_label("Partner contact email").fill("alex.wilber@fabrikam.example")
    save(page)
    assert "No customer tenant has this tenant ID" in field_error(page, "id_customer_tenant_id")
    assert "valid email address" in field_error(page, "id_customer_contact_email")
    assert "CSP" in field_error(page, "id_sub_d365_sales")
    # The error summary on top has the focus and links to each field.
    assert page.evaluate("document.activeElement.className") == "error-summary"
    page.locator(".error-summary").get_by_role("link", name="Customer tenant ID: No customer tenant").click()
    assert page.evaluate("location.hash") == "#id_customer_tenant_id"
    screenshot(page, "new-claim-errors")
    # What the partner typed is all still there.
    assert page.get_by_label("Claim name").input_value() == "Contoso Sales rollout"
    assert page.locator("input[name=products][value=d365_sales]").is_checked()

    page.get_by_label("Customer tenant ID").fill(demo.CONTOSO)
    page.get_by_label("Customer contact email").fill("megan.bowen@contoso.com")
    save(page)
    assert "Contact your customer" in field_error(page, "id_customer_domain")
    page.get_by_label("Customer subdomain or domain").fill("contoso.com")

    for product, subscription, words in [
        ("d365_sales", "not-a-guid", "This is not a subscription ID"),
        ("d365_sales", "55555555-5555-4555-8555-555555555555", "not for a Dynamics 365 product"),
        ("d365_sales", "88888888-8888-4888-8888-888888888888", "has no such subscription for this product"),
        ("d365_sales", SUB_HELD, "already been claimed"),
        ("d365_field_service", "44444444-4444-4444-8444-444444444444", "not yet activated"),
        ("d365_finance", "66666666-6666-4666-8666-666666666666", "neither active nor in its grace period"),
    ]:
        for box in page.locator("input[name=products]:checked").all():
            box.uncheck()
        page.locator(f"input[name=products][value={product}]").check()
        page.locator(f"#id_sub_{product}").fill(subscription)
        save(page)
        assert words in field_error(page, f"id_sub_{product}"), (subscription, words)

    for box in page.locator("input[name=products]:checked").all():
        box.uncheck()
    page.locator("input[name=products][value=d365_sales]").check()
    page.locator("#id_sub_d365_sales").fill("11111111-1111-4111-8111-111111111111")
    save(page)
    page.get_by_text("Claim saved as Editing").wait_for()
    screenshot(page, "claim-editing")

    page.get_by_role("link", name="Submit for review…").click()
    page.get_by_role("button", name="Submit for review").click()
    page.locator(".messages").get_by_text("Upload at least one proof of execution").wait_for()

    page.locator("#id_files").set_input_files([PDF, {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just text"}])
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("signed-poe.pdf uploaded.").wait_for()
    assert page.get_by_text("notes.txt was not uploaded").is_visible()
    assert page.locator("#evidence table").get_by_role("link", name="signed-poe.pdf").is_visible()

    page.get_by_role("link", name="Submit for review…").click()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted. A reviewer will start the review by").wait_for()
    assert page.locator("h1 .status").inner_text() == "Submitted"
    assert Claim.objects.get(name="Contoso Sales rollout").state == "submitted"


def test_answer_a_request_for_information_and_resubmit(live_server, page, screenshot, people):
    claim = Builder(people["fabrikam-global"], people["reviewer-ana"]).par(m365_data())
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    box = page.locator("#answer")
    assert box.get_by_text("Missing proof of execution").is_visible()
    assert box.get_by_text("Upload the signed PoE.").is_visible()
    assert "Answer by" in box.inner_text()
    screenshot(page, "partner-action-required")

    page.get_by_role("link", name="Edit").click()
    assert page.get_by_label("Claim name").count() == 0  # not offered after submission
    page.get_by_label("MPN ID").select_option("4567891")
    save(page)
    page.get_by_text("Changes saved.").wait_for()
    page.locator("#id_files").set_input_files(PDF)
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("signed-poe.pdf uploaded.").wait_for()
    page.get_by_label("Your answer to the reviewer").fill("Uploaded the PoE signed by Megan Bowen.")
    page.get_by_role("button", name="Send answer and resubmit").click()
    page.get_by_text("Answer sent.").wait_for()
    assert page.locator("h1 .status").inner_text() == "Under Review"
    assert page.locator("#comments").get_by_text("Uploaded the PoE signed by Megan Bowen.").is_visible()
    claim.refresh_from_db()
    assert claim.state == "under_review" and claim.mpn.mpn_id == "4567891"


def test_withdraw_an_approved_claim(live_server, page, screenshot, people):
    claim = Builder(people["fabrikam-global"], people["reviewer-ana"]).approved(m365_data())
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    page.get_by_role("link", name="Withdraw").click()
    page.get_by_label("No longer working with the customer").check()
    page.get_by_role("button", name="Withdraw claim").click()
    assert "This field is required" in page.locator(".has-error .error").first.inner_text()  # confirmation needed
    page.get_by_label("No longer working with the customer").check()
    page.get_by_label("I understand").check()
    screenshot(page, "withdraw")
    page.get_by_role("button", name="Withdraw claim").click()
    page.get_by_text("The claim was withdrawn").wait_for()
    assert page.locator("h1 .status").inner_text() == "Rejected"
    assert page.get_by_text("Partner request").first.is_visible()
    assert page.get_by_role("link", name="Dispute").count() == 0


def test_dispute_a_rejection(live_server, page, screenshot, people):
    claim = Builder(people["fabrikam-global"], people["reviewer-ana"]).rejected(m365_data())
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    assert page.get_by_text("You can dispute this decision until").is_visible()
    page.get_by_role("link", name="Dispute").first.click()
    assert page.get_by_text("29 days").is_visible()
    page.get_by_role("button", name="Send dispute").click()
    page.locator(".error-summary").get_by_text("Give a business justification or upload updated proof").wait_for()
    page.get_by_label("Business justification").fill("The customer signed the PoE; see the new file.")
    page.locator("#id_files").set_input_files(PDF)
    screenshot(page, "dispute")
    page.get_by_role("button", name="Send dispute").click()
    page.get_by_text("Dispute sent.").wait_for()
    assert page.locator("h1 .status").inner_text() == "Under Review"
    assert page.locator("h1 .flag").inner_text().lower() == "dispute"
    claim.refresh_from_db()
    assert claim.is_dispute and claim.evidence.filter(for_dispute=True).count() == 1


def test_after_thirty_days_or_a_first_dispute_it_says_why_and_offers_a_new_claim(live_server, page, screenshot, people):
    build = Builder(people["fabrikam-global"], people["reviewer-ana"])
    with time_machine.travel(datetime(2026, 9, 1, 10, 0, tzinfo=UTC), tick=False):
        old = build.rejected(m365_data(name="Old rejection"))
    twice = build.rejected(m365_data(name="Disputed once", products=[{"product": "intune"}]))
    services.claim_dispute(claim=twice, actor=people["fabrikam-global"], justification="Look again.")
    review.review_reject(claim=twice, reviewer=people["reviewer-ana"], reason="insufficient_poe", message="Still no signature.")

    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{old.pk}/dispute/")
    assert page.get_by_text("The time to dispute this rejection (30 days) has passed").is_visible()
    screenshot(page, "dispute-closed")
    page.goto(f"{live_server.url}/claims/{twice.pk}/")
    assert page.get_by_text("This rejection cannot be disputed").is_visible()
    assert page.get_by_role("link", name="Dispute", exact=True).count() == 0

    page.goto(f"{live_server.url}/claims/{old.pk}/dispute/")
    page.get_by_role("link", name="Start a new claim pre-filled from this one").click()
    assert page.get_by_label("Claim name").input_value() == "Old rejection (new claim)"
    assert page.get_by_label("Customer tenant ID").input_value() == demo.CONTOSO
    assert page.locator("input[name=products][value=teams]").is_checked()
    save(page)
    page.get_by_text("Claim saved as Editing").wait_for()


def test_northwind_gets_404_for_every_fabrikam_claim_page_file_and_action(live_server, page, people):
    build = Builder(people["fabrikam-global"], people["reviewer-ana"])
    claims = [
        build.editing(m365_data(name="e")),
        build.submitted(m365_data(name="s", products=[{"product": "intune"}])),
        build.par(m365_data(name="p", products=[{"product": "onedrive"}])),
        build.approved(m365_data(name="a", products=[{"product": "exchange_online"}])),
        build.rejected(m365_data(name="r", products=[{"product": "sharepoint_online"}])),
    ]
    sign_in(page, live_server.url, "northwind-global")
    page.goto(f"{live_server.url}/claims/new/")  # gives Northwind a CSRF cookie, as a real attacker would have
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token, "Referer": f"{live_server.url}/claims/new/"}
    for claim in claims:
        base = f"{live_server.url}/claims/{claim.pk}"
        evidence = claim.evidence.first()
        for url in [f"{base}/", f"{base}/edit/", f"{base}/withdraw/", f"{base}/dispute/", f"{base}/evidence/{evidence.pk}/",
                    f"{live_server.url}/claims/new/?from={claim.pk}"]:  # fmt: skip
            assert page.goto(url).status == 404, url
        for action in [
            "submit",
            "respond",
            "comments",
            "withdraw",
            "dispute",
            "delete",
            "evidence",
            f"evidence/{evidence.pk}/delete",
        ]:
            response = page.request.post(f"{base}/{action}/", headers=headers, form={"body": "x", "message": "x"})
            assert response.status == 404, (action, response.status)
    for claim in claims:
        fresh = Claim.objects.get(pk=claim.pk)
        assert fresh.state == claim.state and fresh.comments.filter(body="x").count() == 0
