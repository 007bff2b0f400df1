"""Every write of integrations: webhook endpoints and deliveries. Imports are in the imports package.

Only a company's Global admins manage its endpoints (`global_admin_only`, 403); another
company's endpoint is not found (404).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from claims.choices import Role
from claims.errors import DomainError, ErrorCollector
from claims.lengths import max_length
from claims.models import User
from cpor import ratelimit

from . import ssrf, webhooks
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS = 20


def require_global_admin(actor: User) -> None:
    if not (actor.is_partner and actor.role == Role.GLOBAL_ADMIN):
        raise DomainError.of("global_admin_only")


def require_own(actor: User, endpoint: WebhookEndpoint) -> None:
    if endpoint.company_id != actor.company_id:
        raise DomainError.of("webhook_not_found")
    require_global_admin(actor)


def _check_events(errors: ErrorCollector, events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        errors.add("events_required", "events")
        return []
    if any(e not in webhooks.EVENT_TYPES for e in events):
        errors.add("unknown_event", "events")
        return []
    return [e for e in webhooks.EVENT_TYPES if e in events]  # canonical order, no repeats


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > max_length(WebhookEndpoint, "url"):
        raise DomainError.of("too_long", "url", max=max_length(WebhookEndpoint, "url"))
    ssrf.resolve(url)
    return url


def endpoint_create(*, actor: User, url: str, events: list[str], description: str = "") -> tuple[WebhookEndpoint, str]:
    """Registers an endpoint. Returns it with its secret, which is shown this once.

    Refusals: global_admin_only, invalid_url, url_not_https, url_has_credentials,
    host_unresolvable, address_not_allowed, events_required, unknown_event, too_many_endpoints.
    """
    require_global_admin(actor)
    errors = ErrorCollector()
    events = _check_events(errors, events)
    errors.raise_if_any()
    url = _check_url(url)
    now = timezone.now()
    with transaction.atomic():
        if WebhookEndpoint.objects.filter(company_id=actor.company_id).count() >= MAX_ENDPOINTS:
            raise DomainError.of("too_many_endpoints", max=MAX_ENDPOINTS)
        secret = webhooks.new_secret()
        endpoint = WebhookEndpoint.objects.create(
            company_id=actor.company_id, url=url, description=(description or "").strip()[: max_length(WebhookEndpoint, "description")], events=events,
            secret=secret, created_by=actor, created_at=now, updated_at=now,
        )  # fmt: skip
    return endpoint, secret


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: User,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Changes what is given. A new URL is checked like a new endpoint; turning an endpoint
    on again forgets its failures."""
    require_own(actor, endpoint)
    errors = ErrorCollector()
    if events is not None:
        events = _check_events(errors, events)
    errors.raise_if_any()
    if url is not None and url.strip() != endpoint.url:
        url = _check_url(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if url is not None:
            endpoint.url = url.strip()
        if events is not None:
            endpoint.events = events
        if description is not None:
            endpoint.description = description.strip()[: max_length(WebhookEndpoint, "description")]
        if is_active is not None and is_active != endpoint.is_active:
            endpoint.is_active = is_active
            endpoint.disabled_reason = "" if is_active else "by_admin"
            endpoint.failing_since = None
        endpoint.updated_at = timezone.now()
        endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    require_own(actor, endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: User) -> tuple[WebhookEndpoint, str]:
    """A new secret, shown once. The previous one keeps signing too (a second v1 signature)
    for CPOR_WEBHOOK_SECRET_OVERLAP_HOURS, so receivers can switch without losing events."""
    require_own(actor, endpoint)
    now = timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(hours=settings.CPOR_WEBHOOK_SECRET_OVERLAP_HOURS)
        endpoint.secret = webhooks.new_secret()
        endpoint.updated_at = now
        endpoint.save()
    return endpoint, endpoint.secret


def throttle(endpoint: WebhookEndpoint) -> None:
    """Tests and redeliveries, which people send by hand, are counted per endpoint:
    CPOR_WEBHOOK_ACTIONS_PER_MINUTE, then `webhook_action_throttled` (429, with the seconds
    to wait) until the minute is over, in the pages and the API alike."""
    wait = ratelimit.hit(f"webhook-actions:{endpoint.pk}", limit=settings.CPOR_WEBHOOK_ACTIONS_PER_MINUTE, window=60)
    if wait:
        raise DomainError.of("webhook_action_throttled", seconds=wait)


def endpoint_send_test(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """Queues a signed `webhook.test` event to the endpoint (logged like any delivery)."""
    require_own(actor, endpoint)
    if not endpoint.is_active:
        raise DomainError.of("endpoint_disabled")
    throttle(endpoint)
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type=webhooks.TEST_EVENT, claim=None, msg_id=webhooks.new_msg_id(),
            data={"message": "This is a test event from CPOR Claims."}, next_attempt_at=now, created_at=now, occurred_at=now,
        )  # fmt: skip
        transaction.on_commit(lambda: webhooks.schedule([delivery.pk]), robust=True)
    return delivery


def delivery_redeliver(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """Sends a delivery again (same webhook-id and body, so receivers can dedupe), whatever
    its status. The endpoint must be on."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        require_own(actor, delivery.endpoint)
        if not delivery.endpoint.is_active:
            raise DomainError.of("endpoint_disabled")
        throttle(delivery.endpoint)
        webhooks.DELIVERIES.retry([delivery.pk], statuses=tuple(DeliveryStatus.values))
        delivery.refresh_from_db()
        transaction.on_commit(lambda: webhooks.schedule([delivery.pk]), robust=True)
    return delivery
