"""GET /metrics: hidden without its token, Prometheus text with it, and the domain's gauges
computed at scrape time by a fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from claims import heartbeats, tasks
from claims.models import Heartbeat, Notification
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import m365_data

TOKEN = "s3cret-scraper-token"
MON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PICKUP_PASSED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # five business days later (Thanksgiving)
GAUGES = [
    "cpor_claims_due",
    "cpor_sweep_last_success_timestamp_seconds",
    "cpor_sweep_duration_seconds",
    "cpor_outbox_pending",
    "cpor_outbox_oldest_pending_age_seconds",
    "cpor_outbox_failed",
    "cpor_webhook_deliveries_pending",
    "cpor_webhook_deliveries_failed",
    "cpor_uploads_pending_scan",
    "cpor_uploads_oldest_pending_scan_age_seconds",
    "cpor_celery_queue_length",
]


@pytest.fixture
def token(settings, db):
    settings.CPOR_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token=TOKEN):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def samples(response) -> dict[tuple[str, tuple], float]:
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def emails(n: int, *, status: str, created_at: datetime) -> None:
    Notification.objects.bulk_create(
        Notification(
            kind="claim_submitted", to=f"p{i}@example.com", status=status, created_at=created_at, next_attempt_at=created_at
        )
        for i in range(n)
    )


def deliveries(user, n: int, *, status: str, now: datetime) -> None:
    endpoint = WebhookEndpoint.objects.create(
        company=user.company,
        url="https://hooks.example.com/cpor",
        secret="whsec_x",
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_type="claim.submitted",
            msg_id=f"msg_{uuid.uuid4().hex}",
            status=status,
            created_at=now,
            occurred_at=now,
            next_attempt_at=now,
        )  # fmt: skip
        for _ in range(n)
    )


def test_metrics_do_not_exist_without_a_token_setting(client, settings, db):
    settings.CPOR_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert scrape(client, token="").status_code == 404
    assert scrape(client, token="anything").status_code == 404


def test_a_missing_or_wrong_token_gets_the_same_404_as_an_unknown_address(client, token):
    unknown = client.get("/no-such-page")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 404
        assert refused["Content-Type"] == unknown["Content-Type"]  # the site's usual "page not found"
        assert b"cpor_" not in refused.content
    assert scrape(client, token=TOKEN + "x").status_code == 404


def test_the_token_gets_prometheus_text_with_every_gauge(client, token):
    response = scrape(client)
    assert response["Content-Type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert set(GAUGES) - {"cpor_sweep_duration_seconds"} <= names  # no sweep has run yet
    found = samples(response)
    assert value(found, "cpor_sweep_last_success_timestamp_seconds") == 0
    assert value(found, "cpor_uploads_pending_scan") == 0
    assert value(found, "cpor_celery_queue_length", queue="celery") >= 0
    assert value(found, "cpor_celery_queue_length", queue="deliveries") >= 0


def test_requests_are_counted_by_view_and_status(client, token, db):
    def count(found, view, status):
        return found.get(("cpor_http_request_duration_seconds_count", (("method", "GET"), ("status", status), ("view", view))), 0)

    before = samples(scrape(client))
    client.get("/healthz")
    client.get("/no-such-page")
    after = samples(scrape(client))
    assert count(after, "healthz", "200") == count(before, "healthz", "200") + 1
    assert count(after, "unresolved", "404") == count(before, "unresolved", "404") + 1


def test_the_gauges_count_a_small_data_set(client, token, build, fabrikam, settings):
    with time_machine.travel(MON, tick=False):
        build.submitted()  # its review pickup clock runs out at PICKUP_PASSED
        build.under_review(m365_data())  # its decision clock too (five business days)
    Notification.objects.all().delete()  # the emails the submissions wrote: counted below from scratch
    emails(2, status="pending", created_at=PICKUP_PASSED - timedelta(minutes=20))
    emails(1, status="pending", created_at=PICKUP_PASSED - timedelta(minutes=5))
    emails(1, status="failed", created_at=PICKUP_PASSED - timedelta(days=4))
    emails(4, status="sent", created_at=PICKUP_PASSED - timedelta(days=9))
    deliveries(fabrikam, 3, status="pending", now=PICKUP_PASSED)
    deliveries(fabrikam, 2, status="failed", now=PICKUP_PASSED)
    deliveries(fabrikam, 5, status="delivered", now=PICKUP_PASSED)
    heartbeats.record(
        heartbeats.SWEEP, started_at=PICKUP_PASSED - timedelta(seconds=91.5), ended_at=PICKUP_PASSED - timedelta(seconds=90)
    )

    with time_machine.travel(PICKUP_PASSED, tick=False):
        found = samples(scrape(client))
    assert value(found, "cpor_claims_due", clock="review_pickup") == 1
    assert value(found, "cpor_claims_due", clock="review_decision") == 1
    for clock in ("partner_answer", "dispute_decision", "consent_window", "dispute_window"):
        assert value(found, "cpor_claims_due", clock=clock) == 0
    assert value(found, "cpor_sweep_last_success_timestamp_seconds") == (PICKUP_PASSED - timedelta(seconds=90)).timestamp()
    assert value(found, "cpor_sweep_duration_seconds") == 1.5
    assert value(found, "cpor_outbox_pending") == 3
    assert value(found, "cpor_outbox_oldest_pending_age_seconds") == 20 * 60
    assert value(found, "cpor_outbox_failed") == 1
    assert value(found, "cpor_webhook_deliveries_pending") == 3
    assert value(found, "cpor_webhook_deliveries_failed") == 2
    assert value(found, "cpor_uploads_pending_scan") == 0

    # One second before the deadline nothing is due.
    with time_machine.travel(PICKUP_PASSED - timedelta(seconds=1), tick=False):
        found = samples(scrape(client))
    assert value(found, "cpor_claims_due", clock="review_pickup") == 0


def test_a_scrape_costs_the_same_queries_however_many_rows(client, token, build, fabrikam):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            samples(scrape(client))
        return len(captured)

    now = timezone.now()
    with time_machine.travel(now - timedelta(days=30), tick=False):
        build.submitted()
    emails(1, status="pending", created_at=now)
    deliveries(fabrikam, 1, status="failed", now=now)
    few = queries()

    with time_machine.travel(now - timedelta(days=30), tick=False):
        build.under_review(m365_data())
    emails(50, status="pending", created_at=now)
    emails(50, status="failed", created_at=now)
    emails(50, status="sent", created_at=now)
    deliveries(fabrikam, 50, status="pending", now=now)
    deliveries(fabrikam, 50, status="failed", now=now)
    heartbeats.record(heartbeats.SWEEP, started_at=now - timedelta(seconds=1), ended_at=now)
    assert queries() == few <= 8  # one per gauge family that reads a table (uploads pending a scan: two tables, one query each)


def test_the_queue_length_is_the_brokers(client, token, settings):
    """The real broker of this run (Redis on CI, the filesystem broker by default)."""
    from cpor.celery import app

    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "tests.nothing": {"queue": queue}}
    with app.connection_for_write() as conn:
        waiting = conn.SimpleQueue(queue)
        try:
            for n in range(3):
                waiting.put({"n": n})
            found = samples(scrape(client))
            assert value(found, "cpor_celery_queue_length", queue=queue) == 3
        finally:
            waiting.clear()
            waiting.close()


def test_a_successful_sweep_records_when_it_finished_and_how_long_it_took(db):
    with time_machine.travel(PICKUP_PASSED, tick=False):
        tasks.run_deadline_sweep()
    sweep = Heartbeat.objects.get(name=heartbeats.SWEEP)
    assert sweep.started_at == sweep.ended_at == PICKUP_PASSED  # the clock stands still here
    assert sweep.duration_seconds == 0
    with time_machine.travel(PICKUP_PASSED + timedelta(minutes=2), tick=True):
        tasks.run_deadline_sweep()
    sweep.refresh_from_db()
    assert sweep.started_at >= PICKUP_PASSED + timedelta(minutes=2)
    assert 0 <= sweep.duration_seconds < 60


def test_a_failed_sweep_records_nothing(db, monkeypatch):
    heartbeats.record(heartbeats.SWEEP, started_at=MON, ended_at=MON)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks.deadlines, "run_sweep", broken)
    with time_machine.travel(PICKUP_PASSED, tick=False), pytest.raises(RuntimeError):
        tasks.run_deadline_sweep()
    assert Heartbeat.objects.get(name=heartbeats.SWEEP).ended_at == MON


def test_the_beat_heartbeat_task_records_now(db):
    with time_machine.travel(MON, tick=False):
        tasks.beat_heartbeat()
    assert Heartbeat.objects.get(name=heartbeats.BEAT).ended_at == MON
