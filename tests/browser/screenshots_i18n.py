"""Screenshots of the product in each language, written to docs/screenshots/ (tracked
files) only on request: `make screenshots`. The file name does not match test_*.py,
so `make test` never collects it and never changes the work tree."""

import os

import pytest
from django.utils import timezone

from claims import demo, notifications
from claims.choices import ClaimState
from claims.consent import consent_url
from claims.models import Claim
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_languages import LANGUAGES, new_page, sign_in
from tests.i18n.support import everyone_speaks

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("CPOR_SCREENSHOTS") != "1", reason="writes docs/screenshots/: run `make screenshots`"),
]


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("code, name, locale, sign_in_label, heading", LANGUAGES)
def test_dashboard_and_claim_page(live_server, chromium, code, name, locale, sign_in_label, heading, settings):
    settings.DEBUG = True
    with everyone_speaks(code):
        demo.seed()
    claim = Claim.objects.filter(company__name="Fabrikam Consulting", state=ClaimState.PARTNER_ACTION_REQUIRED).first()
    page = new_page(chromium, locale)
    try:
        page.goto(f"{live_server.url}/")
        sign_in(page, "fabrikam-global", sign_in_label)
        page.get_by_role("heading", name=heading).wait_for()
        shoot(page, f"i18n-dashboard-{code}")
        page.goto(f"{live_server.url}/claims/{claim.pk}/")
        page.locator("#comments").wait_for()
        shoot(page, f"i18n-claim-{code}")
    finally:
        page.context.close()


def test_a_chinese_email(chromium, db, settings):
    settings.DEBUG = True
    demo.seed()
    claim = Claim.objects.filter(company__name="Fabrikam Consulting", state=ClaimState.APPROVED).first()
    now = timezone.now()
    email = notifications.build(
        "consent_request",
        to=claim.customer_contact_email,
        claim=claim,
        context={"products": ["Dynamics 365 Sales"], "consent_url": consent_url(claim), "consent_until": claim.deadline_at},
        now=now,
        language="zh-hans",
    )
    page = new_page(chromium, "zh-CN")
    try:
        page.set_content(f"<p><strong>{email.subject}</strong></p><hr>{email.body_html}")
        shoot(page, "i18n-email-zh-hans")
    finally:
        page.context.close()
