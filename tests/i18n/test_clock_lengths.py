"""Every text that names how long a clock runs says the configured length (claims.clocks).

With every clock set to an unusual length, no page a partner, reviewer or customer opens,
no email, no error message, no webhook event description and no text of the OpenAPI
schema says one of the default lengths (5 business days, 7 days, 30 days), and the
configured lengths appear where the defaults were."""

from __future__ import annotations

import html
import json
import re

import polib
import pytest
from django.test import override_settings

from claims.choices import ClaimState
from claims.errors import FIELD_MESSAGES, MESSAGES
from claims.models import Claim
from integrations import errors as integration_errors
from integrations.webhooks import EVENT_TYPES
from tests.conftest import SUB_HELD, Builder, claim_data, m365_data

from .pages import client_for, every_email, every_page, get_ok, seed_demo
from .support import LANGUAGES, catalogue_path

pytestmark = pytest.mark.django_db

UNUSUAL = {
    "CPOR_REVIEW_PICKUP_BUSINESS_DAYS": 3,
    "CPOR_REVIEW_DECISION_BUSINESS_DAYS": 4,
    "CPOR_PARTNER_ANSWER_BUSINESS_DAYS": 6,
    "CPOR_DISPUTE_DECISION_BUSINESS_DAYS": 8,
    "CPOR_CONSENT_WINDOW_DAYS": 9,
    "CPOR_DISPUTE_WINDOW_DAYS": 45,
}
# The defaults (the sources' values), singular or plural, "7 days" or "7-day".
DEFAULT_LENGTH = re.compile(r"\b(?:5 business days?|7[ -]days?|30[ -]days?)\b", re.IGNORECASE)
# The SLA overview's period picker ("Last 7 days", "Last 30 days") names report periods, not clocks.
REPORT_PERIOD = re.compile(r"Last \d+ days?")


@pytest.fixture(autouse=True)
def unusual_clocks():
    with override_settings(**UNUSUAL):
        yield


def default_lengths(texts: dict[str, str]) -> dict[str, list[str]]:
    """{where: the default lengths it names}, for the texts that name any."""
    found = {}
    for where, text in texts.items():
        if hits := DEFAULT_LENGTH.findall(REPORT_PERIOD.sub("", html.unescape(str(text)))):
            found[where] = hits
    return found


def test_the_check_finds_a_default_length():
    assert default_lengths({"a": "within 5 business days", "b": "the 7-day window", "c": "1 day", "d": "17 days"}) == {
        "a": ["5 business days"],
        "b": ["7-day"],
    }
    assert default_lengths({"overview": "<option>Last 30 days</option>", "e": "30 day"}) == {"e": ["30 day"]}


def test_no_page_or_email_names_a_default_length():
    users = seed_demo("en")
    pages = every_page(users, "en")
    partner = client_for(users["fabrikam-global"], "en")
    for url in ["/notifications/", "/integrations/webhooks/", "/integrations/webhooks/new/"]:
        pages[url] = get_ok(partner, url)
    pages.update({f"email {kind}": text for kind, text in every_email("en").items()})
    assert default_lengths(pages) == {}

    text = {where: html.unescape(page) for where, page in pages.items()}
    draft = Claim.objects.filter(state=ClaimState.EDITING, company__name="Fabrikam Consulting").first()
    rejected = Claim.objects.filter(state=ClaimState.REJECTED, deadline_kind="dispute_window", deadline_expired=False).first()
    after_submit = "a reviewer starts the review within 3 business days and decides within 4 business days more"
    assert after_submit in text[f"/claims/{draft.pk}/"]
    assert after_submit in text[f"/claims/{draft.pk}/submit/"]
    assert "a reviewer decides within 8 business days, and that decision is final" in text[f"/claims/{rejected.pk}/dispute/"]
    assert "older than the 9 days it is valid for" in text["consent invalid"]
    assert "the customer may deny consent for 9 days" in text["/integrations/webhooks/new/"]
    # The help pages (claims/help.py) word every clock from the settings too.
    for where in ("partner help", "reviewer help"):
        assert "starts the review within 3 business days" in text[where]
        assert "answers in the claim within 6 business days" in text[where]
        assert "may deny the association for 9 days" in text[where]
        assert "once, within 45 days" in text[where]
    assert "deny the association within 9 days" in text["customer help"]


def test_decisions_and_their_confirmations_say_the_configured_lengths(client, build, fabrikam, northwind, ana):
    client.force_login(ana)
    pages = {}

    asked = build.under_review(m365_data())
    pages["info requested"] = client.post(
        f"/review/claims/{asked.pk}/request-info/",
        {"reasons": ["missing_poe"], "message": "Upload the signed PoE."},
        follow=True,
    ).content.decode()

    approving = build.under_review(
        m365_data(**{"name": "Approve me", "products": [{"product": "intune", "subscription_id": None}]})
    )
    url = f"/review/claims/{approving.pk}/approve/"
    pages["approve confirmation"] = client.post(url, {"message": "Thanks."}).content.decode()
    pages["approved"] = client.post(url, {"message": "Thanks.", "confirmed": "1"}, follow=True).content.decode()

    rejecting = build.under_review(
        m365_data(**{"name": "Reject me", "products": [{"product": "onedrive", "subscription_id": None}]})
    )
    url = f"/review/claims/{rejecting.pk}/reject/"
    pages["reject confirmation"] = client.post(url, {"reason": "insufficient_poe", "message": "Unsigned."}).content.decode()
    client.post(url, {"reason": "insufficient_poe", "message": "Unsigned.", "confirmed": "1"})

    partner = client_for(fabrikam, "en")
    pages["dispute sent"] = partner.post(
        f"/claims/{rejecting.pk}/dispute/", {"justification": "The PoE is signed on page 2."}, follow=True
    ).content.decode()
    pages["reviewer, disputed"] = get_ok(client, f"/review/claims/{rejecting.pk}/")

    # A claim competing with another partner's association gets the arbitration notice on submission.
    Builder(northwind, ana).approved(
        claim_data(mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    competing = build.submitted()
    pages["arbitration notice"] = get_ok(partner, f"/claims/{competing.pk}/")
    assert competing.state == ClaimState.SUBMITTED

    assert default_lengths(pages) == {}
    text = {where: html.unescape(page) for where, page in pages.items()}
    assert "Request sent to the partner, who has 6 business days to answer." in text["info requested"]
    assert "is emailed and has 9 days to deny the association." in text["approve confirmation"]
    assert "The customer contact has been emailed and has 9 days to deny." in text["approved"]
    assert "The partner may dispute the rejection within 45 days." in text["reject confirmation"]
    assert "Dispute sent. A reviewer will decide within 8 business days." in text["dispute sent"]
    assert "Decide within 8 business days; a rejection now is final." in text["reviewer, disputed"]
    assert "The review still starts within 3 business days." in text["arbitration notice"]
    assert "The review still starts within 3 business days." in competing.comments.get(kind="arbitration").text


def test_no_error_message_or_webhook_event_names_a_default_length():
    assert integration_errors.INTEGRATION_MESSAGES  # registered in the shared catalogue
    texts = {
        **{f"error {code}": str(text) for code, text in MESSAGES.items()},
        **{f"error {code} ({field})": str(text) for (code, field), text in FIELD_MESSAGES.items()},
        **{f"event {kind}": str(text) for kind, text in EVENT_TYPES.items()},
    }
    assert default_lengths(texts) == {}
    assert "(45 days)" in texts["error dispute_window_closed"]
    assert "the customer may deny consent for 9 days" in texts["event claim.approved"]


def test_the_lengths_follow_the_settings_of_the_moment():
    """Module-level texts are worded when shown, not at import."""
    with override_settings(CPOR_DISPUTE_WINDOW_DAYS=1, CPOR_CONSENT_WINDOW_DAYS=2):
        assert "(1 day)" in str(MESSAGES["dispute_window_closed"])
        assert "deny consent for 2 days" in str(EVENT_TYPES["claim.approved"])
    assert "(45 days)" in str(MESSAGES["dispute_window_closed"])


def test_no_text_of_the_api_schema_names_a_default_length(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    texts = {"schema": json.dumps(schema, ensure_ascii=False)}
    assert default_lengths(texts) == {}
    dispute = schema["paths"]["/api/v1/claims/{id}/dispute/"]["post"]["description"]
    assert "within 45 days" in dispute
    assert "the customer may deny consent for 9 days" in texts["schema"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_names_a_number_its_english_does_not(language):
    """A translation that kept "5 dias úteis" where the English now says %(period)s would
    name the default length in that language whatever the setting."""
    number = re.compile(r"\d+")
    added = []
    for entry in polib.pofile(str(catalogue_path(language))):
        english = set(number.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if set(number.findall(text)) - english:
                added.append((entry.msgid, text))
    assert added == []
