"""One request id per request: a sane incoming X-Request-ID is kept, anything else replaced;
every response answers with it, every log line of the request carries it, and the outbox rows
(emails, webhook deliveries) the request writes store it."""

import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from claims import notifications
from claims.models import Notification
from cpor import requestid
from integrations import services as integrations
from integrations.models import WebhookDelivery
from tests.conftest import Builder

from .support import json_lines

API = "/api/v1"
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("path", ["/healthz", "/accounts/login/", f"{API}/claims/"])
def test_every_response_answers_with_a_request_id(client, db, path):
    kept = client.get(path, HTTP_X_REQUEST_ID="edge-7f3a9c2e-41b0")
    assert kept["X-Request-ID"] == "edge-7f3a9c2e-41b0"
    made, again = client.get(path), client.get(path)
    assert NEW_ID.fullmatch(made["X-Request-ID"]) and made["X-Request-ID"] != again["X-Request-ID"]


@pytest.mark.parametrize(
    "bad",
    [
        "short",  # fewer than 8 characters
        "a" * 65,  # longer than the column
        "has spaces in it",
        'quote"injection"x',
        "new\\nline-forged-entry",
        "-leading-dash-1234",
        "ünïcode-id-12345",
        "id;drop table claims",
    ],
)
def test_a_bad_incoming_request_id_is_replaced(client, db, bad):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad and NEW_ID.fullmatch(response["X-Request-ID"])


def test_the_sane_token_rule():
    assert requestid.sane("550e8400-e29b-41d4-a716-446655440000")  # a UUID
    assert requestid.sane("Root.1:abc_DEF-123")
    assert requestid.sane("x" * 64) and not requestid.sane("x" * 65)
    assert not requestid.sane("") and not requestid.sane(None) and not requestid.sane("1234567")


def test_rows_written_outside_any_request_carry_no_id(build):
    claim = build.submitted()
    assert set(Notification.objects.filter(claim=claim).values_list("request_id", flat=True)) <= {""}


def test_a_request_s_log_lines_and_outbox_rows_carry_its_id(fabrikam, ana, settings):
    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = True
    # The endpoint never answers (nothing listens there): only the rows are looked at here.
    integrations.endpoint_create(actor=fabrikam, url="http://127.0.0.1:9/hook", events=["claim.approved"])
    claim = Builder(fabrikam, ana).under_review()
    reviewer = APIClient()
    reviewer.force_authenticate(ana)

    with json_lines() as lines:
        response = reviewer.post(f"{API}/claims/{claim.pk}/approve/", {}, format="json", HTTP_X_REQUEST_ID="req-approve-0001")

    assert response.status_code == 200 and response["X-Request-ID"] == "req-approve-0001"
    finished = [line for line in lines if line["event"] == "request_finished"]
    assert len(finished) == 1
    assert finished[0]["request_id"] == "req-approve-0001" and finished[0]["user_id"] == ana.pk
    assert finished[0]["request"] == f"POST {API}/claims/{claim.pk}/approve/" and finished[0]["code"] == 200
    assert finished[0]["ip"] == "127.0.0.1" and finished[0]["level"] == "info"
    emails = Notification.objects.filter(claim=claim, kind__in=["claim_approved", "consent_request"])
    assert emails.count() == 2 and set(emails.values_list("request_id", flat=True)) == {"req-approve-0001"}
    hooks = WebhookDelivery.objects.filter(claim=claim, event_type="claim.approved")
    assert hooks.count() == 1 and hooks.get().request_id == "req-approve-0001"
    # Rows written before, by no request, carry none.
    assert set(Notification.objects.filter(claim=claim).exclude(pk__in=emails).values_list("request_id", flat=True)) == {""}


def test_the_context_is_cleared_after_the_request(client, db):
    client.get("/healthz", HTTP_X_REQUEST_ID="req-cleared-0001")
    assert requestid.current() == ""


def test_staff_find_a_request_s_emails_by_its_id_in_the_admin(admin_client, build):
    from structlog.contextvars import bound_contextvars

    with bound_contextvars(request_id="req-admin-search-01"):
        claim = build.submitted()
    other = notifications.build("webhook_disabled", to="admin@example.com", claim=None, context={}, now=timezone.now())
    notifications.enqueue([other])  # written by no request
    ours = set(Notification.objects.filter(claim=claim).values_list("pk", flat=True))
    assert ours

    page = admin_client.get("/admin/claims/notification/", {"q": "req-admin-search-01"})

    assert page.status_code == 200
    assert {n.pk for n in page.context["cl"].result_list} == ours
