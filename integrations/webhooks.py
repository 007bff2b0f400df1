"""Signed webhooks for claim events (Standard Webhooks: webhook-id, webhook-timestamp,
webhook-signature, HMAC-SHA256).

- `write(batch)` subscribes to claim history (claims.events): in the change's transaction it
  maps history rows to webhook events (claims.history) and bulk-inserts one outbox row per
  subscribed endpoint; `schedule` queues their delivery on the "deliveries" queue on commit.
- `deliver(id)` takes a lease on the row, renders and freezes the payload on the first
  attempt, checks the address again (DNS may have changed), posts with a 5 s timeout and no
  redirects, and logs the attempt. Failures back off per CPOR_WEBHOOK_RETRY_SCHEDULE; an
  endpoint without a success for CPOR_WEBHOOK_DISABLE_AFTER_SECONDS is turned off and its
  company's Global admins are emailed.
- `retry_due()` (beat) re-schedules due rows: retries, and rows whose worker died mid-attempt
  (their lease ran out). Leases, backoff (CPOR_WEBHOOK_RETRY_SCHEDULE), giving up and the
  failed rows are the one delivery engine's (claims.delivery), as for emails. Delivery is at-least-once; receivers dedupe on webhook-id and order
  a claim's events by `data.sequence`.

Payloads carry the claim's API representation and the event fields claims.history allows a
partner to read: never the other partner's identity (no company, claim, user or id of the other side).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from collections import defaultdict
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from claims import delivery, events, notifications
from claims.choices import Role
from claims.errors import DomainError
from claims.history import ACTIONS, WEBHOOK_TYPES, webhook_events
from claims.lengths import max_length
from claims.models import Claim, ClaimComment, ClaimEvidence, ClaimProduct, User

from . import ssrf
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# Lazy texts, worded when shown (a clock's length is the setting's at that moment).
# The event types and what each means: declared with the history actions they come from.
EVENT_TYPES = WEBHOOK_TYPES
TEST_EVENT = "webhook.test"
# What an attempt row keeps of the receiver's answer and of an error (its columns' lengths).
EXCERPT_CHARS = max_length(WebhookAttempt, "response_body")
ERROR_CHARS = max_length(WebhookAttempt, "error")


def events_for(row: dict) -> list[tuple[str, dict]]:
    """The webhook events (type, fields) a history row (its EVENT_FIELDS) stands for
    (claims.history: their fields come from the partner-visible details only)."""
    base = {"from_status": row["from_state"] or None, "to_status": row["to_state"] or None, "actor_role": row["actor_role"]}
    return webhook_events(row["action"], row["details"], base)


def new_msg_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def write(batch: events.Batch) -> list[int]:
    """Claim history's subscriber (claims.events): the outbox rows for these history rows, in
    the change's transaction, for every active endpoint of the claim's company subscribed to
    the event type. Set-based: one query when no company of the batch has an endpoint (the
    usual case), else one more to read the rows and one INSERT, whatever the batch's size."""
    if not any(ACTIONS[a].webhooks for a in batch.actions if a in ACTIONS):
        return []
    hooked = WebhookEndpoint.objects.filter(is_active=True).values("company_id")
    found = list(batch.rows().filter(claim__company_id__in=hooked).order_by("pk").values(*EVENT_FIELDS))
    if not found:
        return []
    by_company: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    endpoints = WebhookEndpoint.objects.filter(company_id__in={row["claim__company_id"] for row in found}, is_active=True)
    for endpoint in endpoints.only("id", "company_id", "events"):
        by_company[endpoint.company_id].append(endpoint)
    deliveries = [
        WebhookDelivery(
            endpoint_id=endpoint.pk,
            event_type=kind,
            claim_id=row["claim_id"],
            msg_id=new_msg_id(),
            data=fields,
            next_attempt_at=row["at"],
            created_at=row["at"],
            occurred_at=row["at"],
        )
        for row in found
        for kind, fields in events_for(row)
        for endpoint in by_company.get(row["claim__company_id"], ())
        if kind in endpoint.events
    ]
    return [row.pk for row in WebhookDelivery.objects.bulk_create(deliveries)] if deliveries else []


EVENT_FIELDS = ("id", "claim_id", "claim__company_id", "at", "action", "actor_role", "from_state", "to_state", "details")


def subscribe() -> None:
    events.subscribe("webhooks", write=write, deliver=lambda ids: schedule(ids))


def schedule(ids: list[int]) -> None:
    """Queues a delivery task per row on the "deliveries" queue. A broker that is down loses
    nothing: the rows stay pending and the retry job picks them up."""
    from .tasks import deliver_webhook

    for pk in ids:
        try:
            deliver_webhook.apply_async((pk,), queue="deliveries")
        except Exception:
            log.warning("Could not queue webhook delivery %s; the retry job will send it.", pk, exc_info=True)


# --- rendering and signing ---------------------------------------------------------


def _claim_representation(claim_id: int) -> dict | None:
    from .api import WebhookClaimSerializer

    claim = (
        Claim.objects.select_related("tenant", "mpn")
        .prefetch_related(
            Prefetch("products", queryset=ClaimProduct.objects.select_related("product", "subscription")),
            Prefetch("evidence", queryset=ClaimEvidence.objects.select_related("uploaded_by")),
        )
        .filter(pk=claim_id)
        .first()
    )
    return None if claim is None else WebhookClaimSerializer(claim).data


def render_payload(delivery: WebhookDelivery) -> str:
    """{"type", "timestamp", "data": {sequence, claim_id, event fields, claim}} as sent."""
    data = {"sequence": delivery.pk, "claim_id": delivery.claim_id, **delivery.data}
    if delivery.event_type == "claim.comment_posted" and "comment_id" in data:
        note = ClaimComment.objects.filter(pk=data["comment_id"], claim_id=delivery.claim_id).first()
        if note is not None:
            data["comment"] = {"id": note.pk, "author_role": note.author_role, "kind": note.kind, "body": note.body}
    if delivery.claim_id:
        data["claim"] = _claim_representation(delivery.claim_id)
    body = {"type": delivery.event_type, "timestamp": delivery.occurred_at, "data": data}
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def signature(endpoint: WebhookEndpoint, msg_id: str, at: datetime, body: str) -> str:
    """v1 signatures with the current secret and, during a rotation's overlap, the previous one."""
    signatures = [Webhook(endpoint.secret).sign(msg_id, at, body)]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > at:
        signatures.append(Webhook(endpoint.previous_secret).sign(msg_id, at, body))
    return " ".join(signatures)


# --- delivery ------------------------------------------------------------------------


def _lease() -> timedelta:
    # Longer than any attempt can take, so only a dead worker's row is picked up again.
    return timedelta(seconds=max(settings.CPOR_WEBHOOK_LEASE_SECONDS, settings.CPOR_WEBHOOK_TIMEOUT_SECONDS + 1))


DELIVERIES = delivery.Outbox(
    WebhookDelivery,
    done=DeliveryStatus.DELIVERED,
    name="Webhook delivery",
    policy=delivery.Policy(lease=_lease, wait=delivery.schedule(lambda: settings.CPOR_WEBHOOK_RETRY_SCHEDULE)),
)


def _post(target: ssrf.Target, headers: dict, body: bytes) -> tuple[int | None, str, str, str]:
    """(status, response excerpt, error code, error). Connects to the checked address only,
    with SNI and certificate checks for the URL's host name; never follows redirects."""
    timeout = urllib3.Timeout(total=settings.CPOR_WEBHOOK_TIMEOUT_SECONDS)
    address = target.addresses[0]
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, target.port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
            ca_certs=settings.CPOR_WEBHOOK_CA_BUNDLE,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False, maxsize=1)
    try:
        response = pool.urlopen(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )  # fmt: skip
        try:
            excerpt = response.read(EXCERPT_CHARS, decode_content=False).decode("utf-8", "replace")
        finally:
            response.release_conn()
        return response.status, excerpt[:EXCERPT_CHARS], "", ""
    except urllib3.exceptions.TimeoutError as exc:
        return None, "", "timeout", str(exc)[:ERROR_CHARS]
    except urllib3.exceptions.HTTPError as exc:
        return None, "", "connection_error", f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    finally:
        pool.close()


def _take(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Leases the row for one attempt (pending, due, not held by another worker); renders and
    freezes its payload on the first attempt. A row of an endpoint turned off is failed."""
    if not DELIVERIES.lease(now, limit=1, ids=[delivery_id]):
        return None
    row = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if row.next_attempt_at > now:  # leased by id, but its retry is not due yet
        DELIVERIES.release([row.pk])
        return None
    if not row.endpoint.is_active:
        DELIVERIES.attempt_failed(row, "endpoint turned off", now, give_up=True)
        return None
    if not row.payload:
        row.payload = render_payload(row)
        WebhookDelivery.objects.filter(pk=row.pk).update(payload=row.payload)
    return row


def deliver(delivery_id: int, *, now: datetime | None = None) -> bool:
    """One attempt of one delivery. True when the receiver answered 2xx. Safe to run twice
    or concurrently; no transaction is held during the HTTP call."""
    now = now or timezone.now()
    row = _take(delivery_id, now)
    if row is None:
        return False
    with delivery.logged_as(row.request_id):  # the lines about this row carry its request's id
        return _attempt(row, now)


def _attempt(row: WebhookDelivery, now: datetime) -> bool:
    endpoint = row.endpoint
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "CPOR-Claims-Webhooks/1.0",
        "webhook-id": row.msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(endpoint, row.msg_id, now, row.payload),
    }
    started = time.monotonic()
    try:
        target = ssrf.resolve(endpoint.url)
    except DomainError as exc:
        status, excerpt, error_code, error = None, "", exc.code, exc.errors[0].message
    else:
        status, excerpt, error_code, error = _post(target, headers, row.payload.encode())
    latency = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error_code = "redirect_not_followed" if 300 <= status < 400 else "http_status"
        error = f"HTTP {status}"
    try:
        WebhookAttempt.objects.create(
            delivery=row, at=now, url=endpoint.url[: max_length(WebhookAttempt, "url")], request_headers={k: v for k, v in headers.items() if k != "webhook-signature"},
            status_code=status, response_body=excerpt, latency_ms=latency, error_code=error_code, error=error[:ERROR_CHARS],
        )  # fmt: skip
    except IntegrityError:
        log.info("Webhook delivery %s was removed with its endpoint during the attempt.", row.pk)
        return False
    if ok:
        DELIVERIES.delivered([row.pk], now, delivered_at=now, last_status_code=status)
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(failing_since=None)
    else:
        _failed(row, endpoint, now, status=status, error=(error or error_code)[:ERROR_CHARS])
    log.info("Webhook delivery %s attempt %s: %s", row.pk, row.attempts, "ok" if ok else error or error_code)
    return ok


def _failed(row: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime, *, status: int | None, error: str) -> None:
    """A failed attempt: backed off by the engine; an endpoint failing for too long is turned off."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
        since = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("failing_since", flat=True).first()
        too_long = since is not None and since <= now - timedelta(seconds=settings.CPOR_WEBHOOK_DISABLE_AFTER_SECONDS)
        DELIVERIES.attempt_failed(row, error, now, give_up=too_long, last_status_code=status)
        if too_long:
            disable_failing(endpoint, since=since, now=now)


def disable_failing(endpoint: WebhookEndpoint, *, since: datetime, now: datetime) -> bool:
    """Turns off an endpoint that has failed since `since`; emails the company's Global admins."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason="failing", updated_at=now
    )
    if not changed:
        return False
    WebhookDelivery.objects.filter(endpoint_id=endpoint.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error="endpoint turned off after failing"
    )
    admins = User.objects.filter(company_id=endpoint.company_id, role=Role.GLOBAL_ADMIN, is_active=True).exclude(email="")
    notifications.enqueue(
        [
            notifications.build(
                "webhook_disabled",
                to=admin.email,
                claim=None,
                context={
                    "url": endpoint.url,
                    "failing_since": since,
                    "page_url": notifications.absolute_url(f"/integrations/webhooks/{endpoint.pk}/"),
                },
                now=now,
            )
            for admin in admins
        ]
    )
    return True


def retry_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Schedules every due pending row (retries, and rows whose worker died mid-attempt:
    their lease ran out). Returns how many."""
    ids = list(DELIVERIES.due(now or timezone.now()).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    schedule(ids)
    return len(ids)
