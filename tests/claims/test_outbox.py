"""Notifications are outbox rows: rolled back with their change, never lost with the broker."""

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import override_settings

from claims import notifications
from claims.models import Notification
from claims.tasks import deliver_notification


def test_a_rolled_back_change_sends_nothing(build, django_capture_on_commit_callbacks, mailoutbox):
    claim = build.editing()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                from claims import services

                services.claim_submit(claim=claim, actor=build.partner)
                raise RuntimeError("the request failed after the service")
    assert Notification.objects.count() == 0 and mailoutbox == [] and callbacks == []
    claim.refresh_from_db()
    assert claim.state == "editing"


def test_with_the_broker_down_the_email_waits_in_the_outbox_and_the_resend_job_sends_it(
    build, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(deliver_notification, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.submitted()  # commit succeeds although the task cannot be queued
    assert claim.state == "submitted"
    pending = Notification.objects.get()
    assert pending.status == "pending" and mailoutbox == []
    assert notifications.resend_pending(grace_seconds=0) == 1
    assert [m.subject for m in mailoutbox] == [pending.subject]
    pending.refresh_from_db()
    assert pending.status == "sent" and pending.attempts == 1


def test_delivery_is_idempotent(build):
    build.submitted()
    n = Notification.objects.get()
    assert notifications.deliver(n.pk) is True
    assert notifications.deliver(n.pk) is False
    assert len(mail.outbox) == 1


def test_the_resend_job_leaves_fresh_messages_to_their_own_task(build):
    build.submitted()
    assert notifications.resend_pending() == 0
    assert Notification.objects.get().status == "pending"


@override_settings(EMAIL_BACKEND="tests.claims.test_outbox.FailingBackend", CPOR_OUTBOX_MAX_ATTEMPTS=2)
def test_a_failing_mail_server_is_retried_then_marked_failed(build):
    build.submitted()
    n = Notification.objects.get()
    assert notifications.deliver(n.pk) is False
    n.refresh_from_db()
    assert (n.status, n.attempts) == ("pending", 1) and "SMTP down" in n.last_error
    assert notifications.deliver(n.pk) is False
    n.refresh_from_db()
    assert (n.status, n.attempts) == ("failed", 2)


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise OSError("SMTP down")


def test_emails_have_text_and_html_and_link_to_the_claim(build, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.submitted()
    (message,) = mailoutbox
    assert f"http://testserver/claims/{claim.pk}/" in message.body
    assert message.alternatives[0][1] == "text/html" and f"/claims/{claim.pk}/" in message.alternatives[0][0]
    assert "&quot;" not in message.body and "&quot;" not in message.subject


def test_run_deadlines_command_runs_the_sweep_and_the_resend(build, capsys):
    from django.core.management import call_command

    build.submitted()
    call_command("run_deadlines", "--all-pending")
    assert "Deadline sweep: 0 claim(s) handled. Outbox: 1 notification(s) sent." in capsys.readouterr().out
