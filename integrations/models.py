"""Partner integrations: webhook endpoints with their outbox, and bulk claim imports.

Webhook rows are written in the transaction of the claim change (integrations.webhooks
.record_events) and delivered by the worker after commit on the "deliveries" queue.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.choices import ScanStatus
from claims.models import Claim, DeliveryRow, PartnerCompany


class WebhookEndpoint(models.Model):
    """A company's HTTPS receiver of claim events, signed per the Standard Webhooks spec."""

    company = models.ForeignKey(PartnerCompany, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # HMAC keys ("whsec_" + base64). The receiver needs the key itself, so it is stored, and
    # shown to the admin only when created or rotated.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("on"), default=True)
    disabled_reason = models.CharField(max_length=40, blank=True)
    # First failed attempt since the last success; an endpoint failing for long is turned off.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("webhook endpoint")
        indexes = [models.Index(fields=["company"], name="webhook_active_company_idx", condition=Q(is_active=True))]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(DeliveryRow):
    """The outbox row: one event for one endpoint, delivered by the one delivery engine
    (claims.delivery). Its id is the event's sequence number, increasing per claim in commit
    order (the claim's row lock serializes its changes)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    msg_id = models.CharField(max_length=40, unique=True)
    # Event fields, as of the change (whitelisted: never the other partner's identity).
    data = models.JSONField(default=dict)
    # The body sent, rendered by the worker on the first attempt and then frozen, so retries
    # and redeliveries send the same bytes.
    payload = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    created_at = models.DateTimeField()
    occurred_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_due_idx", condition=Q(status="pending")),
            models.Index(fields=["endpoint", "-id"], name="webhook_endpoint_log_idx"),
            # The monitoring's count of given-up deliveries (cpor.metrics) reads these rows only.
            models.Index(fields=["id"], name="webhook_failed_idx", condition=Q(status="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    url = models.CharField(max_length=500)
    request_headers = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=2000, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt of {self.delivery_id} at {self.at}"


# --- Bulk import ------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Validating")
    PREVIEW = "preview", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


def import_upload_to(instance: ClaimImport, filename: str) -> str:
    return f"imports/{instance.company_id}/{uuid.uuid4().hex}"


class ClaimImport(models.Model):
    """An uploaded spreadsheet of claims: validated into a preview, then committed."""

    company = models.ForeignKey(PartnerCompany, on_delete=models.CASCADE, related_name="claim_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=import_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    # Optional: a ZIP of proof-of-execution files that rows name in their poe_files column.
    poe_zip = models.FileField(upload_to=import_upload_to, max_length=255, blank=True)
    file_format = models.CharField(max_length=8)
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0)
    # A refusal of the whole file (code, message params), when status is failed.
    error_code = models.CharField(max_length=40, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    # The malware scan of the file and its PoE ZIP (claims.scanning): no row is read before
    # both are clean; an infected upload is deleted and the import failed (import_infected).
    scan_status = models.CharField(max_length=10, choices=ScanStatus.choices, default=ScanStatus.PENDING)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(scan_status="pending"), name="import_pending_scan"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    @property
    def progress(self) -> int:
        """Percent of the current step: validating all rows, or importing the valid ones."""
        if self.status in (ImportStatus.PREVIEW, ImportStatus.DONE):
            return 100
        total = self.valid_rows if self.status == ImportStatus.IMPORTING else self.total_rows
        return min(100, int(100 * self.processed_rows / total)) if total else 0


class ImportRow(models.Model):
    """One row of an import with its validation outcome (the preview)."""

    batch = models.ForeignKey(ClaimImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()  # as the spreadsheet numbers it (header = 1)
    raw = models.JSONField(default=dict)  # column -> cell text, for the rejected-rows CSV
    data = models.JSONField(default=dict)  # the claim input the services take
    # [{"code", "field", "column", "message"}]
    errors = models.JSONField(default=list)
    ok = models.BooleanField(default=False)  # no errors: will be imported
    # Flags that are warnings, not errors: competes with another partner / duplicates our claim.
    competing = models.BooleanField(default=False)
    duplicate_of = models.PositiveBigIntegerField(null=True, blank=True)
    row_key = models.CharField(max_length=64)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["row_number"]
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="importrow_unique_number")]

    def __str__(self) -> str:
        return f"row {self.row_number} of import {self.batch_id}"


class ImportedClaim(models.Model):
    """The import id on a claim: which import and row created it. Unique per company and
    row content, so importing a file twice never creates a claim twice."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="imported")
    company = models.ForeignKey(PartnerCompany, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(ClaimImport, on_delete=models.SET_NULL, null=True, related_name="claims")
    row_number = models.PositiveIntegerField()
    row_key = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "row_key"], name="importedclaim_unique_row")]

    def __str__(self) -> str:
        return f"claim {self.claim_id} from import {self.batch_id}"
