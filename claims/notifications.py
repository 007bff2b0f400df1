"""The outbox: every email is a row written in the transaction that causes it.

A task delivers it after commit; a periodic job re-sends whatever is still
pending, so a rolled-back change sends nothing and a broker that is down at
commit time loses nothing. Delivery is at-least-once: a crash between the SMTP
send and the commit that marks the row sent can repeat one email.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .choices import NotificationStatus
from .models import Claim, Notification

log = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def claim_url(claim: Claim) -> str:
    return absolute_url(reverse("claims:detail", args=[claim.pk]))


def build(kind: str, *, to: str, claim: Claim | None, context: dict, now: datetime, language: str | None = None) -> Notification:
    """Renders templates/emails/<kind>-subject.txt, -body.txt and -body.html (unsaved row)
    in the recipient's `language` (default: settings.LANGUAGE_CODE)."""
    ctx = {"claim": claim, "claim_url": claim_url(claim) if claim else "", "site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", ctx).split())
        text = render_to_string(f"emails/{kind}-body.txt", ctx)
        html = render_to_string(f"emails/{kind}-body.html", ctx)
    return Notification(kind=kind, claim=claim, to=to, subject=subject[:255], body_text=text, body_html=html, created_at=now)


def enqueue(notifications: list[Notification]) -> list[Notification]:
    """Saves the rows in the caller's transaction and delivers them after it commits."""
    notifications = [n for n in notifications if n.to]
    if not notifications:
        return []
    saved = Notification.objects.bulk_create(notifications)
    ids = [n.pk for n in saved]
    transaction.on_commit(lambda: schedule_delivery(ids), robust=True)
    return saved


def schedule_delivery(ids: list[int]) -> None:
    from .tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification.delay(pk)
        except Exception:  # broker down: the re-send job delivers it later
            log.warning("Could not queue notification %s; the outbox re-send job will deliver it.", pk, exc_info=True)


def deliver(notification_id: int) -> bool:
    """Sends one pending notification. Safe to run twice or concurrently."""
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=NotificationStatus.PENDING)
            .first()
        )
        if n is None:
            return False  # sent already, failed for good, or another worker holds it
        n.attempts += 1
        message = EmailMultiAlternatives(n.subject, n.body_text, settings.DEFAULT_FROM_EMAIL, [n.to])
        if n.body_html:
            message.attach_alternative(n.body_html, "text/html")
        try:
            message.send()
        except Exception as exc:
            n.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if n.attempts >= settings.CPOR_OUTBOX_MAX_ATTEMPTS:
                n.status = NotificationStatus.FAILED
            n.save(update_fields=["attempts", "last_error", "status"])
            log.warning("Notification %s not sent (attempt %s): %s", n.pk, n.attempts, n.last_error)
            return False
        n.status = NotificationStatus.SENT
        n.sent_at = timezone.now()
        n.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return True


def resend_pending(*, now: datetime | None = None, limit: int = 500, grace_seconds: int | None = None) -> int:
    """Delivers pending notifications older than the grace period (by default
    CPOR_OUTBOX_RESEND_AFTER_SECONDS, which leaves fresh ones to their own task).
    Returns how many were sent."""
    now = now or timezone.now()
    if grace_seconds is None:
        grace_seconds = settings.CPOR_OUTBOX_RESEND_AFTER_SECONDS
    cutoff = now - timedelta(seconds=grace_seconds)
    ids = list(
        Notification.objects.filter(status=NotificationStatus.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if deliver(pk))
