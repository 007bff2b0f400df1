"""Notifications are outbox rows: rolled back with their change, never lost with the
broker, rendered by the delivering worker, retried with backoff for days, never dropped."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import current_app
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import override_settings
from django.utils import formats, timezone

from claims import outbox, services
from claims.models import Notification
from claims.notifications import DRAIN_TASK
from tests.conftest import m365_data

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# One company may hold one live claim per customer and product: one product per claim.
M365_PRODUCTS = ["teams", "intune", "exchange_online", "sharepoint_online", "onedrive"]


def test_a_rolled_back_change_sends_nothing(build, django_capture_on_commit_callbacks, mailoutbox):
    claim = build.editing()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.claim_submit(claim=claim, actor=build.partner)
                raise RuntimeError("the request failed after the service")
    assert Notification.objects.count() == 0 and mailoutbox == [] and callbacks == []
    claim.refresh_from_db()
    assert claim.state == "editing"


def test_the_row_stores_what_to_render_and_the_worker_renders_it(build, mailoutbox):
    claim = build.submitted()
    n = Notification.objects.get()
    assert (n.kind, n.subject, n.status, n.context) == ("claim_submitted", "", "pending", {})
    # The row points at the history row it is about; what the email says is read from there.
    assert n.event.action == "submitted" and n.event.claim_id == claim.pk
    assert n.event.details["clock_ends_at"] == claim.deadline_at.isoformat()
    assert outbox.drain() == 1
    n.refresh_from_db()
    assert n.status == "sent" and n.attempts == 1 and n.subject == mailoutbox[0].subject
    review_by = formats.date_format(timezone.localtime(claim.deadline_at), "DATETIME_FORMAT")
    assert f"A reviewer will start the review by {review_by}" in mailoutbox[0].body
    assert "submitted" in n.subject and mailoutbox[0].extra_headers["Message-ID"] == f"<cpor-notification-{n.pk}@cpor.example>"


def test_with_the_broker_down_the_email_waits_in_the_outbox_and_the_periodic_drain_sends_it(
    build, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(current_app.tasks[DRAIN_TASK], "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.submitted()  # commit succeeds although the drain cannot be queued
    assert claim.state == "submitted"
    assert Notification.objects.get().status == "pending" and mailoutbox == []
    assert outbox.drain_all() == 1
    assert len(mailoutbox) == 1 and Notification.objects.get().status == "sent"


def test_a_commit_publishes_one_drain_however_many_emails(build, django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(current_app.tasks[DRAIN_TASK], "apply_async", lambda *a, **kw: published.append(kw))
    claim = build.under_review()
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        from reviews import services as review

        review.review_approve(claim=claim, reviewer=build.reviewer)  # the partner's and the customer's email
    assert Notification.objects.filter(kind__in=["claim_approved", "consent_request"]).count() == 2
    ids = sorted(Notification.objects.filter(kind__in=["claim_approved", "consent_request"]).values_list("pk", flat=True))
    assert published == [{"kwargs": {"ids": ids}, "queue": "deliveries"}]


def test_delivery_is_idempotent(build):
    build.submitted()
    assert outbox.drain() == 1
    assert outbox.drain() == 0
    assert len(mail.outbox) == 1


def test_a_leased_row_is_left_to_its_drain_until_the_lease_ends(build):
    with time_machine.travel(T0, tick=False):  # written at T0: due from T0, whatever today's date
        build.submitted()
    with time_machine.travel(T0, tick=False):
        taken = outbox.EMAILS.lease(T0, limit=10)  # a drain that was killed after taking the batch
        assert [n.kind for n in Notification.objects.filter(pk__in=taken)] == ["claim_submitted"]
        assert outbox.drain(now=T0) == 0 and mail.outbox == []
    later = T0 + timedelta(seconds=301)
    with time_machine.travel(later, tick=False):
        assert outbox.drain(now=later) == 1 and len(mail.outbox) == 1


class FailingBackend(BaseEmailBackend):
    calls = 0

    def send_messages(self, messages):
        FailingBackend.calls += 1
        raise ConnectionRefusedError("SMTP down")


@override_settings(EMAIL_BACKEND="tests.claims.test_outbox.FailingBackend")
def test_a_failing_mail_server_is_retried_with_backoff_for_three_days_then_listed_as_failed(build, caplog):
    with time_machine.travel(T0, tick=False):
        build.submitted()
        n = Notification.objects.get()
    now, attempts, delays = T0, 0, []
    while True:
        with time_machine.travel(now, tick=False):
            assert outbox.drain(now=now) == 0
        n.refresh_from_db()
        attempts += 1
        assert n.attempts == attempts and "SMTP down" in n.last_error
        if n.status == "failed":
            break
        delays.append((n.next_attempt_at - now).total_seconds())
        with time_machine.travel(n.next_attempt_at - timedelta(seconds=1), tick=False):
            assert outbox.drain(now=n.next_attempt_at - timedelta(seconds=1)) == 0  # not due yet: not tried
        now = n.next_attempt_at
    assert delays[:4] == [60, 120, 240, 480] and max(delays) == 3600  # exponential, capped at an hour
    assert now >= T0 + timedelta(days=3) and attempts > 10  # the old limit (10 attempts) lost it after ~10 minutes
    assert list(outbox.failed()) == [n]
    assert any(r.levelname == "ERROR" and f"Email {n.pk}" in r.getMessage() for r in caplog.records)
    # Staff press "retry" once the server is back: it is sent, once.
    assert outbox.retry(notification_ids=[n.pk], now=now) == 1
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        assert outbox.drain(now=now) == 1 and outbox.drain(now=now) == 0
    assert len(mail.outbox) == 1


def test_a_server_error_stops_the_batch_and_leaves_the_rest_for_the_next_drain(build, settings):
    for i in range(3):
        build.submitted(m365_data(name=f"M365 {i}", products=[{"product": M365_PRODUCTS[i]}]))
    settings.EMAIL_BACKEND = "tests.claims.test_outbox.FailingBackend"
    FailingBackend.calls = 0
    assert outbox.drain() == 0
    assert FailingBackend.calls == 1  # one refused connection, not one per email
    rows = list(Notification.objects.order_by("pk"))
    assert [r.attempts for r in rows] == [1, 0, 0] and all(r.locked_until is None for r in rows)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.drain() == 2  # the two untried ones are due; the failed one waits for its backoff
    assert len(mail.outbox) == 2


def test_emails_have_text_and_html_and_link_to_the_claim(build, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.submitted()
    (message,) = mailoutbox
    assert f"http://testserver/claims/{claim.pk}/" in message.body
    assert message.alternatives[0][1] == "text/html" and f"/claims/{claim.pk}/" in message.alternatives[0][0]
    assert "&quot;" not in message.body and "&quot;" not in message.subject


def test_run_deadlines_command_runs_the_sweep_and_the_drain(build, capsys):
    from django.core.management import call_command

    build.submitted()
    call_command("run_deadlines")
    assert "Deadline sweep: 0 claim(s) handled. Outbox: 1 notification(s) sent." in capsys.readouterr().out
