"""Delivers the outbox: renders each email in its recipient's language and sends it.

Runs on the delivery queue only (its own worker in production), so a slow or
hung mail server can never hold a deadline. Every network call has a timeout
(EMAIL_TIMEOUT). A batch is leased (SKIP LOCKED, then `locked_until`), sent over a
few SMTP connections (CPOR_OUTBOX_CONNECTIONS; the first must deliver before the
others open), and each email is marked sent as soon as the drain sees the server's
acceptance (those that came back together in one commit): a worker killed mid-batch
leaves the rest leased, and the next drain after the lease takes them, so nothing is
lost and nothing sent twice (short of a crash in the instant between the server's
"250 OK" and that commit).

A failed attempt backs off exponentially (CPOR_OUTBOX_RETRY_* settings) and is
retried for CPOR_OUTBOX_RETRY_FOR_SECONDS (3 days by default). Only then is the
email marked failed, logged at ERROR and listed for staff with a "retry" button:
nothing is dropped silently.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import socket
import threading
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import emails, wire
from .choices import InfoRequestReason, NotificationStatus, RejectionReason, WithdrawReason
from .models import Claim, Notification
from .notifications import claim_url, give_up_at

log = logging.getLogger(__name__)
P = NotificationStatus

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
        subject = " ".join(render_to_string(f"emails/{n.kind}-subject.txt", ctx).split())[:255]
        text = render_to_string(f"emails/{n.kind}-body.txt", ctx)
        html = render_to_string(f"emails/{n.kind}-body.html", ctx)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [n.to])
    message.attach_alternative(html, "text/html")
    # One stable id per outbox row: a receiving system can recognise a repeat.
    message.extra_headers["Message-ID"] = f"<cpor-notification-{n.pk}@{settings.CPOR_MAIL_ID_DOMAIN}>"
    message.extra_headers["Content-Language"] = language
    return message


def backoff(attempts: int) -> timedelta:
    seconds = settings.CPOR_OUTBOX_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.CPOR_OUTBOX_RETRY_MAX_SECONDS))


def _free(now: datetime) -> Q:
    return Q(status=P.PENDING) & (Q(locked_until__isnull=True) | Q(locked_until__lte=now))


def due(now: datetime):
    """What a periodic drain may take: pending, its next attempt due, not leased by a
    live drain. Served by the partial index notification_due_idx (pending rows only)."""
    return Notification.objects.filter(_free(now), next_attempt_at__lte=now)


def _lease(now: datetime, batch_size: int, only: list[int] | None = None) -> list[Notification]:
    lease_until = now + timedelta(seconds=settings.CPOR_OUTBOX_LEASE_SECONDS)
    # Rows named by id were just committed: they go now, whatever their stored time says.
    rows = due(now) if only is None else Notification.objects.filter(_free(now), pk__in=only)
    with transaction.atomic():
        ids = list(
            rows.select_for_update(skip_locked=True).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return []
        Notification.objects.filter(pk__in=ids).update(locked_until=lease_until)
    # Each email's history row is read with it: what the email says comes from there.
    return list(Notification.objects.filter(pk__in=ids).select_related("event").order_by("next_attempt_at", "pk"))


@lru_cache(maxsize=1)
def _columns() -> dict[str, str]:
    meta, q = Notification._meta, connection.ops.quote_name
    names = ("status", "sent_at", "subject", "attempts", "last_error", "locked_until")
    return {"table": q(meta.db_table), "pk": q(meta.pk.column), **{n: q(meta.get_field(n).column) for n in names}}


def _mark_sent(sent: list[tuple[Notification, str]], now: datetime) -> None:
    """Marks the emails the server just accepted, in one autocommitted UPDATE: the drain runs
    with synchronous_commit off (see _fast_commits), so this costs no WAL flush. It runs once
    per handful of emails, so it is written once from the model's own names rather than
    compiled through the ORM each time (which cost more than running it)."""
    if not sent:
        return
    c = _columns()
    cases = " ".join(["WHEN %s THEN %s"] * len(sent))
    params: list = [str(P.SENT), connection.ops.adapt_datetimefield_value(now)]
    for n, subject in sent:
        params += [n.pk, subject[:255]]
    params += [n.pk for n, _subject in sent]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {c['table']} SET {c['status']} = %s, {c['sent_at']} = %s, "
            f"{c['subject']} = CASE {c['pk']} {cases} END, {c['attempts']} = {c['attempts']} + 1, "
            f"{c['last_error']} = '', {c['locked_until']} = NULL "
            f"WHERE {c['pk']} IN ({', '.join(['%s'] * len(sent))})",
            params,
        )


class _fast_commits:
    """Only a crash of the database itself could lose a mark made with synchronous_commit
    off, and that re-sends one email rather than losing it: worth a WAL flush per email."""

    def __enter__(self):
        self.on = connection.vendor == "postgresql" and connection.get_autocommit()
        if self.on:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")

    def __exit__(self, *exc):
        if self.on:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _mark_failed_attempt(n: Notification, error: str, now: datetime) -> None:
    attempts = n.attempts + 1
    gave_up = now >= n.give_up_at
    Notification.objects.filter(pk=n.pk).update(
        attempts=attempts,
        last_error=error[:2000],
        last_attempt_at=now,
        next_attempt_at=now + backoff(attempts),
        locked_until=None,
        status=P.FAILED if gave_up else P.PENDING,
    )
    if gave_up:
        log.error(
            "Email %s (%s to %s) given up after %s attempts since %s: %s. Retry it from /review/outbox/.",
            n.pk,
            n.kind,
            n.to,
            attempts,
            n.created_at.isoformat(),
            error,
        )
    else:
        log.warning("Email %s not sent (attempt %s), next try at %s: %s", n.pk, attempts, now + backoff(attempts), error)


def _release(rows: list[Notification]) -> None:
    if rows:
        Notification.objects.filter(pk__in=[n.pk for n in rows], status=P.PENDING).update(locked_until=None)


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
                    else:  # the console, file or test backends keep Django's own path
                        message.connection = smtp
                        smtp.send_messages([message])
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


def drain(*, batch_size: int | None = None, now: datetime | None = None, ids: list[int] | None = None) -> int:
    """Sends one batch of due emails (of `ids` only, if given) over a few SMTP connections
    (CPOR_OUTBOX_CONNECTIONS, never more than the batch has emails). Returns how many were sent."""
    now = now or timezone.now()
    batch = _lease(now, batch_size or settings.CPOR_OUTBOX_BATCH_SIZE, ids)
    if not batch:
        return 0
    # The templates read the claim's company and tenant names.
    claims = Claim.objects.select_related("company", "tenant").in_bulk({n.claim_id for n in batch if n.claim_id})
    senders = _Senders(min(settings.CPOR_OUTBOX_CONNECTIONS, len(batch)))
    ahead = 2 * senders.count  # emails rendered and waiting for a free connection
    sent, in_flight, not_tried = 0, 0, []

    def settle(*, wait_one: bool = False, wait_all: bool = False) -> None:
        """Marks the results that came back (waiting for one, or for all, if asked): the sent
        ones in one UPDATE as soon as the drain sees them, so a worker killed a moment later
        sends none of them again."""
        nonlocal sent, in_flight
        accepted: list[tuple[Notification, str]] = []
        while in_flight:
            try:
                n, message, exc, outcome = senders.results.get(block=wait_one or wait_all)
            except queue.Empty:
                break
            in_flight -= 1
            wait_one = False
            if outcome == "sent":
                accepted.append((n, message.subject))
                senders.grow()
            elif outcome == "skipped":
                not_tried.append(n)
            else:
                _mark_failed_attempt(n, f"{type(exc).__name__}: {exc}", timezone.now())
        _mark_sent(accepted, timezone.now())
        sent += len(accepted)

    with _fast_commits():
        senders.start()
        try:
            for i, n in enumerate(batch):
                if senders.server_down.is_set():
                    not_tried.extend(batch[i:])
                    break
                try:
                    message = render(n, claims.get(n.claim_id))
                except Exception as exc:  # a template error is this email's problem, not the server's
                    log.exception("Email %s could not be rendered", n.pk)
                    _mark_failed_attempt(n, f"render: {type(exc).__name__}: {exc}", timezone.now())
                    continue
                senders.inbox.put((n, message))
                in_flight += 1
                settle(wait_one=in_flight >= ahead)
        finally:
            senders.stop()
            settle(wait_all=True)
            _release(not_tried)
    return sent


def drain_all(*, batch_size: int | None = None, max_batches: int = 1000, ids: list[int] | None = None) -> int:
    """Drains batch after batch until one comes back empty or short of a full batch."""
    total = 0
    size = batch_size or settings.CPOR_OUTBOX_BATCH_SIZE
    for _ in range(max_batches):
        sent = drain(batch_size=size, ids=ids)
        total += sent
        if sent < size:
            break
    return total


def retry(*, notification_ids: list[int], now: datetime | None = None) -> int:
    """Staff's "retry" on failed emails: pending again, due now, with a fresh retry period."""
    now = now or timezone.now()
    return Notification.objects.filter(pk__in=notification_ids, status=P.FAILED).update(
        status=P.PENDING, next_attempt_at=now, give_up_at=give_up_at(now), locked_until=None
    )


def failed():
    return Notification.objects.filter(status=P.FAILED).select_related("claim").order_by("-last_attempt_at", "-pk")
