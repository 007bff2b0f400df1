"""Removing a wrong PoE file after submission, in the browser."""

import pytest

from claims import demo, services
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import Builder, m365_data, pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def test_remove_a_wrong_file_after_submission_with_a_reason(live_server, page, people):
    partner = people["fabrikam-global"]
    claim = Builder(partner, None).submitted(m365_data())
    services.evidence_add(claim=claim, actor=partner, file=pdf("wrong-file.pdf"))
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    page.locator("#evidence tr", has_text="wrong-file.pdf").get_by_role("link", name="Remove…").click()
    page.get_by_label("Why do you remove this file?").fill("Wrong customer's document.")
    page.get_by_role("button", name="Remove the file").click()
    page.get_by_text("wrong-file.pdf removed.").wait_for()
    row = page.locator("#evidence tr.removed")
    assert "Wrong customer's document." in row.inner_text()
    # The last file offers no removal that could succeed... the service says why.
    page.locator("#evidence tr", has_text="signed-poe.pdf").get_by_role("link", name="Remove…").click()
    page.get_by_label("Why do you remove this file?").fill("oops")
    page.get_by_role("button", name="Remove the file").click()
    page.locator(".messages").get_by_text("Upload at least one proof of execution").wait_for()
