"""Small things a demanding user notices on the first day, in the browser."""

import pytest
from django.core import mail

from claims import demo
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import SUB_HELD, Builder, claim_data, m365_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def test_the_review_page_fits_a_phone_and_the_directory_scrolls_in_its_own_box(live_server, page, screenshot, people):
    Builder(people["northwind-global"], people["reviewer-ben"]).approved(
        claim_data(mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    claim = Builder(people["fabrikam-global"], people["reviewer-ana"]).under_review()
    sign_in(page, live_server.url, "reviewer-ana")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/review/claims/{claim.pk}/")
    page.get_by_role("heading", name="History").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator(".scroll-box")
    assert page.evaluate("(el) => el.scrollWidth > el.clientWidth", box.element_handle())
    screenshot(page, "review-page-phone")


def test_subscription_inputs_appear_and_take_focus_only_for_checked_dynamics_products(live_server, page, people):
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/new/")
    sub = page.locator("#id_sub_d365_sales")
    assert not sub.is_visible()
    page.locator("input[name=products][value=d365_sales]").check()
    assert sub.is_visible() and page.evaluate("document.activeElement.id") == "id_sub_d365_sales"
    page.locator("input[name=products][value=d365_sales]").uncheck()
    assert not sub.is_visible()


def test_the_consent_page_header_does_not_lead_to_the_partner_sign_in(live_server, page, people):
    Builder(people["fabrikam-global"], people["reviewer-ana"]).approved(m365_data())
    consent_mail = next(m for m in mail.outbox if m.to == ["megan.bowen@contoso.com"])
    link = next(w for w in consent_mail.body.split() if "/consent/" in w).replace("http://testserver", live_server.url)
    page.goto(link)
    page.get_by_role("heading", name="Is this partner right?").wait_for()
    assert page.locator("header .brand").inner_text() == "CPOR Claims"
    # Its one link is the help (issue 23, point 5), which takes a customer to the customer help,
    # never to the partners' sign-in.
    links = page.locator("header a")
    assert links.count() == 1 and links.inner_text() == "Help"
    links.click()
    page.wait_for_load_state()
    assert page.url.startswith(f"{live_server.url}/help/customer/") and "/accounts/login/" not in page.url


def test_the_claim_page_prints_without_navigation_or_forms(live_server, page, people):
    claim = Builder(people["fabrikam-global"], None).submitted(m365_data())
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    page.emulate_media(media="print")
    assert not page.locator("header nav").is_visible()
    assert not page.get_by_role("button", name="Post comment").is_visible()
    assert page.get_by_role("heading", name="History").is_visible()
