"""Real Celery workers on Redis deliver webhooks from the "deliveries" queue, and a worker
killed in the middle of a delivery does not lose it."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from celery import Celery
from werkzeug import Response

from claims import services
from integrations.models import WebhookDelivery
from tests.conftest import Builder
from tests.integration.test_celery_worker import _database_url, _redis_url_for_tests
from tests.support import wait_for

from .conftest import received, register, verify

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def publish_to_redis():
    """The web process's side: tasks go to Redis instead of running in this process."""
    from cpor.celery import app

    redis_url = _redis_url_for_tests()
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True)
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, redis_url
    _reset_pool(app)
    yield redis_url
    app.conf.task_always_eager, app.conf.broker_url = saved
    _reset_pool(app)


def _reset_pool(app) -> None:
    # The producer pool remembers its broker; the next publish builds one for the new URL.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def start_worker(tmp_path, publish_to_redis):
    procs = []

    def start(name: str):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cpor.settings",
            "DJANGO_SECRET_KEY": "worker-test-secret",
            "DJANGO_DEBUG": "1",  # CPOR_WEBHOOK_ALLOW_LOOPBACK is refused without it
            "CPOR_WEBHOOK_ALLOW_LOOPBACK": "1",
            "CPOR_WEBHOOK_LEASE_SECONDS": "3",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": publish_to_redis,
            "CPOR_VAR_DIR": str(tmp_path),
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        log = open(tmp_path / f"{name}.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cpor", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "-Q", "celery,deliveries", "-n", f"{name}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        procs.append((proc, log))
        return proc

    yield start
    for proc, log in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        log.close()


def test_a_real_worker_delivers_signed_events_from_the_deliveries_queue(httpserver, start_worker, fabrikam, ana):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, secret = register(fabrikam, httpserver)
    start_worker("w1")

    Builder(fabrikam, ana).submitted()  # commits: the outbox rows are queued on Redis

    wait_for(lambda: WebhookDelivery.objects.filter(endpoint=endpoint, status="delivered").count() == 1, what="the delivery")
    body = verify(secret, received(httpserver)[0])
    assert body["type"] == "claim.submitted" and body["data"]["claim"]["status"] == "submitted"


def test_a_worker_killed_mid_delivery_redelivers(httpserver, start_worker, fabrikam):
    arrived, release = threading.Event(), threading.Event()

    def hang(request):
        arrived.set()
        release.wait(60)
        return Response("too late")

    httpserver.expect_oneshot_request("/hook").respond_with_handler(hang)
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, secret = register(fabrikam, httpserver, events=["claim.comment_posted"])
    first = start_worker("w1")
    claim = Builder(fabrikam, None).editing()

    services.comment_add(claim=claim, actor=fabrikam, body="Hello")

    wait_for(arrived.is_set, what="the first attempt to reach the receiver")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    release.set()
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (row.status, row.attempts, row.attempt_log.count()) == ("pending", 1, 0)

    start_worker("w2")
    client = Celery(broker=_redis_url_for_tests())

    def redelivered() -> bool:
        client.send_task("integrations.tasks.retry_webhooks")  # what beat does every 30 s
        return WebhookDelivery.objects.filter(pk=row.pk, status="delivered").exists()

    wait_for(redelivered, what="the lease to run out and a live worker to redeliver")
    row.refresh_from_db()
    requests = received(httpserver)
    assert len(requests) == 2 and requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"]
    assert verify(secret, requests[1])["data"]["comment"]["body"] == "Hello"
    assert [a.status_code for a in row.attempt_log.all()] == [200]
