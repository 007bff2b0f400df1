"""The outbox against real mail servers on the loopback: one that hangs, one that is
down for longer than the old attempt limit and then comes back."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from claims import outbox
from claims.models import Notification
from tests.conftest import m365_data
from tests.smtp import HungServer, SmtpSink, free_port

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SMTP = "django.core.mail.backends.smtp.EmailBackend"

# One company may hold one live claim per customer and product: one product per claim.
M365_PRODUCTS = ["teams", "intune", "exchange_online", "sharepoint_online", "onedrive"]


@pytest.fixture
def hung():
    server = HungServer().start()
    yield server
    server.stop()


def test_a_hung_mail_server_costs_one_timeout_not_a_stuck_worker(build, settings, hung):
    build.submitted()
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = SMTP, "127.0.0.1", hung.port, 1
    started = time.monotonic()
    assert outbox.drain() == 0
    elapsed = time.monotonic() - started
    n = Notification.objects.get()
    assert n.status == "pending" and n.attempts == 1 and "timed out" in n.last_error
    assert n.next_attempt_at > n.created_at and n.locked_until is None
    assert len(hung.connections) == 1 and elapsed < 5  # EMAIL_TIMEOUT=1, not forever


def test_smtp_down_longer_than_the_old_attempt_limit_then_back_sends_every_email_exactly_once(build, settings):
    port = free_port()
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = SMTP, "127.0.0.1", port, 2
    with time_machine.travel(T0, tick=False):
        for i in range(5):
            build.submitted(m365_data(name=f"M365 {i}", products=[{"product": M365_PRODUCTS[i]}]))
    rows = list(Notification.objects.order_by("pk"))
    assert len(rows) == 5
    # Nothing listens on the port for 8 hours of drains every 5 minutes (the old outbox
    # failed an email for good after 10 attempts).
    now = T0
    while now < T0 + timedelta(hours=8):
        with time_machine.travel(now, tick=False):
            assert outbox.drain_all() == 0
        now += timedelta(minutes=5)
    attempts = list(Notification.objects.order_by("pk").values_list("attempts", flat=True))
    assert all(a >= 1 for a in attempts) and max(attempts) > 10
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
    sink = SmtpSink(port).start()
    try:
        later = now + timedelta(hours=2)  # every backoff has come due
        with time_machine.travel(later, tick=False):
            assert outbox.drain_all() == 5
            assert outbox.drain_all() == 0
    finally:
        sink.stop()
    assert sink.counts() == {f"<cpor-notification-{n.pk}@cpor.example>": 1 for n in rows}
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
