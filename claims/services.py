"""Every write to a claim by a partner, a customer, or shared with reviewers.

Each service runs in one transaction: it re-reads the claim with
select_for_update(), checks who may act and the rules, calls the django-fsm
transition, saves with update_fields, writes the history row and enqueues
notifications (delivered after commit). Refusals raise DomainError and change
nothing. Two actors racing on one claim are serialized by the row lock; the
second sees the new state and gets `invalid_transition`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from cpor import i18n
from integrations import webhooks

from . import clocks, competition, notifications
from .choices import (
    LIMITED_EDIT_STATES,
    UNDISPUTABLE_REASONS,
    ActorRole,
    ClaimState,
    DeadlineKind,
    EventAction,
    RejectionReason,
    WithdrawReason,
)
from .consent import consent_url
from .errors import DomainError
from .models import Association, Claim, ClaimComment, ClaimEvent, ClaimEvidence, ClaimProduct, User
from .validation import check_complete, normalize_domain, parse_guid, validate_claim_input

S = ClaimState
K = DeadlineKind

# Fields a partner may change after submission (Submitted, Partner Action Required).
LIMITED_EDIT_KEYS = frozenset({"mpn_id", "products", "customer_contact", "partner_contact"})
ALL_EDIT_KEYS = LIMITED_EDIT_KEYS | {"name", "customer_tenant_id", "customer_domain", "solution_area", "activity"}

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


# --- shared helpers (also used by reviews.services and claims.deadlines) -------


def require_partner(actor: User, claim: Claim | None = None) -> None:
    """Own company and a claims role. Another company's claim is 'not found'."""
    if claim is not None and (actor.company_id is None or claim.company_id != actor.company_id):
        raise DomainError.of("not_found")
    if not actor.is_partner:
        raise DomainError.of("permission_denied")


def require_reviewer(actor: User) -> None:
    if not actor.is_reviewer:
        raise DomainError.of("reviewer_only")


def lock(claim: Claim | int) -> Claim:
    pk = claim if isinstance(claim, int) else claim.pk
    try:
        return Claim.objects.select_for_update(of=("self",)).select_related("tenant", "mpn", "company").get(pk=pk)
    except Claim.DoesNotExist as exc:
        raise DomainError.of("not_found") from exc


def fire(claim: Claim, name: str) -> str:
    """Runs the django-fsm transition `name`; returns the state it left."""
    method = getattr(claim, name)
    if not can_proceed(method):
        raise DomainError.of("invalid_transition")
    before = claim.state
    method()
    return before


def save(claim: Claim, fields: Iterable[str]) -> None:
    try:
        claim.save(update_fields=[*set(fields), "updated_at"])
    except ConcurrentTransition as exc:
        raise DomainError.of("concurrent_change") from exc


def record(
    claim: Claim,
    *,
    actor: User | None,
    role: str,
    action: str,
    now: datetime,
    from_state: str = "",
    changes: dict | None = None,
    details: dict | None = None,
    save_row: bool = True,
) -> ClaimEvent:
    event = ClaimEvent(
        claim=claim,
        at=now,
        actor=actor,
        actor_role=role,
        action=action,
        from_state=from_state,
        to_state=claim.state if from_state else "",
        changes=changes or {},
        details=details or {},
    )
    if save_row:
        event.save()
        webhooks.record_events([event], now=now)  # partner webhooks: outbox rows in this transaction
    return event


def comment(claim: Claim, *, author: User | None, role: str, body: str, kind: str, now: datetime) -> ClaimComment:
    return ClaimComment.objects.create(claim=claim, author=author, author_role=role, body=body, kind=kind, created_at=now)


def end_associations(claim: Claim, *, reason: str, now: datetime) -> int:
    return Association.objects.filter(claim=claim, ended_at__isnull=True).update(ended_at=now, end_reason=reason)


def partner_language(claim: Claim) -> str:
    """The partner contact's language: theirs if the contact is a user of the company,
    else the language of the user who filed the claim."""
    contact = (
        User.objects.filter(company_id=claim.company_id, email__iexact=claim.partner_contact_email).exclude(language="").first()
        if claim.partner_contact_email
        else None
    )
    return i18n.recipient_language(contact or claim.created_by)


def partner_email(kind: str, claim: Claim, now: datetime, **context) -> notifications.Notification:
    return notifications.build(
        kind, to=claim.partner_contact_email, claim=claim, context=context, now=now, language=partner_language(claim)
    )


def reviewer_emails(kind: str, claim: Claim, now: datetime, **context) -> list[notifications.Notification]:
    """The claim's assigned reviewer, told that the partner answered or commented."""
    reviewer = claim.assigned_reviewer
    if reviewer is None or not reviewer.email:
        return []
    review_url = notifications.absolute_url(reverse("reviews:review", args=[claim.pk]))
    return [notifications.build(kind, to=reviewer.email, claim=claim, context={"review_url": review_url, **context}, now=now)]


def rejection_email(claim: Claim, now: datetime) -> notifications.Notification:
    return partner_email(
        "claim_rejected",
        claim,
        now,
        reason=claim.rejection_reason,  # a code: the email shows its label in the recipient's language
        message=claim.rejection_message,
        dispute_until=claim.deadline_at if claim.deadline_kind == K.DISPUTE_WINDOW else None,
        is_final=claim.deadline_kind != K.DISPUTE_WINDOW,
    )


def approval_emails(claim: Claim, now: datetime) -> list[notifications.Notification]:
    products = [cp.product.name for cp in claim.products.select_related("product")]
    return [
        partner_email("claim_approved", claim, now, products=products),
        notifications.build(
            "consent_request",
            to=claim.customer_contact_email,
            claim=claim,
            context={"products": products, "consent_url": consent_url(claim), "consent_until": claim.deadline_at},
            now=now,
            language=claim.customer_contact_language,
        ),
    ]


def _display(value) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "mpn_id", value))


def _products_snapshot(claim: Claim) -> list[str]:
    return [
        f"{cp.product.code}:{cp.subscription.subscription_id}" if cp.subscription else cp.product.code
        for cp in claim.products.select_related("product", "subscription")
    ]


def _differs(claim: Claim, key: str, raw) -> bool:
    """Whether a field outside the editable set would change (unchanged values pass)."""
    if key == "customer_tenant_id":
        return parse_guid(raw) != claim.customer_tenant_id and not (raw in (None, "") and claim.customer_tenant_id is None)
    if key == "customer_domain":
        return normalize_domain(str(raw or "")) != normalize_domain(claim.customer_domain)
    return str(raw or "").strip() != str(getattr(claim, key) or "")


# --- partner services --------------------------------------------------------


def claim_create(*, actor: User, data: dict) -> Claim:
    """Creates a claim in Editing. Any subset of fields may be given; what is given is checked.

    Side effects: history row 'created'.
    """
    require_partner(actor)
    unknown = set(data) - ALL_EDIT_KEYS
    data = {k: v for k, v in data.items() if k in ALL_EDIT_KEYS}
    data.setdefault("name", "")  # a claim always has a name, even as a draft
    clean = validate_claim_input(data, company=actor.company)
    # The customer contact's language defaults to the partner user's (domain.md, "Languages").
    clean.values.setdefault("customer_contact_language", i18n.recipient_language(actor, fallback=get_language()))
    now = timezone.now()
    with transaction.atomic():
        claim = Claim(company=actor.company, created_by=actor, **clean.values)
        claim.save()
        if clean.products:
            ClaimProduct.objects.bulk_create(
                ClaimProduct(claim=claim, product=line.product, subscription=line.subscription) for line in clean.products
            )
        record(
            claim,
            actor=actor,
            role=ActorRole.PARTNER,
            action=EventAction.CREATED,
            now=now,
            changes={k: [None, _display(v)] for k, v in clean.values.items() if k != "tenant"}
            | ({"products": [[], _products_snapshot(claim)]} if clean.products else {}),
            details={"ignored_fields": sorted(unknown)} if unknown else None,
        )
    return claim


def claim_update(*, claim: Claim, actor: User, data: dict) -> Claim:
    """Edits a claim. Editing: every field. Submitted / Partner Action Required: only the
    MPN, products and contacts (evidence and comments have their own services).
    Anything else, or any edit in another state, is refused with `not_editable`.

    Side effects: history row 'updated' with before/after values.
    """
    with transaction.atomic():
        competition.lock_tenant_of(claim)  # an open claim can lose an arbitration: same lock order
        claim = lock(claim)
        require_partner(actor, claim)
        data = {k: v for k, v in data.items() if k in ALL_EDIT_KEYS}
        if claim.state == S.EDITING:
            allowed = ALL_EDIT_KEYS
        elif claim.state in LIMITED_EDIT_STATES:
            allowed = LIMITED_EDIT_KEYS
        else:
            raise DomainError.of("not_editable")
        forbidden = [k for k in data if k not in allowed and _differs(claim, k, data[k])]
        if forbidden:
            raise DomainError([*(DomainError.of("not_editable", k).errors[0] for k in sorted(forbidden))])
        data = {k: v for k, v in data.items() if k in allowed}
        if claim.state != S.EDITING and data.get("products") == []:
            raise DomainError.of("required", "products")
        # Once submitted the claim holds its subscriptions: lock them so two claims cannot take one at once.
        clean = validate_claim_input(
            data, company=claim.company, claim=claim, lock_subscriptions=claim.state in LIMITED_EDIT_STATES
        )
        now = timezone.now()
        changes = {}
        for key, value in clean.values.items():
            before = getattr(claim, key)
            if before != value:
                if key != "tenant":
                    changes[key] = [_display(before), _display(value)]
                setattr(claim, key, value)
        if clean.products is not None:
            before_products = _products_snapshot(claim)
            claim.products.all().delete()
            ClaimProduct.objects.bulk_create(
                ClaimProduct(claim=claim, product=line.product, subscription=line.subscription) for line in clean.products
            )
            after_products = _products_snapshot(claim)
            if after_products != before_products:
                changes["products"] = [before_products, after_products]
                if claim.state in LIMITED_EDIT_STATES:
                    refuse_duplicate(claim)
        if changes:
            save(claim, list(clean.values))
            record(claim, actor=actor, role=ActorRole.PARTNER, action=EventAction.UPDATED, now=now, changes=changes)
            if "products" in changes and claim.state in LIMITED_EDIT_STATES:
                competition.notify_arbitration(claim, now=now)
    return claim


def claim_delete(*, claim: Claim, actor: User) -> None:
    """Deletes a draft. Only in Editing; a submitted claim is withdrawn instead."""
    with transaction.atomic():
        claim = lock(claim)
        require_partner(actor, claim)
        if claim.state != S.EDITING:
            raise DomainError.of("invalid_transition")
        files = [e.file for e in claim.evidence.all()]
        claim.delete()  # cascades to the draft's history rows
        transaction.on_commit(lambda: [f.delete(save=False) for f in files], robust=True)


def _check_upload(upload: UploadedFile) -> tuple[str, str]:
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
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


def _add_evidence(claim: Claim, actor: User, upload: UploadedFile, now: datetime, *, for_dispute: bool) -> ClaimEvidence:
    content_type, digest = _check_upload(upload)
    original = (upload.name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
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
    evidence.file.save(original, upload, save=False)
    evidence.save()
    return evidence


def evidence_add(*, claim: Claim, actor: User, file: UploadedFile) -> ClaimEvidence:
    """Uploads a proof of execution. In Editing, Submitted and Partner Action Required.

    Refusals: evidence_too_large, evidence_empty, evidence_type_not_allowed, not_editable.
    """
    with transaction.atomic():
        claim = lock(claim)
        require_partner(actor, claim)
        if claim.state not in (S.EDITING, *LIMITED_EDIT_STATES):
            raise DomainError.of("not_editable", "file")
        now = timezone.now()
        evidence = _add_evidence(claim, actor, file, now, for_dispute=False)
        record(
            claim,
            actor=actor,
            role=ActorRole.PARTNER,
            action=EventAction.EVIDENCE_ADDED,
            now=now,
            details={"file": evidence.original_name, "size": evidence.size, "evidence_id": evidence.pk},
        )
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
    with transaction.atomic():
        claim = lock(evidence.claim_id)
        require_partner(actor, claim)
        if claim.state not in (S.EDITING, *LIMITED_EDIT_STATES):
            raise DomainError.of("not_editable", "file")
        evidence = ClaimEvidence.objects.select_for_update().filter(pk=evidence.pk, claim=claim).first()
        if evidence is None:
            raise DomainError.of("not_found")
        if evidence.removed_at is not None:
            raise DomainError.of("evidence_already_removed", "file")
        now = timezone.now()
        details = {"file": evidence.original_name, "evidence_id": evidence.pk}
        if claim.state == S.EDITING:
            record(claim, actor=actor, role=ActorRole.PARTNER, action=EventAction.EVIDENCE_REMOVED, now=now, details=details)
            stored = evidence.file
            evidence.delete()
            transaction.on_commit(lambda: stored.delete(save=False), robust=True)
            return None
        if not reason:
            raise DomainError.of("removal_reason_required", "reason")
        if not claim.evidence.filter(removed_at__isnull=True).exclude(pk=evidence.pk).exists():
            raise DomainError.of("evidence_required", "file")
        evidence.removed_at = now
        evidence.removed_by = actor
        evidence.removal_reason = reason[:2000]
        evidence.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        record(
            claim,
            actor=actor,
            role=ActorRole.PARTNER,
            action=EventAction.EVIDENCE_REMOVED,
            now=now,
            details={**details, "reason": evidence.removal_reason},
        )
    return evidence


def comment_add(*, claim: Claim, actor: User, body: str) -> ClaimComment:
    """A comment by the claim's partner or a reviewer, in any state after creation."""
    body = (body or "").strip()
    if not body:
        raise DomainError.of("message_required", "body")
    with transaction.atomic():
        claim = lock(claim)
        if actor.is_reviewer:
            role = ActorRole.REVIEWER
        else:
            require_partner(actor, claim)
            role = ActorRole.PARTNER
        now = timezone.now()
        note = comment(claim, author=actor, role=role, body=body, kind=ClaimComment.Kind.COMMENT, now=now)
        record(claim, actor=actor, role=role, action=EventAction.COMMENTED, now=now, details={"comment_id": note.pk})
        if role == ActorRole.REVIEWER:
            notifications.enqueue([partner_email("comment_posted", claim, now, body=body)])
        else:
            notifications.enqueue(reviewer_emails("partner_commented", claim, now, body=body))
    return note


def claim_submit(*, claim: Claim, actor: User) -> Claim:
    """Editing -> Submitted. Needs every field, valid subscriptions and at least one PoE.

    Starts the review pickup clock (5 business days). Emails the partner contact.
    """
    with transaction.atomic():
        claim = lock(claim)
        require_partner(actor, claim)
        if not can_proceed(claim.submit):
            raise DomainError.of("invalid_transition")
        check_complete(claim, lock_subscriptions=True)
        competition.lock_tenant(claim.tenant_id)
        refuse_duplicate(claim)
        now = timezone.now()
        before = fire(claim, "submit")
        claim.submitted_at = now
        clocks.start_clock(claim, K.REVIEW_PICKUP, now)
        save(claim, ["state", "submitted_at", *clocks.CLOCK_FIELDS])
        record(claim, actor=actor, role=ActorRole.PARTNER, action=EventAction.SUBMITTED, now=now, from_state=before)
        notifications.enqueue([partner_email("claim_submitted", claim, now, review_by=claim.deadline_at)])
        competition.notify_arbitration(claim, now=now)
    return claim


def refuse_duplicate(claim: Claim, field: str = "products") -> None:
    """`duplicate_claim` when the company already has a live claim for this tenant and one
    of these products (it is their own claim, so naming it is fine). Callers hold the
    tenant lock, so two submissions of one company cannot both pass."""
    existing = competition.duplicate_of(claim)
    if existing is not None:
        raise DomainError.of("duplicate_claim", field, claim=f"#{existing.pk} “{existing.name}”", claim_id=existing.pk)


def claim_respond(*, claim: Claim, actor: User, message: str) -> Claim:
    """Answers a request for information: Partner Action Required -> Under Review.

    Back to the reviewer who asked, with a fresh decision clock. Refused after the
    answer deadline (`answer_deadline_passed`).
    """
    message = (message or "").strip()
    if not message:
        raise DomainError.of("message_required", "message")
    with transaction.atomic():
        claim = lock(claim)
        require_partner(actor, claim)
        if not can_proceed(claim.respond):
            raise DomainError.of("invalid_transition")
        now = timezone.now()
        if not clocks.clock_running(claim, K.PARTNER_ANSWER, now):
            raise DomainError.of("answer_deadline_passed")
        before = fire(claim, "respond")
        clocks.start_clock(claim, K.DISPUTE_DECISION if claim.is_dispute else K.REVIEW_DECISION, now)
        claim.is_overdue = False
        save(claim, ["state", "is_overdue", *clocks.CLOCK_FIELDS])
        note = comment(claim, author=actor, role=ActorRole.PARTNER, body=message, kind=ClaimComment.Kind.ANSWER, now=now)
        record(
            claim,
            actor=actor,
            role=ActorRole.PARTNER,
            action=EventAction.RESPONDED,
            now=now,
            from_state=before,
            details={"comment_id": note.pk, "message": message},
        )
        notifications.enqueue(reviewer_emails("partner_answered", claim, now, body=message, decide_by=claim.deadline_at))
    return claim


def claim_withdraw(*, claim: Claim, actor: User, reason: str, message: str = "") -> Claim:
    """The partner asks for its own claim to be rejected (reason: partner request).

    From Submitted, Under Review, Partner Action Required or Approved; an approved
    association ends. Not disputable, so no dispute clock.
    """
    if reason not in WithdrawReason.values:
        raise DomainError.of("invalid_reason", "reason")
    with transaction.atomic():
        claim = lock(claim)
        require_partner(actor, claim)
        if claim.association_ended_at is not None:
            raise DomainError.of("association_ended")
        now = timezone.now()
        before = fire(claim, "withdraw")
        claim.rejection_reason = RejectionReason.PARTNER_REQUEST
        claim.rejection_message = (message or "").strip()
        claim.decided_at = now
        claim.is_overdue = False
        clocks.stop_clock(claim)
        save(claim, ["state", "rejection_reason", "rejection_message", "decided_at", "is_overdue", *clocks.CLOCK_FIELDS])
        ended = end_associations(claim, reason=RejectionReason.PARTNER_REQUEST, now=now)
        record(
            claim,
            actor=actor,
            role=ActorRole.PARTNER,
            action=EventAction.WITHDRAWN,
            now=now,
            from_state=before,
            details={"reason": reason, "message": claim.rejection_message, "associations_ended": ended},
        )
        notifications.enqueue([partner_email("claim_withdrawn", claim, now, reason=reason, message=claim.rejection_message)])
    return claim


def claim_dispute(*, claim: Claim, actor: User, justification: str, files: Iterable[UploadedFile] = ()) -> Claim:
    """Disputes a rejection: Rejected -> Under Review, marked as a dispute.

    Once per claim, within the 30-day window, not for partner-request or customer-denial
    rejections. Needs a business justification and/or updated PoE. Starts the
    5-business-day dispute decision clock.
    """
    justification = (justification or "").strip()
    files = list(files)
    with transaction.atomic():
        claim = lock(claim)
        require_partner(actor, claim)
        now = timezone.now()
        if refusal := dispute_refusal(claim, now):
            raise DomainError.of(refusal, **({"why": not_disputable_why(claim)} if refusal == "not_disputable" else {}))
        if not justification and not files:
            raise DomainError.of("dispute_needs_content", "justification")
        competition.lock_tenant(claim.tenant_id)
        refuse_duplicate(claim, field=None)
        added = [_add_evidence(claim, actor, f, now, for_dispute=True) for f in files]
        before = fire(claim, "dispute")
        claim.is_dispute = True
        claim.disputed_at = now
        claim.dispute_justification = justification
        claim.assigned_reviewer = None
        claim.is_overdue = False
        clocks.start_clock(claim, K.DISPUTE_DECISION, now)
        save(
            claim,
            [
                "state",
                "is_dispute",
                "disputed_at",
                "dispute_justification",
                "assigned_reviewer",
                "is_overdue",
                *clocks.CLOCK_FIELDS,
            ],
        )
        if justification:
            comment(claim, author=actor, role=ActorRole.PARTNER, body=justification, kind=ClaimComment.Kind.DISPUTE, now=now)
        record(
            claim,
            actor=actor,
            role=ActorRole.PARTNER,
            action=EventAction.DISPUTED,
            now=now,
            from_state=before,
            details={"justification": justification, "files": [e.original_name for e in added]},
        )
    return claim


def dispute_refusal(claim: Claim, now: datetime) -> str | None:
    """Why this claim cannot be disputed now (an error code), or None if it can.
    The claim page asks the same question, so it never offers what the service refuses."""
    if claim.state != S.REJECTED:
        return "invalid_transition"
    if claim.rejection_reason in UNDISPUTABLE_REASONS or claim.disputed_at is not None:
        return "not_disputable"
    if not clocks.clock_running(claim, K.DISPUTE_WINDOW, now):
        return "dispute_window_closed"
    return None


def not_disputable_why(claim: Claim) -> str:
    """Which rule makes this rejection undisputable, in words."""
    if claim.rejection_reason == RejectionReason.PARTNER_REQUEST:
        return str(_("it was withdrawn at your request (reason: partner request)."))
    if claim.rejection_reason == RejectionReason.CUSTOMER_DENIAL:
        return str(_("the customer denied the association (reason: customer denial)."))
    return str(_("it decides your earlier dispute, and a claim can be disputed once."))


def consent_deny(*, claim_id: int, nonce: str, reason: str = "") -> Claim:
    """The customer denies the association from the emailed link (no account).

    Only for the approval the link was issued for, and only within the consent window.
    Approved -> Rejected (customer denial, not disputable); the association ends;
    the partner is emailed.
    """
    with transaction.atomic():
        competition.lock_tenant_of(claim_id)  # the restore below touches other claims: tenant first
        claim = lock(claim_id)
        if claim.consent_nonce.hex != nonce:
            raise DomainError.of("not_found")
        if claim.state != S.APPROVED:
            raise DomainError.of("invalid_transition")
        now = timezone.now()
        if not clocks.clock_running(claim, K.CONSENT_WINDOW, now):
            raise DomainError.of("consent_window_closed")
        before = fire(claim, "deny_consent")
        claim.rejection_reason = RejectionReason.CUSTOMER_DENIAL
        claim.rejection_message = (reason or "").strip()[:2000]
        claim.decided_at = now
        clocks.stop_clock(claim)
        save(claim, ["state", "rejection_reason", "rejection_message", "decided_at", *clocks.CLOCK_FIELDS])
        end_associations(claim, reason=RejectionReason.CUSTOMER_DENIAL, now=now)
        record(
            claim,
            actor=None,
            role=ActorRole.CUSTOMER,
            action=EventAction.CONSENT_DENIED,
            now=now,
            from_state=before,
            details={"reason": claim.rejection_message, "customer_contact": claim.customer_contact_email},
        )
        notifications.enqueue([rejection_email(claim, now)])
        _restore_after_denial(claim, now=now)
    return claim


def _restore_after_denial(winner: Claim, *, now: datetime) -> None:
    """The customer denied the winner of an arbitration: the associations that approval
    ended come back (product decision), unless their claim was since withdrawn or rejected,
    or someone else holds the tenant and product by now. History on both claims, an email
    to the restored partner. A restored claim whose consent window was stopped gets a fresh
    7-day window (its customer's link still works); one already sent to incentive
    eligibility evaluation stays there."""
    ended = list(
        Association.objects.select_for_update()
        .filter(ended_by_claim=winner, end_reason="arbitration", ended_at__isnull=False, claim__state=S.APPROVED)
        .select_related("product")
        .order_by("pk")
    )
    if not ended:
        return
    taken = set(
        Association.objects.filter(
            tenant_id=winner.tenant_id, product_id__in=[a.product_id for a in ended], ended_at__isnull=True
        ).values_list("product_id", flat=True)
    )
    restored: dict[int, list[str]] = {}
    for a in ended:
        if a.product_id in taken:
            continue
        taken.add(a.product_id)
        Association.objects.filter(pk=a.pk).update(ended_at=None, end_reason="", ended_by_claim=None)
        restored.setdefault(a.claim_id, []).append(a.product.name)
    emails = []
    for claim in Claim.objects.select_for_update(of=("self",)).filter(pk__in=list(restored)).order_by("pk"):
        products = sorted(restored[claim.pk])
        fields = ["association_ended_at"]
        claim.association_ended_at = None
        if claim.eligibility_sent_at is None and not claim.deadline_kind:
            clocks.start_clock(claim, K.CONSENT_WINDOW, now)
            fields += clocks.CLOCK_FIELDS
        save(claim, fields)
        comment(
            claim,
            author=None,
            role=ActorRole.SYSTEM,
            kind=ClaimComment.Kind.ARBITRATION,
            body=_(
                "Association restored for %(products)s: the customer denied the partner the arbitration had been "
                "decided for. This claim is approved again."
            )
            % {"products": ", ".join(products)},
            now=now,
        )
        record(
            claim,
            actor=None,
            role=ActorRole.SYSTEM,
            action=EventAction.ASSOCIATION_RESTORED,
            now=now,
            details={"products": products, "restored_by_denial_of": winner.pk},
        )
        emails += competition.association_restored_emails(claim, products=products, now=now)
    record(
        winner,
        actor=None,
        role=ActorRole.SYSTEM,
        action=EventAction.ASSOCIATIONS_RESTORED,
        now=now,
        details={"products": sorted({p for names in restored.values() for p in names}), "claims": sorted(restored)},
    )
    notifications.enqueue(emails)
