"""One grep of a request id finds the request, the tasks it queued, and the real worker's lines
about the email and the webhook delivery it caused (JSON lines, CPOR_LOG_FORMAT=json); a beat
run that no request caused gets an id of its own."""

import os
from pathlib import Path

import pytest
from celery import Celery
from rest_framework.test import APIClient

from claims.models import ClaimEvidence, Notification
from integrations.models import WebhookDelivery
from tests.conftest import Builder
from tests.integration.test_celery_worker import _database_url
from tests.integrations.conftest import register
from tests.integrations.test_webhooks_worker import publish_to_redis  # noqa: F401 (a fixture)
from tests.support import start_celery, wait_for

from .support import json_lines, parse

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

RID = "req-approve-worker-0001"


@pytest.fixture
def json_worker(tmp_path, publish_to_redis):  # noqa: F811
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cpor.settings",
        "DJANGO_SECRET_KEY": "worker-test-secret",
        "DJANGO_DEBUG": "1",  # CPOR_WEBHOOK_ALLOW_LOOPBACK is refused without it
        "CPOR_WEBHOOK_ALLOW_LOOPBACK": "1",
        "CPOR_LOG_FORMAT": "json",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": publish_to_redis,
        "CPOR_VAR_DIR": str(tmp_path),
        "DJANGO_EMAIL_BACKEND": "cpor.dev_mail.EmlFileBackend",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # Celery warns before any logging is set up when it runs as root (as CI does).
        "PYTHONWARNINGS": "ignore:You're running the worker with superuser",
    }
    args = ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle", "-Q", "celery,deliveries"]
    proc, log_path = start_celery(tmp_path, "worker", args, env)
    yield Path(log_path), publish_to_redis
    proc.terminate()
    proc.wait(timeout=30)


def _lines(log_path: Path) -> list[dict]:
    return parse(log_path.read_text())


def _logged(log_path: Path, predicate) -> list[dict]:
    found: list[dict] = []

    def there() -> bool:
        found[:] = [line for line in _lines(log_path) if predicate(line)]
        return bool(found)

    wait_for(there, what="the worker's log line")
    return found


def test_one_request_id_from_the_request_to_the_worker_s_email_and_webhook_lines(
    json_worker, httpserver, fabrikam, ana, settings
):
    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = True
    log_path, _ = json_worker
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, _secret = register(fabrikam, httpserver, events=["claim.approved"])
    claim = Builder(fabrikam, ana).under_review()
    reviewer = APIClient()
    reviewer.force_authenticate(ana)

    with json_lines() as web:
        response = reviewer.post(f"/api/v1/claims/{claim.pk}/approve/", {}, format="json", HTTP_X_REQUEST_ID=RID)

    assert response.status_code == 200 and response["X-Request-ID"] == RID
    # The web side: the request's line, and one line per task it queued, all with its id.
    assert [line["request"] for line in web if line["event"] == "request_finished" and line["request_id"] == RID] == [
        f"POST /api/v1/claims/{claim.pk}/approve/"
    ]
    queued = {line["child_task_name"] for line in web if line["event"] == "task_enqueued" and line["request_id"] == RID}
    assert {"claims.tasks.drain_outbox", "integrations.tasks.deliver_webhook"} <= queued
    # The rows store it.
    email = Notification.objects.get(claim=claim, kind="claim_approved")
    hook = WebhookDelivery.objects.get(endpoint=endpoint, event_type="claim.approved")
    assert (email.request_id, hook.request_id) == (RID, RID)

    # The worker: the tasks ran with the request's id, and its lines about the sends carry it.
    wait_for(lambda: Notification.objects.filter(pk=email.pk, status="sent").exists(), what="the email to be sent")
    wait_for(lambda: WebhookDelivery.objects.filter(pk=hook.pk, status="delivered").exists(), what="the delivery")
    sent = _logged(log_path, lambda line: line["event"].startswith("Email ") and line["event"].endswith(" sent"))
    assert any(str(email.pk) in line["event"].split(" ")[1].split(",") for line in sent if line.get("request_id") == RID)
    delivered = _logged(log_path, lambda line: line["event"].startswith(f"Webhook delivery {hook.pk} attempt 1: ok"))
    assert [line["request_id"] for line in delivered] == [RID]
    started = _logged(log_path, lambda line: line["event"] == "task_started" and line.get("request_id") == RID)
    assert {"claims.tasks.drain_outbox", "integrations.tasks.deliver_webhook"} <= {line["task"] for line in started}
    assert all(line.get("task_id") for line in started)
    # Every line of the worker is JSON, the library's own (celery) included.
    assert any(line["logger"].startswith("celery") for line in _lines(log_path))


def test_a_beat_run_gets_an_id_of_its_own_and_hands_it_to_the_tasks_it_queues(json_worker, build):
    log_path, redis_url = json_worker
    claim = build.editing()
    ClaimEvidence.objects.filter(claim=claim).update(scan_status="pending")  # its scan message was lost
    beat = Celery(broker=redis_url)  # what beat does: a message without any request's context
    beat.send_task("claims.tasks.sweep_pending_scans")
    beat.send_task("claims.tasks.sweep_pending_scans")

    def runs() -> list[dict]:
        return [
            line for line in _lines(log_path) if line["event"] == "task_started" and line["task"].endswith("sweep_pending_scans")
        ]

    wait_for(lambda: len(runs()) == 2, what="two sweep runs")
    ids = [line["request_id"] for line in runs()]
    assert all(len(rid) == 32 for rid in ids) and ids[0] != ids[1]
    # The scan the first run queued: logged once as queued, and run with that run's id.
    first = runs()[0]
    scans = _logged(log_path, lambda line: line["event"] == "task_started" and line["task"] == "claims.tasks.scan_evidence")
    assert scans[0]["request_id"] == first["request_id"] and scans[0]["parent_task_id"] == first["task_id"]
    queued = [line for line in _lines(log_path) if line["event"] == "task_enqueued" and line["task_id"] == first["task_id"]]
    assert [line["child_task_name"] for line in queued] == ["claims.tasks.scan_evidence"]
