"""The help pages in Chromium (issue 23, point 5): reached from the header's account menu on a
1366 px laptop in Portuguese without breaking the one-line header, an error's anchor lands on
its entry, and the customer's help from the consent page's header."""

import pytest

from claims import demo
from tests.conftest import Builder, m365_data

from .test_layout import LAPTOP, header_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def signed_in(chromium, live_server, username: str, locale: str):
    context = chromium.new_context(viewport=LAPTOP, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(demo.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("username, path", [("fabrikam-global", "/help/partner/"), ("reviewer-ana", "/help/reviewer/")])
def test_the_account_menu_leads_to_the_help_and_the_header_stays_on_one_line(
    live_server, chromium, people, username, path, screenshot
):
    page = signed_in(chromium, live_server, username, "pt-BR")
    try:
        assert header_rows(page) == 1
        page.locator("header details.account summary").click()
        page.locator("header details.account a[href='/help/']").click()
        page.wait_for_load_state()
        assert page.url == live_server.url + path
        assert page.locator("html").get_attribute("lang") == "pt-br"
        assert header_rows(page) == 1
        assert page.locator("dt[id^=error-]").count() > 40
        page.goto(live_server.url + path + "#error-duplicate_claim")
        entry = page.locator("#error-duplicate_claim")
        assert entry.is_visible() and entry.bounding_box()["y"] < LAPTOP["height"]
    finally:
        page.context.close()
    if username == "fabrikam-global":
        page = signed_in(chromium, live_server, username, "en-US")
        try:
            # The first screens (intro, filing, statuses and clocks): the whole page is 8 screens long.
            page.set_viewport_size({"width": LAPTOP["width"], "height": 1500})
            page.goto(live_server.url + path)
            # Signing in above saved the browser's Portuguese as the user's language: pick English.
            page.locator("header details.account summary").click()
            page.locator("#language-picker").select_option("en")
            page.locator("header form.language-picker button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "en"
            screenshot(page, "help-partner", full_page=False)
        finally:
            page.context.close()


def test_a_signed_out_reader_finds_the_help_in_the_header(live_server, chromium, people):
    claim = Builder(people["fabrikam-global"], people["reviewer-ana"]).approved(m365_data())
    from claims.consent import consent_url

    context = chromium.new_context(viewport=LAPTOP, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/consent/" + consent_url(claim).split("/consent/", 1)[1])
        page.locator("header.top a.help-link").click()
        page.wait_for_load_state()
        assert page.url == live_server.url + "/help/customer/"
        assert page.locator("html").get_attribute("lang") == "es"
    finally:
        context.close()
