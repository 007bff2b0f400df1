"""The deadline and email engine with real processes: Celery workers and beat on Redis,
PostgreSQL, and real mail servers on the loopback (one that hangs, one that is down
and comes back, one that holds a message while its worker is SIGKILLed)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import time_machine
from celery import Celery
from django.db import connection

from claims import notifications
from claims.models import Claim, ClaimEvent, Notification
from tests.integration.test_celery_worker import _database_url, _redis_url_for_tests
from tests.smtp import HungServer, SmtpSink, free_port
from tests.support import start_celery, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PAST = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)  # deadlines started then have passed on today's clock
SWEEP_INTERVAL = 3

# One company may hold one live claim per customer and product: one product per claim.
M365_PRODUCTS = ["teams", "intune", "exchange_online", "sharepoint_online", "onedrive"]


class Stack:
    """Starts this project's Celery processes as production runs them, on a Redis database of their own."""

    def __init__(self, tmp_path, mail_port: int, **env) -> None:
        self.tmp_path = tmp_path
        self.redis_url = _redis_url_for_tests()
        self.client = Celery(broker=self.redis_url)
        self.procs: dict[str, object] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cpor.settings",
            "DJANGO_SECRET_KEY": "engine-test-secret",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": self.redis_url,
            "CPOR_VAR_DIR": str(tmp_path),
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_port),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CPOR_SWEEP_INTERVAL_SECONDS": str(SWEEP_INTERVAL),
            "CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS": "1",
            **{k: str(v) for k, v in env.items()},
        }
        subprocess.run(["redis-cli", "-u", self.redis_url, "flushdb"], check=False, capture_output=True)

    def start(self, name: str, *args: str, **env):
        common = ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        # solo: the task runs in the process the test kills (a prefork child would outlive it).
        argv = ["worker", "--pool=solo", "-n", f"{name}@%h", *common, *args]
        if name == "beat":
            argv = ["beat", "--loglevel=INFO", f"--schedule={self.tmp_path / 'celerybeat-schedule'}"]
        proc, _ = start_celery(self.tmp_path, name, argv, {**self.env, **{k: str(v) for k, v in env.items()}})
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def drain(self, ids=None) -> None:
        self.client.send_task("claims.tasks.drain_outbox", kwargs={"ids": ids}, queue="deliveries")

    def sweep(self) -> None:
        self.client.send_task("claims.tasks.run_deadline_sweep", queue="celery")

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def stop(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # a worker still hung on the test's mail server
                proc.kill()
                proc.wait(timeout=30)


@pytest.fixture
def publish_to(monkeypatch):
    """The test process publishes drains to the workers' broker, as the web process would
    (its own settings run tasks eagerly, in-process)."""

    def use(stack: Stack):
        monkeypatch.setattr(notifications, "request_delivery", lambda ids: stack.drain(ids))

    return use


def test_a_hung_mail_server_does_not_delay_a_due_deadline(build, tmp_path, publish_to):
    hung = HungServer().start()
    stack = Stack(tmp_path, hung.port, EMAIL_TIMEOUT=120)  # hangs for longer than this test lasts
    publish_to(stack)
    try:
        with time_machine.travel(PAST, tick=False):
            first = build.par()
            template = build.par(_m365("template", "onedrive"))
        Claim.objects.filter(pk=template.pk).update(deadline_expired=True)  # only a source of copies
        Notification.objects.update(status="sent")  # emails of the steps before went out then
        stack.start("deadlines", "-Q", "celery")
        stack.start("deliveries", "-Q", "deliveries")
        stack.start("beat")
        wait_for(lambda: Claim.objects.get(pk=first.pk).state == "rejected", what="the sweep to reject the first claim")
        # Its rejection email is now stuck: the delivery worker is connected to a server that never answers.
        wait_for(lambda: len(hung.connections) >= 1, what="the delivery worker to connect to the hung server")
        assert Notification.objects.get(claim=first, kind="claim_rejected").status == "pending"

        (second,) = _clone_due_claims(template, 1)  # due now, while the mail server hangs
        due_since = time.monotonic()
        wait_for(
            lambda: Claim.objects.get(pk=second).state == "rejected",
            timeout=SWEEP_INTERVAL + 7,
            what="the next sweep, which must not wait for the hung mail server",
        )
        assert time.monotonic() - due_since <= SWEEP_INTERVAL + 7
        assert Notification.objects.get(claim=first, kind="claim_rejected").status == "pending"  # still hung
    finally:
        stack.stop()
        hung.stop()


def test_smtp_down_for_longer_than_the_old_limit_then_back_delivers_every_email_once(build, tmp_path, publish_to):
    port = free_port()
    stack = Stack(tmp_path, port, CPOR_OUTBOX_RETRY_BASE_SECONDS=1, CPOR_OUTBOX_RETRY_MAX_SECONDS=1, EMAIL_TIMEOUT=2)
    publish_to(stack)
    sink = SmtpSink(port)
    try:
        stack.start("deliveries", "-Q", "deliveries")
        stack.start("beat")
        for i in range(3):
            build.submitted(_m365(f"M365 {i}", M365_PRODUCTS[i]))
        ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
        assert len(ids) == 3
        # Nothing listens: every email is tried more than the old limit of 10 attempts.
        wait_for(
            lambda: min(Notification.objects.values_list("attempts", flat=True)) > 10,
            timeout=120,
            what="more than 10 failed attempts per email",
        )
        assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
        sink.start()
        wait_for(lambda: Notification.objects.filter(status="sent").count() == 3, what="every email sent once the server is back")
        wait_for(lambda: len(sink.accepted) >= 3, what="the sink to have them")
    finally:
        stack.stop()
        sink.stop()
    assert sink.counts() == {f"<cpor-notification-{pk}@cpor.example>": 1 for pk in ids}


def _m365(name: str, product: str = "teams") -> dict:
    from tests.conftest import m365_data

    return m365_data(name=name, products=[{"product": product}])


def _clone_due_claims(template: Claim, count: int) -> list[int]:
    """`count` copies of a services-built claim, each due now (the sweep reads only the claim row)."""
    columns = [
        f.column
        for f in Claim._meta.concrete_fields
        if f.column not in ("id", "deadline_at", "deadline_expired", "consent_nonce")
    ]
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO claims_claim ({cols}, deadline_at, deadline_expired, consent_nonce) "
            f"SELECT {cols}, %s, false, gen_random_uuid() FROM claims_claim, generate_series(1, %s) "
            "WHERE id = %s RETURNING id",
            [PAST, count, template.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_worker_killed_mid_sweep_loses_nothing_and_doubles_nothing(build, tmp_path, publish_to):
    sink = SmtpSink().start()
    stack = Stack(tmp_path, sink.port, CPOR_SWEEP_BATCH_SIZE=1)
    publish_to(stack)
    try:
        with time_machine.travel(PAST, tick=False):
            template = build.par()
        Notification.objects.update(status="sent")
        ids = _clone_due_claims(template, 600)
        Claim.objects.filter(pk=template.pk).update(deadline_expired=True)
        stack.start("deadlines", "-Q", "celery")
        stack.sweep()
        deadline = time.monotonic() + 90
        while ClaimEvent.objects.filter(claim_id__in=ids, actor_role="system").count() < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        stack.kill("deadlines")
        done_at_kill = ClaimEvent.objects.filter(claim_id__in=ids, actor_role="system").count()
        assert 0 < done_at_kill < len(ids), "the kill must land mid-sweep"
        stack.start("deadlines2", "-Q", "celery")
        stack.sweep()
        wait_for(
            lambda: not Claim.objects.filter(pk__in=ids, deadline_expired=False, state="partner_action_required").exists(),
            what="the restarted worker to finish the sweep",
        )
    finally:
        stack.stop()
        sink.stop()
    events = Counter(ClaimEvent.objects.filter(claim_id__in=ids, actor_role="system").values_list("claim_id", flat=True))
    emails = Counter(Notification.objects.filter(claim_id__in=ids, kind="claim_rejected").values_list("claim_id", flat=True))
    assert events == dict.fromkeys(ids, 1) and emails == dict.fromkeys(ids, 1)
    assert set(Claim.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"rejected"}


def test_a_worker_killed_mid_drain_loses_nothing_and_doubles_nothing(build, tmp_path, publish_to):
    sink = SmtpSink(hold_at=40).start()
    stack = Stack(tmp_path, sink.port, CPOR_OUTBOX_LEASE_SECONDS=3, CPOR_OUTBOX_BATCH_SIZE=500)
    publish_to(stack)
    try:
        claim = build.submitted()
        Notification.objects.all().delete()
        now = datetime.now(UTC)
        rows = [notifications.build("claim_submitted", to=f"p{i}@fabrikam.example", claim=claim, now=now) for i in range(100)]
        Notification.objects.bulk_create(rows)
        ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
        stack.start("deliveries", "-Q", "deliveries")
        stack.drain(ids)
        wait_for(sink.holding.is_set, what="the 40th email to reach the server")
        # Each accepted email is marked as soon as the server said "250" (the drain's other
        # connections are held too, each at its next email).
        wait_for(lambda: Notification.objects.filter(status="sent").count() == 39, what="the first 39 marked sent")
        stack.kill("deliveries")  # between the held messages' data and the server's answer
        sink.release()  # the server refuses them: they were never accepted
        assert len(sink.accepted) == 39
        stack.start("deliveries2", "-Q", "deliveries")
        stack.start("beat")  # the periodic drain takes the killed drain's rows once their lease ends
        wait_for(lambda: Notification.objects.filter(status="sent").count() == 100, what="the rest after the lease")
    finally:
        stack.stop()
        sink.stop()
    assert sink.counts() == {f"<cpor-notification-{pk}@cpor.example>": 1 for pk in ids}
