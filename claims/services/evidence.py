"""Proof of execution files: upload and removal, in the states the state table allows."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from .. import scanning
from ..access import partner_of
from ..choices import ActorRole, EventAction, ScanStatus
from ..errors import DomainError
from ..lengths import max_length
from ..models import Claim, ClaimEvidence, User
from ..states import EDIT_ALL, STATES, edit_scope
from .base import change

log = logging.getLogger(__name__)

EVIDENCE_TYPES = {
    # extension: (content type, leading bytes that a real file of the type starts with)
    "pdf": ("application/pdf", (b"%PDF",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "ppt": ("application/vnd.ms-powerpoint", (b"\xd0\xcf\x11\xe0",)),
}


def file_name(upload: UploadedFile, default: str = "file") -> str:
    """The uploader's file name without any path."""
    return (upload.name or default).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][: max_length(ClaimEvidence, "original_name")]


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """(content type, SHA-256) of an acceptable PoE file; else evidence_too_large,
    evidence_empty or evidence_type_not_allowed (the type is judged by the content)."""
    name = file_name(upload, "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if upload.size is not None and upload.size > settings.CPOR_EVIDENCE_MAX_BYTES:
        raise DomainError.of("evidence_too_large", "file", max_mb=settings.CPOR_EVIDENCE_MAX_BYTES // (1024 * 1024))
    if not upload.size:
        raise DomainError.of("evidence_empty", "file")
    kind = EVIDENCE_TYPES.get(ext)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if kind is None or not any(head.startswith(magic) for magic in kind[1]):
        raise DomainError.of("evidence_type_not_allowed", "file")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return kind[0], digest.hexdigest()


def store(claim: Claim, actor: User, upload: UploadedFile, now: datetime, *, for_dispute: bool) -> ClaimEvidence:
    """Checks and stores one file of the claim (the caller holds the claim's lock)."""
    content_type, digest = check_upload(upload)
    original = file_name(upload)
    evidence = ClaimEvidence(
        claim=claim,
        original_name=original,
        content_type=content_type,
        size=upload.size,
        sha256=digest,
        uploaded_by=actor,
        uploaded_at=now,
        for_dispute=for_dispute,
    )
    if scanning.no_scanner():
        evidence.scan_status, evidence.scanned_at = ScanStatus.CLEAN, now
    evidence.file.save(original, upload, save=False)
    evidence.save()
    # Scanned first; a clean file is then pre-checked (claims.precheck registers with scanning.after_clean).
    if evidence.scan_status == ScanStatus.CLEAN:
        scanning.found_clean(evidence.pk)
    else:
        scanning.queue(scanning.SCAN_EVIDENCE_TASK, evidence.pk)
    return evidence


def evidence_add(*, claim: Claim, actor: User, file: UploadedFile) -> ClaimEvidence:
    """Uploads a proof of execution, in the states whose table row allows evidence.

    Refusals: evidence_too_large, evidence_empty, evidence_type_not_allowed, not_editable.
    """
    with change(claim, actor=actor, action=EventAction.EVIDENCE_ADDED, access=partner_of(actor)) as c:
        if not STATES[c.claim.state].evidence:
            raise DomainError.of("not_editable", "file")
        evidence = store(c.claim, actor, file, c.now, for_dispute=False)
        c.details = {"file": evidence.original_name, "size": evidence.size, "evidence_id": evidence.pk}
    return evidence


def evidence_remove(*, evidence: ClaimEvidence, actor: User, reason: str = "") -> ClaimEvidence | None:
    """Removes a proof of execution file.

    Editing: the file is deleted (nobody has reviewed it). Submitted and Partner Action
    Required: a reason is required (`removal_reason_required`) and one file must remain
    (`evidence_required`); the file is kept for audit, marked removed (reviewers see it
    struck through, history names it) and no longer counts as the claim's PoE. This is
    what a "wrong file" request asks for. Any other state: `not_editable`.
    Returns the kept (removed) row after submission, None after a draft deletion.
    """
    reason = (reason or "").strip()
    with change(evidence.claim_id, actor=actor, action=EventAction.EVIDENCE_REMOVED, access=partner_of(actor)) as c:
        claim = c.claim
        if not STATES[claim.state].evidence:
            raise DomainError.of("not_editable", "file")
        row = ClaimEvidence.objects.select_for_update().filter(pk=evidence.pk, claim=claim).first()
        if row is None:
            raise DomainError.of("not_found")
        if row.removed_at is not None:
            raise DomainError.of("evidence_already_removed", "file")
        c.details = {"file": row.original_name, "evidence_id": row.pk}
        if edit_scope(claim.state) == EDIT_ALL:  # a draft: nobody has reviewed it
            stored = row.file
            row.delete()
            transaction.on_commit(lambda: stored.delete(save=False), robust=True)
            return None
        if not reason:
            raise DomainError.of("removal_reason_required", "reason")
        if not claim.evidence.filter(removed_at__isnull=True).exclude(pk=row.pk).exists():
            raise DomainError.of("evidence_required", "file")
        row.removed_at = c.now
        row.removed_by = actor
        row.removal_reason = reason[: max_length(ClaimEvidence, "removal_reason")]
        row.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        c.details["reason"] = row.removal_reason
    return row


def evidence_scan(*, evidence_id: int) -> str | None:
    """Scans one pending PoE file with clamd (claims.scanning) and records the verdict
    (`evidence_scanned`). The scan itself holds no lock. Raises scanning.ScannerUnavailable
    when clamd does not answer: the file stays pending. Returns the new status, or None when
    nothing changed (the file is no longer pending: the task ran twice, or the sweep re-queued
    a file whose scan was under way)."""
    evidence = ClaimEvidence.objects.pending_scan().filter(pk=evidence_id).first()
    if evidence is None:
        return None
    try:
        verdict = scanning.scan_file(evidence.file)
    except FileNotFoundError:
        # Never served either way; left pending so the gauge and its alert show it.
        log.error("PoE file %s is pending a scan but its stored file is missing", evidence_id)
        return None
    except scanning.TooLargeToScan:
        # clamd's StreamMaxLength is below CPOR_EVIDENCE_MAX_BYTES: a configuration error
        # (docs/operations.md, "Malware scanning"); left pending, never served, the alert fires.
        log.error("PoE file %s is longer than clamd's StreamMaxLength; raise it to CPOR_EVIDENCE_MAX_BYTES", evidence_id)
        return None
    return evidence_scanned(evidence_id=evidence_id, signature=verdict.signature)


def evidence_scanned(*, evidence_id: int, signature: str = "") -> str | None:
    """Records a scan's verdict on a pending PoE file: clean ("" signature) or infected.

    Clean: marked clean, then the after_clean subscribers run on commit. Infected: quarantined
    in one change of the claim: marked infected and removed (it no longer counts as the
    claim's PoE), its stored bytes deleted on commit, and an `evidence_infected` history row
    that tells the partner (claim page, email, webhook `claim.evidence_quarantined`).
    Idempotent: a file no longer pending is left as it is (returns None).
    """
    if not signature:
        with transaction.atomic():
            if (
                not ClaimEvidence.objects.pending_scan()
                .filter(pk=evidence_id)
                .update(scan_status=ScanStatus.CLEAN, scanned_at=timezone.now())
            ):
                return None
            scanning.found_clean(evidence_id)
        return ScanStatus.CLEAN
    claim_id = ClaimEvidence.objects.filter(pk=evidence_id).values_list("claim_id", flat=True).first()
    if claim_id is None:
        return None
    with change(claim_id, actor=None, role=ActorRole.SYSTEM, action=EventAction.EVIDENCE_INFECTED) as c:
        row = ClaimEvidence.objects.select_for_update().pending_scan().filter(pk=evidence_id).first()
        if row is None:
            c.action = None  # another run got there first: no second history row
            return None
        row.scan_status, row.scanned_at = ScanStatus.INFECTED, c.now
        row.scan_signature = signature[: max_length(ClaimEvidence, "scan_signature")]
        row.removed_at = row.removed_at or c.now
        row.save(update_fields=["scan_status", "scanned_at", "scan_signature", "removed_at"])
        c.details = {"file": row.original_name, "evidence_id": row.pk, "signature": row.scan_signature}
        stored = row.file
        transaction.on_commit(lambda: stored.delete(save=False), robust=True)
    log.warning("PoE file %s of claim %s quarantined: %s", evidence_id, claim_id, signature)
    return ScanStatus.INFECTED


def pending_scans(limit: int = 1000) -> list[int]:
    """Ids of PoE files still waiting for their scan, oldest first (the sweep's batch, read
    through the partial index on pending files)."""
    return list(ClaimEvidence.objects.pending_scan().order_by("uploaded_at").values_list("pk", flat=True)[:limit])
