"""The PoE pre-check in the browser (issue 24): a partner uploads a PoE without the customer's
signature and sees the warning before submitting; the reviewer sees the checklist.

The upload's on-commit trigger runs the worker's task in process (CELERY_TASK_ALWAYS_EAGER in
the test settings), so the page after the upload already shows what the worker found."""

from datetime import timedelta

import pytest
from django.utils import timezone

from claims import demo
from reviews import services as review
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import Builder, claim_data
from tests.poe.corpus import TEXTS, text_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def unsigned_poe() -> bytes:
    t, when = TEXTS["en"], (timezone.now() - timedelta(days=30)).strftime("%B %d, %Y")
    lines = [
        t["title"],
        t["customer"].format(customer="Contoso", domain="contoso.com"),
        t["service"].format(products="Dynamics 365 Sales"),
        t["completed"].format(date=when),
    ]
    return text_pdf("en", [lines])


def test_an_unsigned_poe_warns_before_submitting_and_the_reviewer_sees_the_checklist(
    live_server, page, chromium, screenshot, people
):
    partner = people["fabrikam-global"]
    claim = Builder(partner, None).editing(claim_data(name="Contoso Sales rollout"), poe=False)
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    page.locator("#id_files").set_input_files(
        [{"name": "statement-of-work.pdf", "mimeType": "application/pdf", "buffer": unsigned_poe()}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("statement-of-work.pdf uploaded.").wait_for()

    warnings = page.locator("#precheck .precheck-warnings li")
    assert warnings.count() == 1
    signature = page.locator("#precheck li[data-check=signature]")
    assert "customer signature" in signature.inner_text()
    assert (
        signature.get_by_role("link", name="What is required").get_attribute("href") == "/claims/poe-requirements/#poe-signature"
    )
    screenshot(page, "poe-precheck-partner-warnings")

    page.get_by_role("link", name="Submit for review…").click()
    page.locator("#precheck li[data-check=signature]").wait_for()
    screenshot(page, "poe-precheck-submit-step")
    # A warning, never a block: the partner may still submit.
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted.").wait_for()

    # The requirement the warning links to.
    page.goto(f"{live_server.url}/claims/poe-requirements/#poe-signature")
    assert page.locator("#poe-signature h2").inner_text() == "The customer signed"

    review.review_start(claim=claim, reviewer=people["reviewer-ana"])
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        reviewer = context.new_page()
        sign_in(reviewer, live_server.url, "reviewer-ana")
        reviewer.goto(f"{live_server.url}/review/claims/{claim.pk}/")
        checklist = reviewer.locator("table.precheck-checklist")
        assert checklist.locator("tr[data-check=signature] .verdict").inner_text().endswith("Missing")
        assert checklist.locator("tr[data-check=products]").inner_text().count("Dynamics 365 Sales") >= 2  # name and excerpt
        assert reviewer.locator("input[name=reasons][value=missing_customer_signature]").is_checked()
        assert not reviewer.locator("input[name=reasons][value=missing_products]").is_checked()
        reviewer.locator("#evidence").scroll_into_view_if_needed()
        screenshot(reviewer, "poe-precheck-reviewer-checklist")
    finally:
        context.close()
