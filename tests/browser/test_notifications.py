"""The notifications page in Chromium: the header's unread badge, the company's events on the
page, and the count dropping as the reader marks one and then all of them read (claims.feed)."""

import pytest

from claims import services
from tests.browser.test_layout import open_as, people  # noqa: F401 - fixtures
from tests.conftest import Builder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _badge(page) -> str | None:
    badge = page.locator('header a[href="/notifications/"] .badge')
    return badge.inner_text() if badge.count() else None


def test_the_badge_counts_unread_events_and_drops_after_reading(live_server, open_as, people):  # noqa: F811
    ana = people["reviewer-ana"]
    claim = Builder(people["fabrikam-global"], ana).under_review()
    services.comment_add(claim=claim, actor=ana, body="Checking the PoE.")
    page = open_as("fabrikam-billing")  # told of nothing by email here; follows the decisions
    page.goto(f"{live_server.url}/claims/")
    assert _badge(page) is None
    services.comment_add(claim=claim, actor=ana, body="Still checking.")
    from reviews import services as review

    review.review_request_info(claim=claim, reviewer=ana, reasons=["missing_poe"], message="Which page is signed?")
    page = open_as("fabrikam-global")
    page.goto(f"{live_server.url}/claims/")
    assert _badge(page) == "4"  # review started, two comments, the request for information
    page.locator('header a[href="/notifications/"]').click()
    page.wait_for_url("**/notifications/")
    items = page.locator("ul.notifications li.unread")
    assert items.count() == 4
    assert page.get_by_text("Which page is signed?").is_visible()
    assert page.locator(f'ul.notifications a[href="/claims/{claim.pk}/"]').first.is_visible()
    items.first.get_by_role("button").click()
    page.wait_for_load_state()
    assert _badge(page) == "3" and page.locator("ul.notifications li.unread").count() == 3
    page.get_by_role("button", name="Mark all read").click()
    page.wait_for_load_state()
    assert _badge(page) is None and page.locator("ul.notifications li.unread").count() == 0
