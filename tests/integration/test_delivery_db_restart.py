"""Fault drill: PostgreSQL restarts while a real Celery worker drains the outbox into a real
mail server. The server accepted a message ("250") while the database went down, so the
worker's "sent" mark meets a closed connection: the delivery engine keeps the mark and writes
it as soon as the database answers again, before the row's lease lapses, so the message is
never sent twice (claims.delivery.Outbox.delivered).

The database is a PostgreSQL server of the test's own (bench.pgserver.PrivateServer), so its
restart touches nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from bench.pgserver import PrivateServer
from tests.integration.test_celery_worker import _redis_url_for_tests
from tests.smtp import SmtpSink
from tests.support import start_celery, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
EMAILS = 40
HELD = 20  # the message the server holds while the database restarts
LEASE = 10

SEED = f"""
from django.utils import timezone
from claims import notifications
now = timezone.now()
notifications.enqueue([
    notifications.build(
        "webhook_disabled", to=f"admin{{i}}@fabrikam.example", claim=None, now=now,
        context={{"url": "https://crm.fabrikam.example/hooks", "failing_since": now, "page_url": "https://cpor.example/"}},
    )
    for i in range({EMAILS})
])
"""


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("CPOR_PG_SHARED_BUFFERS", "128MB")
    server = PrivateServer(data_dir=tmp_path / "pgdata")
    url = server.start()
    admin = psycopg2.connect(f"{url}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("CREATE DATABASE cpor_restart")
    admin.close()
    try:
        yield server, f"{url}/cpor_restart"
    finally:
        server.stop()
        for path in (server.data, server.password_file, server.log_file):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if not server.data.parent.is_relative_to(tmp_path):  # a folder the postgres user could reach
            shutil.rmtree(server.data.parent, ignore_errors=True)


def _sent(url: str) -> int:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_notification WHERE status = 'sent'")
        return cursor.fetchone()[0]


def test_a_database_restart_while_the_outbox_drains_sends_each_email_once(database, tmp_path):
    server, url = database
    sink = SmtpSink(hold_at=HELD, accept_held=True).start()
    redis_url = _redis_url_for_tests()
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cpor.settings",
        "DJANGO_SECRET_KEY": "restart-drill-secret",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "CPOR_VAR_DIR": str(tmp_path),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_TIMEOUT": "120",  # the held message waits for the restart, however long it takes
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CPOR_OUTBOX_LEASE_SECONDS": str(LEASE),
        "CPOR_OUTBOX_CONNECTIONS": "1",  # one connection: the held message holds the whole drain
        "CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS": "1",
        "CPOR_SWEEP_INTERVAL_SECONDS": "3600",
    }
    for command in (["migrate", "--verbosity=0"], ["shell", "-c", SEED]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    # The periodic drain (beat) takes the emails, as in production.
    worker, log = start_celery(
        tmp_path, "deliveries", ["worker", "--beat", "--pool=solo", "-Q", "celery,deliveries", "--loglevel=INFO",
                                 f"--schedule={tmp_path / 'celerybeat-schedule'}"], env,
    )  # fmt: skip
    try:
        wait_for(sink.holding.is_set, what="the held message to reach the mail server")
        assert _sent(url) == HELD - 1
        server.restart()  # every connection closes, the worker's among them
        sink.release()  # the server now answers "250": the message is the server's, whatever the database says
        wait_for(lambda: _sent(url) == EMAILS, what="every email marked sent")
        # The kept mark met the closed connection and was written once the database answered.
        assert "did not take a delivered mark; trying again" in log.read_text()
        # Past the lease the unmarked message would be taken again: two periodic drains after it
        # find nothing more to send.
        lapsed, seen = time.monotonic() + LEASE + 1, {}

        def two_drains_after_the_lease() -> bool:
            if time.monotonic() < lapsed:
                return False
            text = log.read_text()
            seen.setdefault("offset", len(text))
            return text[seen["offset"] :].count("claims.tasks.drain_outbox") >= 4  # received + succeeded, twice

        wait_for(two_drains_after_the_lease, what="two drains after the lease lapsed")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        sink.stop()
    assert sink.counts() == {message_id: 1 for message_id in sink.counts()}
    assert len(sink.counts()) == EMAILS
