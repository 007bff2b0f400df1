"""The one delivery engine (claims.delivery), through the email outbox against a real mail
server on the loopback: the retry window counts from the first attempt, a backlog goes out
in one run when the server answers again, and a "sent" mark the database could not take at
once is kept and written when it answers, so the email is not sent twice."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError

from claims import delivery, outbox
from claims.models import Notification
from tests.conftest import another_customer, m365_data
from tests.smtp import SmtpSink, free_port

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def smtp(settings):
    port = free_port()
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = SMTP, "127.0.0.1", port, 2
    return port


def _emails(build, n: int) -> list[Notification]:
    with time_machine.travel(T0, tick=False):
        for i in range(n):
            build.submitted(m365_data(name=f"Claim {i}", **another_customer(i)))
    return list(Notification.objects.order_by("pk"))


def test_workers_down_longer_than_the_retry_window_do_not_fail_an_email_at_its_first_attempt(build, smtp, settings):
    (email,) = _emails(build, 1)
    days = settings.CPOR_OUTBOX_RETRY_FOR_SECONDS // 86400
    first = T0 + timedelta(days=days + 1)  # no worker ran until then; the mail server is down too
    with time_machine.travel(first, tick=False):
        assert outbox.drain_all() == 0
    email.refresh_from_db()
    assert (email.status, email.attempts, email.first_attempt_at) == ("pending", 1, first)
    # The window runs from that first attempt: still retried just before it ends, failed after.
    with time_machine.travel(first + timedelta(days=days) - timedelta(minutes=1), tick=False):
        outbox.drain_all()
    email.refresh_from_db()
    assert email.status == "pending"
    with time_machine.travel(first + timedelta(days=days, hours=2), tick=False):
        outbox.drain_all()
    email.refresh_from_db()
    assert email.status == "failed" and email in outbox.failed()


def test_after_the_mail_server_comes_back_one_run_sends_the_whole_backlog(build, smtp, settings):
    settings.CPOR_OUTBOX_BATCH_SIZE = 4
    rows = _emails(build, 10)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert outbox.drain_all() == 0  # down: one email tried, the others released untried
    assert sorted(Notification.objects.values_list("attempts", flat=True)) == [0] * 9 + [1]
    # One recipient the server refuses: a batch of the backlog comes back short of sent, and
    # the run goes on with the next batches all the same.
    Notification.objects.filter(pk=rows[1].pk).update(to="refused@invalid.example")
    sink = SmtpSink(smtp, refuse={"refused@invalid.example"}).start()
    try:
        with time_machine.travel(T0 + timedelta(hours=2), tick=False):
            assert outbox.drain_all() == 9  # one run: 3 batches of 4
    finally:
        sink.stop()
    assert sorted(Notification.objects.values_list("status", flat=True)) == ["pending"] + ["sent"] * 9
    assert sink.counts() == {f"<cpor-notification-{n.pk}@cpor.example>": 1 for n in rows if n.pk != rows[1].pk}


@pytest.mark.django_db(transaction=True)  # the drain runs in autocommit, as in a worker
def test_a_sent_mark_the_database_refuses_is_kept_and_written_when_it_answers(build, smtp, monkeypatch):
    rows = _emails(build, 3)
    write = delivery.Outbox._write_delivered
    refusals = []

    def database_restarting(self, pks, fields, now):
        if len(refusals) < 2:  # the first two writes meet a closed connection
            refusals.append(pks)
            raise OperationalError("server closed the connection unexpectedly")
        return write(self, pks, fields, now)

    monkeypatch.setattr(delivery.Outbox, "_write_delivered", database_restarting)
    sink = SmtpSink(smtp).start()
    try:
        with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
            assert outbox.drain_all() == 3
        later = T0 + timedelta(hours=1)  # long past the lease: a kept mark would have let it go again
        with time_machine.travel(later, tick=False):
            assert outbox.drain_all() == 0
    finally:
        sink.stop()
    assert refusals and set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert sink.counts() == {f"<cpor-notification-{n.pk}@cpor.example>": 1 for n in rows}
