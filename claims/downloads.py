"""Proof-of-execution files as the pages and the API hand them out, written once: who may
download which file, and the response that serves it."""

from __future__ import annotations

from django.db.models import Q
from django.http import FileResponse

from cpor import storage

from .choices import ScanStatus
from .models import ClaimEvidence, User

# PDFs and images may open in the browser (reviewers read PoE there); the stored type comes
# from our own allow-list and nosniff is on, so nothing else is rendered inline.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def safe_filename(name: str) -> str:
    """A download name with no path, control characters, quotes or separators in it."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch if ch.isprintable() and ch not in "\"';" else "_" for ch in name).strip(" .")
    return cleaned[:150] or "evidence"


def visible_evidence(user: User) -> Q:
    """The files of a visible claim this user sees listed: the partner's company sees every
    file with its scan status (awaiting scan, quarantined); reviewers see scanned-clean files
    only (claims.scanning: a pending file is nobody's business but its uploader's)."""
    return Q(scan_status=ScanStatus.CLEAN) if user.is_reviewer else Q()


def may_download(user: User, evidence: ClaimEvidence) -> bool:
    """Whether the user may download this file of a claim visible to them. Only a file the
    malware scan found clean is ever served (pending: not yet; infected: quarantined, its
    bytes gone). A file the partner removed is no longer theirs to download: reviewers, who
    see it marked removed, still may (docs/rules.md, "Evidence after submission")."""
    return servable(evidence, reviewer=user.is_reviewer)


def servable(evidence: ClaimEvidence, *, reviewer: bool) -> bool:
    """may_download's rule for a reviewer or for the partner's company (a webhook payload,
    which goes to the partner, has no user)."""
    if evidence.scan_status != ScanStatus.CLEAN:
        return False
    return reviewer or evidence.removed_at is None


def downloadable(user: User, claim_id: int, evidence_id: int) -> ClaimEvidence | None:
    """The file of this claim the user may download (the caller checked the claim is visible
    to the user), or None."""
    evidence = ClaimEvidence.objects.filter(pk=evidence_id, claim_id=claim_id).first()
    return evidence if evidence is not None and may_download(user, evidence) else None


def evidence_response(evidence: ClaimEvidence, *, inline: bool = False, content_type: str | None = None) -> FileResponse | None:
    """The file as a download (or inline, for the types that may open in the browser); None
    when the stored file is gone. Streams through the app from any store (cpor/storage.py says
    why not a redirect to the store); storage.StorageUnavailable when the store does not answer."""
    try:
        handle = storage.reader(evidence.file)
    except FileNotFoundError:
        return None
    inline = inline and evidence.content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=safe_filename(evidence.original_name),
        content_type=content_type or evidence.content_type,
    )
    if not response.has_header("Content-Length") and evidence.size:
        response["Content-Length"] = str(evidence.size)
    # An uploaded file is never trusted as a page: no script, no form, no same-origin access.
    response["Content-Security-Policy"] = "sandbox"
    return response
