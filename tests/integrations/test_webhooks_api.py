"""/api/v1/webhooks/: CRUD, secret shown once, test event, delivery log, redeliver, access."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.api.test_api import client_for, codes

from .conftest import hook_url, received, verify

API = "/api/v1/webhooks/"
pytestmark = pytest.mark.usefixtures("loopback")


@pytest.fixture
def fab(fabrikam):
    return client_for(fabrikam)


def create(client, httpserver, **extra):
    body = {"url": hook_url(httpserver), "events": ["claim.submitted", "claim.approved"], "description": "CRM", **extra}
    return client.post(API, body, format="json")


def test_crud_and_the_secret_is_shown_once(fab, httpserver):
    created = create(fab, httpserver)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["claim.submitted", "claim.approved"]
    listed = fab.get(API).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in fab.get(f"{API}{body['id']}/").json()
    patched = fab.patch(f"{API}{body['id']}/", {"events": ["claim.rejected"], "is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["events"] == ["claim.rejected"] and patched.json()["is_active"] is False
    rotated = fab.post(f"{API}{body['id']}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"] != body["secret"]
    assert rotated.json()["secret_rotation_ends_at"]
    assert fab.delete(f"{API}{body['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_refusals_have_codes(fab, httpserver, settings):
    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = False
    refused = fab.post(API, {"url": "https://169.254.169.254/latest/", "events": ["claim.submitted"]}, format="json")
    assert refused.status_code == 400 and codes(refused) == ["address_not_allowed"]
    assert "169.254.169.254" in refused.json()["errors"][0]["message"]
    assert codes(fab.post(API, {"url": "https://93.184.216.34/", "events": []}, format="json")) == ["events_required"]
    assert codes(fab.post(API, {"url": "https://93.184.216.34/", "events": ["claim.nope"]}, format="json")) == ["unknown_event"]
    assert not WebhookEndpoint.objects.exists()


def test_only_global_admins_and_never_another_company(fab, httpserver, fabrikam_incentives, northwind, ana):
    endpoint_id = create(fab, httpserver).json()["id"]
    incentives = client_for(fabrikam_incentives)
    assert incentives.get(API).status_code == 403 and codes(incentives.get(API)) == ["global_admin_only"]
    assert codes(incentives.post(API, {"url": "x", "events": []}, format="json")) == ["global_admin_only"]
    nw = client_for(northwind)
    for method, path in [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "test/"),
        ("get", "deliveries/"),
        ("post", "rotate-secret/"),
    ]:
        response = getattr(nw, method)(f"{API}{endpoint_id}/{path}", {}, format="json")
        assert response.status_code == 404 and codes(response) == ["webhook_not_found"], (method, path)
    assert nw.get(API).json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client_for(ana).get(API).status_code == 403
    assert APIClient().get(API).status_code == 401


def test_send_test_event_then_the_log_and_redeliver(fab, httpserver, django_capture_on_commit_callbacks):
    httpserver.expect_oneshot_request("/hook").respond_with_data("nope", status=500)
    httpserver.expect_request("/hook").respond_with_data("ok")
    created = create(fab, httpserver).json()
    with django_capture_on_commit_callbacks(execute=True):
        sent = fab.post(f"{API}{created['id']}/test/")
    assert sent.status_code == 202 and sent.json()["event_type"] == "webhook.test"
    log = fab.get(f"{API}{created['id']}/deliveries/").json()
    assert log["count"] == 1
    entry = log["results"][0]
    assert entry["status"] == "pending" and entry["attempts"] == 1
    assert entry["attempt_log"][0]["status_code"] == 500 and entry["attempt_log"][0]["response_body"] == "nope"
    assert entry["attempt_log"][0]["latency_ms"] is not None
    with django_capture_on_commit_callbacks(execute=True):
        again = fab.post(f"{API}{created['id']}/deliveries/{entry['id']}/redeliver/")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    after = fab.get(f"{API}{created['id']}/deliveries/").json()["results"][0]
    assert after["status"] == "delivered" and [a["status_code"] for a in after["attempt_log"]] == [500, 200]
    assert verify(created["secret"], received(httpserver)[-1])["type"] == "webhook.test"
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_turned_off_endpoint_refuses_test_events(fab, httpserver):
    created = create(fab, httpserver, is_active=False).json()
    refused = fab.post(f"{API}{created['id']}/test/")
    assert refused.status_code == 409 and codes(refused) == ["endpoint_disabled"]


def test_the_schema_has_the_webhook_endpoints(fab):
    schema = fab.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/",
        "/api/v1/webhooks/{id}/test/",
        "/api/v1/webhooks/{id}/deliveries/",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/",
        "/api/v1/webhooks/{id}/rotate-secret/",
    ]:
        assert path in paths, path


def test_the_delivery_log_has_a_constant_query_count(
    fab, httpserver, django_capture_on_commit_callbacks, settings, django_assert_max_num_queries
):
    settings.CPOR_WEBHOOK_ACTIONS_PER_MINUTE = 1000  # the log's size, not the throttle, is under test here
    httpserver.expect_request("/hook").respond_with_data("ok")
    created = create(fab, httpserver).json()
    for _i in range(30):
        with django_capture_on_commit_callbacks(execute=True):
            fab.post(f"{API}{created['id']}/test/")
    with django_assert_max_num_queries(8):
        log = fab.get(f"{API}{created['id']}/deliveries/").json()
    assert log["count"] == 30 and len(log["results"]) == 25 and all(len(d["attempt_log"]) == 1 for d in log["results"])


def test_tests_and_redeliveries_are_throttled_per_endpoint_in_the_api_and_the_pages(fab, fabrikam, httpserver, client, settings):
    from datetime import timedelta

    import time_machine

    settings.CPOR_WEBHOOK_ACTIONS_PER_MINUTE = 3
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False) as clock:
        first = create(fab, httpserver).json()["id"]
        other = create(fab, httpserver, description="Second").json()["id"]
        answers = [fab.post(f"{API}{first}/test/") for _ in range(5)]
        assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
        assert codes(answers[3]) == ["webhook_action_throttled"] and answers[3]["Retry-After"] == "60"
        assert WebhookDelivery.objects.filter(endpoint_id=first).count() == 3  # nothing queued when refused
        # Redeliveries count with the tests; another endpoint keeps its own count.
        delivery = WebhookDelivery.objects.filter(endpoint_id=first).first()
        refused = fab.post(f"{API}{first}/deliveries/{delivery.pk}/redeliver/")
        assert refused.status_code == 429 and codes(refused) == ["webhook_action_throttled"]
        assert fab.post(f"{API}{other}/test/").status_code == 202
        # The pages: the same count, a 429 that says when to try again.
        client.force_login(fabrikam)
        page = client.post(f"/integrations/webhooks/{first}/test/")
        assert page.status_code == 429 and page["Retry-After"] == "60"
        assert "too many tests or redeliveries" in page.content.decode()
        clock.shift(timedelta(seconds=61))
        assert fab.post(f"{API}{first}/deliveries/{delivery.pk}/redeliver/").status_code == 202
        assert client.post(f"/integrations/webhooks/{first}/test/").status_code == 302


def test_the_list_is_one_page_like_every_other_list(fab, httpserver):
    ids = [create(fab, httpserver, description=f"CRM {i}").json()["id"] for i in range(3)]
    first = fab.get(API, {"page_size": 2}).json()
    assert (first["count"], first["previous"]) == (3, None) and first["next"] is not None
    assert [e["id"] for e in first["results"]] == ids[:2] and "secret" not in first["results"][0]
    second = fab.get(API, {"page_size": 2, "page": 2}).json()
    assert [e["id"] for e in second["results"]] == ids[2:] and second["next"] is None
    assert codes(fab.get(API, {"page_size": 101})) == ["invalid_page_size"]
    assert codes(fab.get(API, {"page": 3})) == ["page_not_found"]


def test_the_schema_says_the_list_is_a_page(fab):
    operation = fab.get("/api/schema/?format=json").json()["paths"]["/api/v1/webhooks/"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PaginatedEndpointList"}
    assert {"page", "page_size"} <= {p.get("name") for p in operation["parameters"]}


def test_the_list_has_a_constant_query_count(fab, httpserver, django_assert_num_queries):
    create(fab, httpserver)
    with CaptureQueriesContext(connection) as few:
        fab.get(API)
    baseline = len(few)  # read now: each later request clears the connection's query log
    for i in range(10):
        create(fab, httpserver, description=f"CRM {i}")
    with django_assert_num_queries(baseline):
        assert fab.get(API).json()["count"] == 11
