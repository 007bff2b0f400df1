"""Delivers the email outbox: renders each email in its recipient's language and sends it,
through the one delivery engine (claims.delivery: lease, backoff, give-up, failed list).

Runs on the delivery queue only (its own worker in production), so a slow or hung mail
server can never hold a deadline. Every network call has a timeout (EMAIL_TIMEOUT). A batch
is leased, sent over a few SMTP connections (CPOR_OUTBOX_CONNECTIONS; the first must deliver
before the others open), and each email is marked sent as soon as the drain sees the
server's acceptance: a worker killed mid-batch leaves the rest leased, and the next drain
after the lease takes them, so nothing is lost and nothing sent twice (short of a crash of
the worker in the instant between the server's "250 OK" and that mark).

A failed attempt backs off exponentially (CPOR_OUTBOX_RETRY_* settings) for
CPOR_OUTBOX_RETRY_FOR_SECONDS (3 days by default) from the first attempt. Only then is the
email marked failed, logged at ERROR and listed for staff with a "retry" button: nothing is
dropped silently.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from . import delivery, emails, wire
from .choices import InfoRequestReason, NotificationStatus, RejectionReason, WithdrawReason
from .lengths import max_length
from .models import Claim, Notification
from .notifications import claim_url

log = logging.getLogger(__name__)
P = NotificationStatus
SUBJECT_CHARS = max_length(Notification, "subject")

# Errors that say the mail server (not this one email) is unavailable: stop the batch.
SERVER_ERRORS = (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, socket.timeout, ConnectionError, TimeoutError)


def _label(choices, code):
    try:
        return choices(code).label
    except ValueError:
        return code


def _translated_context(n: Notification, context: dict) -> dict:
    """Codes stored in the row become labels in the recipient's language."""
    if n.kind == "claim_rejected" and "reason" in context:
        context["reason"] = _label(RejectionReason, context["reason"])
    if n.kind == "claim_withdrawn" and "reason" in context:
        context["reason"] = _label(WithdrawReason, context["reason"])
    if "reasons" in context and isinstance(context["reasons"], list):
        context["reasons"] = [_label(InfoRequestReason, r) for r in context["reasons"]]
    return context


def render(n: Notification, claim: Claim | None) -> EmailMultiAlternatives:
    language = n.language or settings.LANGUAGE_CODE
    with translation.override(language):
        ctx = _translated_context(n, emails.context(n, claim))
        ctx = {"claim": claim, "claim_url": claim_url(claim) if claim else "", "site_url": settings.SITE_URL, **ctx}
        # One template per email (templates/emails/<kind>.html), one part at a time.
        template = f"emails/{n.kind}.html"
        subject = " ".join(render_to_string(template, {**ctx, "part": "subject"}).split())[:SUBJECT_CHARS]
        text = render_to_string(template, {**ctx, "part": "text"})
        content = mark_safe(render_to_string(template, {**ctx, "part": "html"}))  # rendered with autoescape on
        html = render_to_string("emails/base.html", {**ctx, "content": content})
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [n.to])
    message.attach_alternative(html, "text/html")
    # One stable id per outbox row: a receiving system can recognise a repeat.
    message.extra_headers["Message-ID"] = f"<cpor-notification-{n.pk}@{settings.CPOR_MAIL_ID_DOMAIN}>"
    message.extra_headers["Content-Language"] = language
    return message


EMAILS = delivery.Outbox(
    Notification,
    done=P.SENT,
    name="Email",
    policy=delivery.Policy(
        lease=lambda: timedelta(seconds=settings.CPOR_OUTBOX_LEASE_SECONDS),
        wait=delivery.exponential(
            lambda: settings.CPOR_OUTBOX_RETRY_BASE_SECONDS, lambda: settings.CPOR_OUTBOX_RETRY_MAX_SECONDS
        ),
        window=lambda: timedelta(seconds=settings.CPOR_OUTBOX_RETRY_FOR_SECONDS),
    ),
)


class _Senders:
    """A few connections to the mail server, each talked to by its own thread, all taking
    the rendered emails from one queue. A mail server answers each command after a round
    trip; several connections keep it busy while the drain renders the next emails. The
    first connection goes alone until the server has accepted an email: a server that is
    down or hung costs one connection attempt per drain, not one per connection. The
    threads never touch the database: the drain marks each result as it comes back."""

    def __init__(self, count: int) -> None:
        self.inbox: queue.Queue = queue.Queue()
        self.results: queue.Queue = queue.Queue()
        self.server_down = threading.Event()
        self.count = max(count, 1)
        self.threads: list[threading.Thread] = []
        self.stopping = False

    def _add(self) -> None:
        thread = threading.Thread(target=self._run, daemon=True, name=f"outbox-sender-{len(self.threads)}")
        self.threads.append(thread)
        thread.start()

    def start(self) -> None:
        self._add()

    def grow(self) -> None:
        """The server accepted an email: open the other connections."""
        while len(self.threads) < self.count and not (self.server_down.is_set() or self.stopping):
            self._add()

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True  # every thread started gets its end-of-work marker
        for _ in self.threads:
            self.inbox.put(None)
        for thread in self.threads:
            thread.join()

    def _run(self) -> None:
        smtp = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        try:
            while (item := self.inbox.get()) is not None:
                n, message = item
                if self.server_down.is_set():
                    self.results.put((n, message, None, "skipped"))
                    continue
                try:
                    # Opened once, before this connection's first email: send_messages
                    # would otherwise open and close a connection per call.
                    smtp.open()
                    if isinstance(smtp, SmtpBackend):
                        # The bytes written directly (claims/wire.py), over the backend's own
                        # connection (its TLS, login and timeout settings).
                        sender, recipients = wire.envelope(message)
                        smtp.connection.sendmail(sender, recipients, wire.message_bytes(message))
                    elif not smtp.send_messages([message]):  # console, file and test backends: Django's path
                        raise smtplib.SMTPException("the mail backend did not send the message")
                except SERVER_ERRORS as exc:
                    self.server_down.set()  # down or hung: the rest wait for their next drain
                    self.results.put((n, message, exc, "server"))
                except Exception as exc:  # this message refused (recipient, size): the others go on
                    self.results.put((n, message, exc, "message"))
                else:
                    self.results.put((n, message, None, "sent"))
        finally:
            try:
                smtp.close()
            except Exception:  # closing a dead connection must not hide what was sent
                log.debug("closing the SMTP connection failed", exc_info=True)


class _Batch:
    """One leased batch on its way out: rendered here, sent by the senders' threads, each
    result marked as soon as it comes back."""

    def __init__(self, rows: list[Notification]) -> None:
        self.rows = rows
        # The templates read the claim's company and tenant names.
        self.claims = Claim.objects.select_related("company", "tenant").in_bulk({n.claim_id for n in rows if n.claim_id})
        self.senders = _Senders(min(settings.CPOR_OUTBOX_CONNECTIONS, len(rows)))
        self.ahead = 2 * self.senders.count  # emails rendered and waiting for a free connection
        self.sent, self.in_flight, self.not_tried = 0, 0, []
        # Logged when the batch ends: one line per request that wrote them, with its id.
        self.sent_by_request: dict[str, list[int]] = {}

    def settle(self, *, wait_one: bool = False, wait_all: bool = False) -> None:
        """Marks the results that came back (waiting for one, or for all, if asked): the sent
        ones as soon as the drain sees them, so a worker killed a moment later sends none of
        them again."""
        accepted: dict[int, str] = {}  # marked together, in one UPDATE, as soon as they are seen
        while self.in_flight:
            try:
                n, message, exc, outcome = self.senders.results.get(block=wait_one or wait_all)
            except queue.Empty:
                break
            self.in_flight -= 1
            wait_one = False
            now = timezone.now()
            if outcome == "sent":
                accepted[n.pk] = message.subject[:SUBJECT_CHARS]
                self.sent_by_request.setdefault(n.request_id, []).append(n.pk)
                self.sent += 1
                self.senders.grow()
            elif outcome == "skipped":
                self.not_tried.append(n.pk)
            else:
                EMAILS.attempt_failed(n, f"{type(exc).__name__}: {exc}", now, subject=message.subject[:SUBJECT_CHARS])
        if accepted:
            now = timezone.now()
            EMAILS.delivered(list(accepted), now, sent_at=now, per_row={"subject": accepted})

    def send(self) -> None:
        senders = self.senders
        senders.start()
        with delivery.relaxed_commits():
            try:
                for i, n in enumerate(self.rows):
                    if senders.server_down.is_set():
                        self.not_tried.extend(m.pk for m in self.rows[i:])
                        break
                    try:
                        message = render(n, self.claims.get(n.claim_id))
                    except Exception as exc:  # a template error is this email's problem, not the server's
                        with delivery.logged_as(n.request_id):
                            log.exception("Email %s could not be rendered", n.pk)
                        EMAILS.attempt_failed(n, f"render: {type(exc).__name__}: {exc}", timezone.now())
                        continue
                    senders.inbox.put((n, message))
                    self.in_flight += 1
                    self.settle(wait_one=self.in_flight >= self.ahead)
            finally:
                senders.stop()
                self.settle(wait_all=True)
                EMAILS.release(self.not_tried)
                for request_id, pks in self.sent_by_request.items():
                    with delivery.logged_as(request_id):
                        log.info("Email %s sent", ", ".join(map(str, pks)))


def _drain(*, batch_size: int, now: datetime, ids: list[int] | None) -> tuple[int, int, bool]:
    """One batch: (emails leased, emails sent, whether the mail server was found down)."""
    taken = EMAILS.lease(now, limit=batch_size, ids=ids)
    if not taken:
        return 0, 0, False
    # Each email's history row is read with it: what the email says comes from there.
    batch = _Batch(list(Notification.objects.filter(pk__in=taken).select_related("event").order_by("next_attempt_at", "pk")))
    batch.send()
    return len(taken), batch.sent, batch.senders.server_down.is_set()


def drain(*, batch_size: int | None = None, now: datetime | None = None, ids: list[int] | None = None) -> int:
    """Sends one batch of due emails (of `ids` only, if given) over a few SMTP connections
    (CPOR_OUTBOX_CONNECTIONS, never more than the batch has emails). Returns how many were sent."""
    return _drain(batch_size=batch_size or settings.CPOR_OUTBOX_BATCH_SIZE, now=now or timezone.now(), ids=ids)[1]


def drain_all(*, batch_size: int | None = None, max_batches: int = 1000, ids: list[int] | None = None) -> int:
    """Drains batch after batch while full batches come (a backlog goes out in one run, even
    when some of its emails are refused) and the mail server answers. Returns how many were sent."""
    total = 0
    size = batch_size or settings.CPOR_OUTBOX_BATCH_SIZE
    for _ in range(max_batches):
        leased, sent, server_down = _drain(batch_size=size, now=timezone.now(), ids=ids)
        total += sent
        if server_down or leased < size:
            break
    return total


def retry(*, notification_ids: list[int], now: datetime | None = None) -> int:
    """Staff's "retry" on failed emails: pending again, due now, with a fresh retry window."""
    return EMAILS.retry(notification_ids, now=now)


def failed():
    return EMAILS.failed().select_related("claim")


def failed_count() -> int:
    """How many emails were given up: the number beside the failed-emails link in the
    reviewers' header. One COUNT over the partial index of failed rows."""
    return EMAILS.failed().order_by().count()
