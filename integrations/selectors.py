"""Reads of integrations with their joins; lists use a constant number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from claims.errors import DomainError
from claims.models import User

from . import imports
from .models import ClaimImport, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoints_for(user: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company_id=user.company_id).order_by("created_at", "id")


def get_endpoint_for_user(user: User, pk: int) -> WebhookEndpoint:
    """The endpoint of the user's company, else webhook_not_found (never another company's)."""
    endpoint = WebhookEndpoint.objects.filter(pk=pk, company_id=user.company_id).first() if user.company_id else None
    if endpoint is None:
        raise DomainError.of("webhook_not_found")
    return endpoint


def deliveries_for(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .order_by("-id")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at", "id")))
    )


def get_delivery(endpoint: WebhookEndpoint, pk: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(pk=pk, endpoint=endpoint).first()
    if delivery is None:
        raise DomainError.of("delivery_not_found")
    return delivery


def imports_for(user: User) -> QuerySet[ClaimImport]:
    """The company's imports, newest first, each with its earlier_upload_pk (no query per row)."""
    return (
        ClaimImport.objects.filter(company_id=user.company_id)
        .annotate(earlier_upload_pk=imports.earlier_upload_pk())
        .order_by("-created_at", "-id")
    )


def get_import_for_user(user: User, pk: int) -> ClaimImport:
    batch = ClaimImport.objects.filter(pk=pk, company_id=user.company_id).first() if user.company_id else None
    if batch is None:
        raise DomainError.of("import_not_found")
    return batch
