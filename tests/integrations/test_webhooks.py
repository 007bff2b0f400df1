"""Webhooks with a real HTTP receiver on the loopback: signed per Standard Webhooks,
retried with backoff, guarded against SSRF, and never crossing companies."""

import math
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from claims import deadlines, outbox, services
from claims.events import Batch
from claims.models import ClaimEvent, Notification
from integrations import webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.services import endpoint_rotate_secret, endpoint_update
from reviews import services as review
from tests.conftest import another_customer, claim_data, m365_data, pdf

from .conftest import bodies, hook_url, received, register, verify

pytestmark = pytest.mark.usefixtures("loopback")


def deliver_due() -> None:
    """What the beat job does; tasks run eagerly in tests."""
    webhooks.retry_due()


def test_every_event_arrives_signed_and_verifies(httpserver, build, fabrikam, northwind, ana, settings):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    endpoint, secret = register(fabrikam, httpserver)
    start = timezone.now() - timedelta(days=60)
    with time_machine.travel(start, tick=False):
        # submitted, review_started, info_requested, answered, approved, comment_posted
        a = build.par()
        services.claim_respond(claim=a, actor=fabrikam, message="Signed PoE attached.")
        review.review_approve(claim=a, reviewer=ana)
        services.comment_add(claim=a, actor=ana, body="Thanks for the signed PoE.")
        # rejected (reviewer), disputed
        b = build.rejected(m365_data(name="Teams rollout"))
        services.claim_dispute(claim=b, actor=fabrikam, justification="The PoE is signed on page 2.")
        # consent_denied
        c = build.approved(claim_data(name="Customer Service", products=[{"product": "d365_customer_service", "subscription_id": "22222222-2222-4222-8222-222222222222"}]))  # fmt: skip
        services.consent_deny(claim_id=c.pk, nonce=c.consent_nonce.hex)
        # association_ended: Northwind wins the arbitration for Contoso / Intune (Teams is `b`'s,
        # and a company has one live claim per customer and product)
        d = build.approved(m365_data(name="Intune adoption", products=[{"product": "intune"}]))
        nw = build.under_review(
            m365_data(name="Northwind Intune", mpn_id="5678901", products=[{"product": "intune"}]), partner=northwind
        )
        review.review_approve(claim=nw, reviewer=ana, rationale="Northwind's PoE is signed and current.")
        # evidence_quarantined: a pending file the malware scan found infected (the scan
        # itself, with a real clamd: tests/claims/test_malware_scan.py)
        scanned = build.submitted(m365_data(name="Scanned upload", **another_customer(7)))
        settings.CPOR_SCAN_REQUIRED = True
        infected = services.evidence_add(claim=scanned, actor=fabrikam, file=pdf("infected.pdf"))
        settings.CPOR_SCAN_REQUIRED = False
        services.evidence_scanned(evidence_id=infected.pk, signature="Eicar-Test-Signature")
    with time_machine.travel(start + timedelta(days=8), tick=False):
        # deadline_passed + eligibility_sent (consent window of `a`)
        deadlines.run_sweep()

    deliver_due()

    got = bodies(httpserver, secret)
    types = {body["type"] for body in got}
    assert types == set(webhooks.EVENT_TYPES), set(webhooks.EVENT_TYPES) - types
    requests = received(httpserver)
    ids = [r.headers["webhook-id"] for r in requests]
    assert len(ids) == len(set(ids)) == WebhookDelivery.objects.filter(endpoint=endpoint).count()
    assert all(r.headers["webhook-signature"].startswith("v1,") for r in requests)
    # A claim's events carry increasing sequence numbers, in the order they happened.
    seq_a = [(b["data"]["sequence"], b["type"]) for b in got if b["data"]["claim_id"] == a.pk]
    assert [t for _s, t in sorted(seq_a)][:4] == [
        "claim.submitted",
        "claim.review_started",
        "claim.info_requested",
        "claim.answered",
    ]
    rejected = next(b for b in got if b["type"] == "claim.rejected")
    assert rejected["data"]["reason"] == "insufficient_poe" and rejected["data"]["claim"]["id"] == b.pk
    ended = next(b for b in got if b["type"] == "claim.association_ended")
    assert ended["data"]["claim_id"] == d.pk and ended["data"]["reason"] == "arbitration"
    # Never the other partner's identity.
    raw = b"".join(r.get_data() for r in requests).decode()
    for secret_of_the_other_side in ("Northwind", "northwind", "5678901", f'"claim_id":{nw.pk},', f'"id":{nw.pk},'):
        assert secret_of_the_other_side not in raw
    # A tampered body fails the library's check.
    tampered = dict(requests[0].headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(requests[0].get_data() + b" ", tampered)


def test_another_companys_endpoint_never_receives_our_events(httpserver, build, fabrikam, northwind):
    httpserver.expect_request("/fabrikam").respond_with_data("ok")
    httpserver.expect_request("/northwind").respond_with_data("ok")
    _, fab_secret = register(fabrikam, httpserver, path="/fabrikam")
    _, nw_secret = register(northwind, httpserver, path="/northwind")
    claim = build.under_review()

    deliver_due()

    assert {b["type"] for b in bodies(httpserver, fab_secret, "/fabrikam")} == {"claim.submitted", "claim.review_started"}
    assert all(b["data"]["claim_id"] == claim.pk for b in bodies(httpserver, fab_secret, "/fabrikam"))
    assert received(httpserver, "/northwind") == []


def test_only_subscribed_events_are_sent(httpserver, build, fabrikam):
    httpserver.expect_request("/hook").respond_with_data("ok")
    _, secret = register(fabrikam, httpserver, events=["claim.review_started"])
    build.under_review()
    deliver_due()
    assert [b["type"] for b in bodies(httpserver, secret)] == ["claim.review_started"]


def test_a_receiver_answering_500_then_200_gets_exactly_one_success_after_a_retry(httpserver, build, fabrikam):
    httpserver.expect_oneshot_request("/hook").respond_with_data("busy", status=500)
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, secret = register(fabrikam, httpserver, events=["claim.submitted"])
    build.submitted()

    deliver_due()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert endpoint.__class__.objects.get(pk=endpoint.pk).failing_since is not None
    deliver_due()  # not due yet: the first retry waits CPOR_WEBHOOK_RETRY_SCHEDULE[0] seconds
    assert len(received(httpserver)) == 1

    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=False):
        deliver_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
    requests = received(httpserver)
    assert len(requests) == 2 and requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"]
    assert verify(secret, requests[1])["type"] == "claim.submitted"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert webhooks.retry_due() == 0  # delivered once, never again


def test_redirects_are_not_followed(httpserver, build, fabrikam):
    httpserver.expect_request("/hook").respond_with_data("", status=302, headers={"Location": hook_url(httpserver, "/other")})
    httpserver.expect_request("/other").respond_with_data("ok")
    endpoint, _ = register(fabrikam, httpserver, events=["claim.submitted"])
    build.submitted()
    deliver_due()
    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempt_log.get()
    assert (attempt.status_code, attempt.error_code) == (302, "redirect_not_followed")
    assert received(httpserver, "/other") == []


def test_response_bodies_are_truncated_in_the_log(httpserver, build, fabrikam):
    httpserver.expect_request("/hook").respond_with_data("x" * 50_000, status=400)
    endpoint, _ = register(fabrikam, httpserver, events=["claim.submitted"])
    build.submitted()
    deliver_due()
    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempt_log.get()
    assert attempt.status_code == 400 and attempt.response_body == "x" * 2000 and attempt.latency_ms is not None


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://10.0.0.1/hook", "address_not_allowed"),
        ("https://172.16.5.4/hook", "address_not_allowed"),
        ("https://192.168.1.10/hook", "address_not_allowed"),
        ("https://169.254.169.254/latest/meta-data/", "address_not_allowed"),
        ("https://100.100.100.200/", "address_not_allowed"),
        ("https://[fd00:ec2::254]/", "address_not_allowed"),
        ("https://[fe80::1]/", "address_not_allowed"),
        ("https://[::ffff:10.0.0.1]/", "address_not_allowed"),
        ("https://0.0.0.0/", "address_not_allowed"),
        ("https://100.64.0.1/", "address_not_allowed"),
        ("https://127.0.0.1/hook", "address_not_allowed"),
        ("https://[::1]/hook", "address_not_allowed"),
        ("https://localhost/hook", "address_not_allowed"),
        ("http://93.184.216.34/hook", "url_not_https"),
        ("https://user:pw@93.184.216.34/hook", "url_has_credentials"),
        ("ftp://93.184.216.34/hook", "invalid_url"),
        ("not a url", "invalid_url"),
        ("https://no-such-host.invalid/hook", "host_unresolvable"),
        ("https://bad\x00host.example/", "host_unresolvable"),
        ("https://93.184.216.34:99999/", "invalid_url"),
    ],
)
def test_ssrf_addresses_are_refused_at_registration(fabrikam, settings, url, code):
    from claims.errors import DomainError
    from integrations import services as s

    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(DomainError) as refused:
        s.endpoint_create(actor=fabrikam, url=url, events=["claim.submitted"])
    assert refused.value.code == code and refused.value.errors[0].message
    assert not WebhookEndpoint.objects.exists()


def test_every_delivery_checks_the_address_again(httpserver, build, fabrikam, settings):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, _ = register(fabrikam, httpserver, events=["claim.submitted"])
    build.submitted()
    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = False  # as if DNS now pointed the host at the loopback
    deliver_due()
    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempt_log.get()
    assert attempt.error_code == "address_not_allowed" and attempt.status_code is None
    assert received(httpserver) == []


def test_an_endpoint_failing_for_3_days_is_turned_off_and_admins_are_emailed(httpserver, build, fabrikam):
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    endpoint, _ = register(fabrikam, httpserver, events=["claim.submitted"])
    start = timezone.now()
    build.submitted()
    deliver_due()
    now = start
    while WebhookEndpoint.objects.get(pk=endpoint.pk).is_active:
        row = WebhookDelivery.objects.get(endpoint=endpoint)
        assert row.status == "pending", "the retries must last until the endpoint is turned off"
        now = row.next_attempt_at
        with time_machine.travel(now, tick=False):
            deliver_due()
    assert timedelta(days=3) <= now - start < timedelta(days=4)
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason == "failing"
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    assert row.status == "failed" and row.attempts >= 10
    mails = Notification.objects.filter(kind="webhook_disabled")
    # The outbox row stores what to render; the delivering worker renders it like this.
    assert {m.to for m in mails} == {fabrikam.email} and endpoint.url in outbox.render(mails.get(), None).body


def test_a_rotated_secret_overlaps_then_expires(httpserver, build, fabrikam, settings):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, old = register(fabrikam, httpserver, events=["claim.submitted", "claim.review_started"])
    endpoint, new = endpoint_rotate_secret(endpoint=endpoint, actor=fabrikam)
    claim = build.submitted()
    deliver_due()
    first = received(httpserver)[-1]
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    assert verify(old, first)["type"] == verify(new, first)["type"] == "claim.submitted"
    with time_machine.travel(timezone.now() + timedelta(hours=settings.CPOR_WEBHOOK_SECRET_OVERLAP_HOURS, minutes=1), tick=False):
        review.review_start(claim=claim, reviewer=build.reviewer)
        deliver_due()
        later = received(httpserver)[-1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    assert (
        Webhook(new).sign(later.headers["webhook-id"], _ts(later), later.get_data(as_text=True))
        == later.headers["webhook-signature"]
    )


def _ts(request):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), tz=UTC)


def test_a_turned_off_endpoint_gets_nothing(httpserver, build, fabrikam):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, _ = register(fabrikam, httpserver)
    endpoint_update(endpoint=endpoint, actor=fabrikam, is_active=False)
    build.submitted()
    deliver_due()
    assert received(httpserver) == [] and not WebhookDelivery.objects.exists()


def _copies(event: ClaimEvent, n: int) -> list[int]:
    """n more history rows like `event` (as a sweep batch writes them), their ids."""
    rows = [ClaimEvent(claim_id=event.claim_id, at=event.at, actor_role=event.actor_role, action=event.action) for _ in range(n)]
    return [row.pk for row in ClaimEvent.objects.bulk_create(rows)]


def test_the_history_subscriber_is_set_based(build, fabrikam, northwind, httpserver, django_assert_num_queries):
    register(fabrikam, httpserver, path="/one")
    register(fabrikam, httpserver, path="/two")
    register(northwind, httpserver, path="/three", events=["claim.review_started"])
    ours = build.submitted()
    theirs = build.submitted(m365_data(mpn_id="5678901"), partner=northwind)
    ids = _copies(ours.events.get(action="submitted"), 100) + _copies(theirs.events.get(action="submitted"), 100)
    batch = Batch(ids=tuple(ids), actions=frozenset({"submitted"}))
    # The rows of companies with an endpoint, their endpoints, one INSERT (SQLite splits an
    # INSERT at its parameter limit), whatever the batch's size.
    fields = [f for f in WebhookDelivery._meta.concrete_fields if not f.primary_key]
    inserts = math.ceil(200 / connection.ops.bulk_batch_size(fields, [None] * 200))
    with django_assert_num_queries(2 + inserts):
        rows = webhooks.write(batch)
    assert len(rows) == 200 and set(WebhookDelivery.objects.filter(pk__in=rows).values_list("claim_id", flat=True)) == {ours.pk}
    theirs_only = Batch(ids=tuple(ids[100:]), actions=frozenset({"submitted"}))
    with django_assert_num_queries(2):  # Northwind's endpoint takes other events: no INSERT
        assert webhooks.write(theirs_only) == []
    WebhookEndpoint.objects.filter(company_id=northwind.company_id).delete()
    with django_assert_num_queries(1):  # no company of the batch has an endpoint: one query
        assert webhooks.write(theirs_only) == []
    created = Batch(ids=(ours.events.get(action="created").pk,), actions=frozenset({"created"}))
    with django_assert_num_queries(0):  # history rows that are no webhook event cost nothing
        assert webhooks.write(created) == []


def test_a_rolled_back_change_records_no_delivery(build, fabrikam, httpserver):
    from django.db import transaction

    register(fabrikam, httpserver)
    claim = build.editing()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.claim_submit(claim=claim, actor=fabrikam)
        raise RuntimeError("rolled back")
    assert not WebhookDelivery.objects.exists()
