"""A Global admin sets up a webhook in the browser: the secret is shown once, a test event
arrives signed, the log shows it, a rotation shows the new secret."""

import pytest
from django.test import override_settings
from pytest_httpserver import HTTPServer

from claims import demo
from integrations.models import WebhookEndpoint
from tests.browser.test_partner_sign_in import sign_in
from tests.integrations.conftest import verify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/hook").respond_with_data("received")
    yield server
    server.clear()
    server.stop()


@override_settings(CPOR_WEBHOOK_ALLOW_LOOPBACK=True)
def test_add_an_endpoint_send_a_test_event_and_rotate_the_secret(live_server, page, receiver):
    demo.seed_directory()
    sign_in(page, live_server.url, "fabrikam-global")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_label("Endpoint URL").fill(f"http://127.0.0.1:{receiver.port}/hook")
    page.get_by_label("claim.submitted", exact=False).check()
    page.get_by_role("button", name="Save").click()

    secret = page.locator("#webhook-secret").inner_text()
    assert secret == WebhookEndpoint.objects.get().secret
    page.reload()
    assert page.locator("#webhook-secret").count() == 0  # shown once

    page.get_by_role("button", name="Send test event").click()
    page.get_by_text("A test event was sent").wait_for()
    assert "HTTP 200" in page.locator("table.deliveries").inner_text()
    assert verify(secret, receiver.log[0][0])["type"] == "webhook.test"

    page.get_by_role("button", name="Rotate secret").click()
    new = page.locator("#webhook-secret").inner_text()
    assert new != secret and new == WebhookEndpoint.objects.get().secret
