"""Help in the product (issue 23, point 5): a page per role, reached from every page's header,
with the statuses and clocks as configured, the business-day calendar, the glossary and every
error code of claims.errors, in the reader's language."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from django.test import Client, override_settings
from django.utils import translation

from claims.choices import ClaimState
from claims.clocks import clock_length
from claims.consent import consent_url
from claims.errors import MESSAGES
from claims.help import ERROR_GROUPS, days_off, error_groups
from tests.i18n.support import LANGUAGES, english_left

pytestmark = pytest.mark.django_db

PAGES = {"partner": "/help/partner/", "reviewer": "/help/reviewer/"}
ANCHOR = re.compile(r'id="error-([a-z_]+)"')


def open_help(user, url: str, language: str = "en") -> tuple[int, str]:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    return response.status_code, html.unescape(response.content.decode())


@pytest.fixture
def readers(fabrikam, ana):
    return {"partner": fabrikam, "reviewer": ana}


@pytest.mark.parametrize("role", PAGES)
def test_the_error_section_lists_every_code_once_with_its_message(readers, role):
    status, page = open_help(readers[role], PAGES[role])
    assert status == 200
    anchors = ANCHOR.findall(page)
    assert sorted(anchors) == sorted(MESSAGES)  # every code, none twice
    # The message is the registry's own text (a value it names shown as "…").
    assert str(MESSAGES["domain_tenant_mismatch"]) in page
    assert "Upload a file of at most … MB." in page
    assert "%(" not in page


def test_a_code_missing_from_the_groups_still_appears_under_other_errors(monkeypatch):
    monkeypatch.setitem(MESSAGES, "brand_new_code", "Do the new thing.")
    groups = {g["key"]: [e["code"] for e in g["errors"]] for g in error_groups()}
    assert "brand_new_code" in groups["other"]
    grouped = [c for _key, _title, codes in ERROR_GROUPS for c in codes]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) <= set(MESSAGES), "a group names a code claims.errors does not have"


@override_settings(
    CPOR_REVIEW_PICKUP_BUSINESS_DAYS=3,
    CPOR_REVIEW_DECISION_BUSINESS_DAYS=4,
    CPOR_PARTNER_ANSWER_BUSINESS_DAYS=6,
    CPOR_DISPUTE_DECISION_BUSINESS_DAYS=8,
    CPOR_CONSENT_WINDOW_DAYS=9,
    CPOR_DISPUTE_WINDOW_DAYS=45,
)
@pytest.mark.parametrize("role", PAGES)
def test_the_states_and_clocks_say_the_configured_lengths(readers, role):
    _status, page = open_help(readers[role], PAGES[role])
    assert "starts the review within 3 business days" in page
    assert "decides within 4 business days" in page
    assert "answers in the claim within 6 business days" in page
    assert "decided within 8 business days" in page
    assert "may deny the association for 9 days" in page
    assert "once, within 45 days" in page
    for label in ClaimState.labels:
        assert f">{label}</dt>" in page
    _status, customer = open_help(None, "/help/customer/")
    assert "deny the association within 9 days" in customer


@override_settings(CPOR_HOLIDAY_COUNTRY="US", CPOR_HOLIDAY_SUBDIVISION=None, CPOR_EXTRA_HOLIDAYS=[date(2026, 12, 30)])
def test_the_calendar_lists_the_weekdays_off_ahead():
    # 2026-12-25 (Friday) is a US public holiday, the 30th an extra day off; the weekend is not listed.
    off = days_off(date(2026, 12, 21), ahead=14)
    assert off == [date(2026, 12, 25), date(2026, 12, 30), date(2027, 1, 1)]


def test_the_calendar_section_names_the_configured_calendar_and_zone(fabrikam):
    with override_settings(CPOR_HOLIDAY_COUNTRY="BR", CPOR_HOLIDAY_SUBDIVISION="SP", CPOR_BUSINESS_TIME_ZONE="America/Sao_Paulo"):
        _status, page = open_help(fabrikam, "/help/partner/")
    assert "public holidays of the calendar BR-SP" in page
    assert "in the time zone America/Sao_Paulo" in page


def test_the_partner_help_links_the_poe_requirements(fabrikam):
    _status, page = open_help(fabrikam, "/help/partner/")
    assert 'href="/claims/poe-requirements/"' in page


def test_each_role_reads_its_own_help(fabrikam, fabrikam_viewer, ana):
    assert open_help(fabrikam, "/help/partner/")[0] == 200
    assert open_help(ana, "/help/reviewer/")[0] == 200
    assert open_help(fabrikam, "/help/reviewer/")[0] == 403
    assert open_help(ana, "/help/partner/")[0] == 403
    assert open_help(fabrikam_viewer, "/help/partner/")[0] == 403
    for url in PAGES.values():
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (None, fabrikam, ana, fabrikam_viewer):
        assert open_help(user, "/help/customer/")[0] == 200


def test_the_help_link_leads_each_reader_to_their_own_page(fabrikam, fabrikam_viewer, ana):
    def target(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client.get("/help/")["Location"]

    assert target(fabrikam) == "/help/partner/"
    assert target(ana) == "/help/reviewer/"
    assert target(fabrikam_viewer) == "/help/customer/"
    assert target(None) == "/help/customer/"


def test_every_page_header_links_the_help(build, fabrikam, ana):
    claim = build.under_review()
    header = re.compile(r"<header.*?</header>", re.S)
    pages = [
        (fabrikam, "/claims/"),
        (fabrikam, f"/claims/{claim.pk}/"),
        (ana, "/review/"),
        (ana, f"/review/claims/{claim.pk}/"),
        (None, "/accounts/login/"),
        (None, "/help/customer/"),
    ]
    for user, url in pages:
        _status, page = open_help(user, url)
        assert 'href="/help/"' in header.search(page).group(0), url
        assert '<footer class="foot"><a href="/help/">' in page, url


def test_the_consent_page_links_the_customer_help(client, build):
    claim = build.approved()
    response = client.get("/consent/" + consent_url(claim).split("/consent/", 1)[1])
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/help/customer/"' in page
    assert 'href="/help/"' in re.search(r"<header.*?</header>", page, re.S).group(0)


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_each_help_page_renders_in_each_language(readers, language):
    """The page is in the language (its <html lang>, the statuses' and errors' translated names)
    and carries none of the catalogue's English phrases (the new help texts join that check once
    their translations are merged into the catalogues: i18n/help.json)."""
    urls = {**{role: (readers[role], url) for role, url in PAGES.items()}, "customer": (None, "/help/customer/")}
    for role, (user, url) in urls.items():
        status, page = open_help(user, url, language)
        assert status == 200, (role, language)
        assert f'<html lang="{language.lower()}"' in page
        if language != "en":
            assert english_left(page, language) == [], (role, language)
        if role != "customer":
            with translation.override(language):
                assert str(ClaimState.PARTNER_ACTION_REQUIRED.label) in page
                assert str(MESSAGES["domain_tenant_mismatch"]) in page
                assert clock_length("partner_answer") in page
