"""A double-clicked form stores once (the per-form token), in the browser."""

import pytest

from claims import demo
from claims.models import ClaimComment
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import Builder, m365_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def test_a_double_clicked_post_comment_stores_once(live_server, page, people):
    claim = Builder(people["fabrikam-global"], None).submitted(m365_data())
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    page.locator("#comments textarea").fill("Double-clicked comment")
    page.get_by_role("button", name="Post comment").dblclick()
    page.locator("#comments").get_by_text("Double-clicked comment").wait_for()
    # Two truly concurrent submissions of the same rendered form, as an impatient user's
    # browser can send them.
    page.locator("#comments textarea").fill("Sent twice at once")
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector('#comments form');
            const send = () => fetch(form.action, {method: 'POST', body: new FormData(form), redirect: 'manual'});
            const results = await Promise.all([send(), send()]);
            return results.map(r => r.type);
        }"""
    )
    assert len(statuses) == 2
    assert ClaimComment.objects.filter(claim=claim, body="Double-clicked comment").count() == 1
    assert ClaimComment.objects.filter(claim=claim, body="Sent twice at once").count() == 1
