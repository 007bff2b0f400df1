"""The Global admin's webhook pages: add (secret shown once), log, test event, rotate, redeliver."""

import html

import pytest
from django.test import Client
from django.utils import translation

from claims.history import WEBHOOK_TYPES
from integrations.forms import WebhookEditForm
from integrations.models import WebhookEndpoint

from .conftest import hook_url, received, register, verify

pytestmark = pytest.mark.usefixtures("loopback")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_add_an_endpoint_see_the_secret_once_and_send_a_test(fabrikam, httpserver, django_capture_on_commit_callbacks):
    httpserver.expect_request("/hook").respond_with_data("thanks")
    client = signed_in(fabrikam)
    assert "Webhooks" in client.get("/claims/").content.decode()
    response = client.post(
        "/integrations/webhooks/new/", {"url": hook_url(httpserver), "events": ["claim.submitted", "claim.approved"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/integrations/webhooks/{endpoint.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "shown only this once" in page
    assert endpoint.secret not in client.get(response["Location"]).content.decode()  # once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/integrations/webhooks/{endpoint.pk}/test/")
    log = client.get(f"/integrations/webhooks/{endpoint.pk}/").content.decode()
    assert "webhook.test" in log and "HTTP 200" in log and "thanks" in log
    assert verify(endpoint.secret, received(httpserver)[0])["type"] == "webhook.test"


def test_refusals_show_next_to_the_field(fabrikam, settings):
    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = False
    page = signed_in(fabrikam).post("/integrations/webhooks/new/", {"url": "https://10.1.2.3/x", "events": ["claim.submitted"]})
    assert (
        page.status_code == 200 and "private, loopback, link-local or cloud metadata address (10.1.2.3)" in page.content.decode()
    )
    assert not WebhookEndpoint.objects.exists()


def test_rotate_shows_the_new_secret_and_redeliver_sends_again(fabrikam, httpserver, django_capture_on_commit_callbacks):
    httpserver.expect_oneshot_request("/hook").respond_with_data("no", status=500)
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, _secret = register(fabrikam, httpserver)
    client = signed_in(fabrikam)
    rotated = client.post(f"/integrations/webhooks/{endpoint.pk}/rotate/", follow=True).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated and endpoint.previous_secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/integrations/webhooks/{endpoint.pk}/test/")
    delivery = endpoint.deliveries.get()
    assert delivery.status == "pending" and delivery.last_status_code == 500
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/integrations/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(received(httpserver)) == 2


def test_turn_off_and_remove(fabrikam, httpserver):
    endpoint, _ = register(fabrikam, httpserver)
    client = signed_in(fabrikam)
    client.post(
        f"/integrations/webhooks/{endpoint.pk}/edit/", {"url": endpoint.url, "events": ["claim.submitted"], "description": "x"}
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active is False and endpoint.events == ["claim.submitted"]
    client.post(f"/integrations/webhooks/{endpoint.pk}/delete/", {"confirmed": "1"})
    assert not WebhookEndpoint.objects.exists()


def test_remove_endpoint_asks_first_and_a_one_click_post_removes_nothing(fabrikam, httpserver):
    endpoint, _ = register(fabrikam, httpserver)
    client = signed_in(fabrikam)
    delete_url = f"/integrations/webhooks/{endpoint.pk}/delete/"
    detail = client.get(f"/integrations/webhooks/{endpoint.pk}/").content.decode()
    # The endpoint's page leads to the confirmation step; no form there removes it in one click.
    assert f'href="{delete_url}"' in detail and f'action="{delete_url}"' not in detail
    asked = client.get(delete_url)
    assert asked.status_code == 200
    html = asked.content.decode()
    assert endpoint.url in html and "receives no more events" in html and 'name="confirmed" value="1"' in html
    assert f'action="{delete_url}"' in html and f'href="/integrations/webhooks/{endpoint.pk}/"' in html  # or keep it
    one_click = client.post(delete_url)
    assert one_click.status_code == 200 and 'name="confirmed" value="1"' in one_click.content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    removed = client.post(delete_url, {"confirmed": "1"})
    assert removed.status_code == 302 and removed["Location"] == "/integrations/webhooks/"
    assert not WebhookEndpoint.objects.exists()
    assert "The endpoint was removed." in client.get(removed["Location"]).content.decode()


def test_only_global_admins_and_never_another_companys(fabrikam, fabrikam_incentives, northwind, httpserver):
    endpoint, _ = register(fabrikam, httpserver)
    denied = signed_in(fabrikam_incentives).get("/integrations/webhooks/")
    assert denied.status_code == 403 and "Global admins" in denied.content.decode()
    other = signed_in(northwind)
    assert other.get(f"/integrations/webhooks/{endpoint.pk}/").status_code == 404
    assert other.get(f"/integrations/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert other.post(f"/integrations/webhooks/{endpoint.pk}/delete/", {"confirmed": "1"}).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert endpoint.url not in other.get("/integrations/webhooks/").content.decode()


def test_the_delivery_log_has_a_constant_query_count(
    fabrikam, httpserver, django_assert_max_num_queries, django_capture_on_commit_callbacks, settings
):
    settings.CPOR_WEBHOOK_ACTIONS_PER_MINUTE = 1000  # the log's size, not the throttle, is under test here
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, _ = register(fabrikam, httpserver)
    client = signed_in(fabrikam)
    for _i in range(12):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/integrations/webhooks/{endpoint.pk}/test/")
    # 9 since the header's unread badge reads the newest history id, then counts only the rows
    # written since its last look (two index reads instead of one count of the whole feed).
    with django_assert_max_num_queries(9):
        page = client.get(f"/integrations/webhooks/{endpoint.pk}/")
    assert page.content.decode().count("webhook.test") >= 12


@pytest.mark.parametrize("language", ["pt-br", "zh-hans", "en"])
def test_the_event_descriptions_are_in_the_readers_language(fabrikam, language):
    client = signed_in(fabrikam)
    client.get("/integrations/webhooks/new/", HTTP_ACCEPT_LANGUAGE="it")  # another language first, in this process
    page = html.unescape(client.get("/integrations/webhooks/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode())
    with translation.override(language):
        edit_form = str(WebhookEditForm())
        for event_type, description in WEBHOOK_TYPES.items():
            assert f"{event_type}: {description}" in page and f"{event_type}: {description}" in html.unescape(edit_form)
        assert language == "en" or str(WEBHOOK_TYPES["claim.submitted"]) != "A claim was submitted."
