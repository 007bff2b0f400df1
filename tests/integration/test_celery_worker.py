"""A real Celery worker on Redis changes a due claim and delivers its email."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import time_machine
from celery import Celery
from django.db import connection

from claims.models import Claim, Notification
from tests.support import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _redis_url_for_tests() -> str:
    # A database of its own, so a developer's running worker never takes these tasks
    # (CPOR_TEST_REDIS_DB lets parallel checkouts on one machine keep apart).
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path="/" + os.environ.get("CPOR_TEST_REDIS_DB", "15")))


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    redis_url = _redis_url_for_tests()
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cpor.settings",
        "DJANGO_SECRET_KEY": "worker-test-secret",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CPOR_VAR_DIR": str(tmp_path),
        "DJANGO_EMAIL_BACKEND": "cpor.dev_mail.EmlFileBackend",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cpor",
            "worker",
            "--pool=solo",
            "-Q",
            "celery,deliveries",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield Celery(broker=redis_url), tmp_path
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_a_real_worker_rejects_a_claim_whose_answer_deadline_passed(build, worker):
    client, var = worker
    with time_machine.travel(datetime(2026, 10, 5, 10, 0, tzinfo=UTC), tick=False):
        claim = build.par()  # answer due Mon 12 Oct 2026; the worker runs on today's clock
    Notification.objects.all().update(status="sent")  # earlier emails are not this test's concern

    client.send_task("claims.tasks.run_deadline_sweep")

    wait_for(lambda: Claim.objects.get(pk=claim.pk).state == "rejected", what="the worker's sweep")
    claim.refresh_from_db()
    assert claim.rejection_reason == "no_partner_response"
    assert claim.events.filter(action="auto_rejected", actor_role="system").count() == 1
    wait_for(
        lambda: Notification.objects.filter(claim=claim, kind="claim_rejected", status="sent").exists(),
        what="the worker to deliver the email",
    )
    mails = list((var / "mail").glob("*.eml"))
    assert len(mails) == 1 and b"No partner response" in mails[0].read_bytes()
