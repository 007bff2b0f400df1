"""Reviewers and the customer in the browser, on Debian's Chromium."""

import pytest
from django.core import mail

from claims import demo, services
from claims.models import Association, Claim
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import SUB_HELD, Builder, claim_data, m365_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def open_review(page, base, claim):
    page.goto(f"{base}/review/claims/{claim.pk}/")


def test_start_request_information_then_approve_after_the_answer(live_server, page, screenshot, people):
    claim = Builder(people["fabrikam-global"], None).submitted(m365_data())
    sign_in(page, live_server.url, "reviewer-ana")
    page.get_by_role("heading", name="Review queue").wait_for()
    screenshot(page, "review-queue")
    page.get_by_role("link", name=f"#{claim.pk} Contoso Teams adoption").click()
    page.get_by_role("button", name="Start review").click()
    page.get_by_text("Review started and assigned to you.").wait_for()
    page.get_by_label("Missing customer confirmation signature in the proof of execution").check()
    page.locator("#info_message").fill("Please upload the PoE signed by Contoso.")
    screenshot(page, "review-page")
    page.get_by_role("button", name="Send request").click()
    page.get_by_text("Request sent to the partner").wait_for()
    assert page.locator("h1 .status").inner_text() == "Partner Action Required"

    claim.refresh_from_db()
    services.claim_respond(claim=claim, actor=people["fabrikam-global"], message="Signed PoE uploaded.")
    page.reload()
    assert page.locator("#comments").get_by_text("Signed PoE uploaded.").is_visible()
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Confirm approval").click()
    page.get_by_text("Approved. The customer contact has been emailed").wait_for()
    claim.refresh_from_db()
    assert claim.state == "approved" and claim.assigned_reviewer.username == "reviewer-ana"


def test_reject_then_dispute_then_a_final_decision(live_server, page, people):
    claim = Builder(people["fabrikam-global"], people["reviewer-ben"]).under_review(m365_data())
    sign_in(page, live_server.url, "reviewer-ana")
    open_review(page, live_server.url, claim)
    page.locator("#reject_reason").select_option("insufficient_poe")
    page.locator("#reject_message").fill("No customer signature.")
    page.get_by_role("button", name="Reject").click()
    page.get_by_role("button", name="Confirm rejection").click()
    page.get_by_text("Rejected. The partner has been emailed").wait_for()

    services.claim_dispute(
        claim=Claim.objects.get(pk=claim.pk), actor=people["fabrikam-global"], justification="Megan Bowen signed on page 2."
    )
    page.goto(f"{live_server.url}/review/?show=dispute")
    page.get_by_role("link", name=f"#{claim.pk} Contoso Teams adoption").click()
    assert page.get_by_text("Megan Bowen signed on page 2.").first.is_visible()
    assert page.get_by_text("a rejection now is final").is_visible()
    page.locator("#reject_reason").select_option("insufficient_poe")
    page.locator("#reject_message").fill("Page 2 is unsigned.")
    page.get_by_role("button", name="Reject").click()
    page.get_by_role("button", name="Confirm rejection").click()
    page.get_by_text("Rejected. The partner has been emailed").wait_for()
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.deadline_kind == ""  # final: no dispute window
    assert "cannot be disputed" in mail.outbox[-1].body


def test_arbitration_between_fabrikam_and_northwind_on_contoso_sales(live_server, page, screenshot, people):
    northwind = Builder(people["northwind-global"], people["reviewer-ben"]).approved(
        claim_data(
            name="Northwind Contoso Sales", mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}]
        )
    )
    fabrikam = Builder(people["fabrikam-global"], None).submitted(claim_data(name="Fabrikam Contoso Sales"))

    sign_in(page, live_server.url, "reviewer-ana")
    page.goto(f"{live_server.url}/review/?show=competing")
    row = page.locator("tr", has_text="Fabrikam Contoso Sales")
    assert row.locator(".flag-competing").is_visible()
    row.get_by_role("link").click()
    page.get_by_role("button", name="Start review").click()
    section = page.locator("#competing")
    assert section.get_by_text("Current association: Northwind Solutions").is_visible()
    assert section.get_by_text("This claim: Fabrikam Consulting").is_visible()
    screenshot(page, "arbitration")
    page.get_by_role("button", name="Approve").click()
    assert "Write the rationale" in page.locator("#decide").inner_text()
    page.get_by_label("Arbitration rationale").fill("Fabrikam's PoE is signed and dated 2026; Northwind's covers 2024 only.")
    page.get_by_role("button", name="Approve").click()
    # The confirmation says whose association this ends (reviewers see both sides).
    page.get_by_text("The association of Northwind Solutions for Dynamics 365 Sales").wait_for()
    screenshot(page, "approve-confirmation")
    page.get_by_role("button", name="Confirm approval").click()
    page.get_by_text("Approved.").first.wait_for()
    assert page.get_by_text("Rationale: Fabrikam's PoE is signed").is_visible()

    active = Association.objects.filter(tenant__subdomain="contoso", product__code="d365_sales", ended_at__isnull=True)
    assert [a.claim_id for a in active] == [fabrikam.pk]
    # Each partner was told through its own comments, without the other's name.
    page.context.clear_cookies()
    sign_in(page, live_server.url, "northwind-global")
    page.goto(f"{live_server.url}/claims/{northwind.pk}/")
    comments = page.locator("#comments").inner_text()
    assert "in arbitration" in comments and "decided for another partner" in comments and "Fabrikam" not in comments
    page.context.clear_cookies()
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{fabrikam.pk}/")
    comments = page.locator("#comments").inner_text()
    assert "in arbitration" in comments and "Northwind" not in comments


def test_a_customer_denies_consent_from_the_emailed_link(live_server, page, screenshot, people):
    claim = Builder(people["fabrikam-global"], people["reviewer-ana"]).approved(m365_data())
    consent_mail = next(m for m in mail.outbox if m.to == ["megan.bowen@contoso.com"])
    link = next(w for w in consent_mail.body.split() if "/consent/" in w).replace("http://testserver", live_server.url)
    page.goto(link)
    page.get_by_role("heading", name="Is this partner right?").wait_for()
    assert page.get_by_text("Fabrikam Consulting").first.is_visible() and page.get_by_text("Microsoft Teams").is_visible()
    screenshot(page, "customer-consent")
    page.get_by_label("Why (optional)").fill("We never worked with Fabrikam.")
    page.get_by_role("button", name="Deny this association").click()
    page.get_by_role("button", name="Yes, deny the association").click()
    page.get_by_role("heading", name="Association denied").wait_for()
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.rejection_reason == "customer_denial"
    assert mail.outbox[-1].to == ["alex.wilber@fabrikam.example"] and "Customer denial" in mail.outbox[-1].body
    page.goto(link)
    page.get_by_role("heading", name="You already denied this association").wait_for()
