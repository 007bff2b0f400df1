"""The partner's transitions of a claim (submit, answer, withdraw, dispute) and comments."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile

from .. import competition
from ..access import partner_of, partner_or_reviewer
from ..choices import DeadlineKind, EventAction, RejectionReason, WithdrawReason
from ..errors import DomainError
from ..models import Claim, ClaimComment, User
from ..rules import answer_open, refuse_dispute, refuse_duplicate
from ..validation import check_complete
from .base import change, comment, end_associations
from .evidence import store

K = DeadlineKind


def comment_add(*, claim: Claim, actor: User, body: str) -> ClaimComment:
    """A comment by the claim's partner or a reviewer, in any state after creation.

    The history row tells the other side (claims.history: an email to the partner contact
    or to the assigned reviewer)."""
    body = (body or "").strip()
    if not body:
        raise DomainError.of("message_required", "body")
    with change(claim, actor=actor, action=EventAction.COMMENTED, access=partner_or_reviewer(actor)) as c:
        note = comment(c.claim, author=actor, role=c.role, body=body, kind=ClaimComment.Kind.COMMENT, now=c.now)
        c.details = {"comment_id": note.pk}
    return note


def claim_submit(*, claim: Claim, actor: User) -> Claim:
    """Editing -> Submitted. Needs every field, valid subscriptions and at least one PoE.

    Starts the review pickup clock. Emails the partner contact; competing claims are told
    arbitration applies (claims.services.arbitration).
    """
    from .arbitration import notify_arbitration

    with change(claim, actor=actor, action=EventAction.SUBMITTED, access=partner_of(actor)) as c:
        c.guard("submit")
        check_complete(c.claim, lock_subscriptions=True)
        competition.lock_tenant(c.claim.tenant_id)
        refuse_duplicate(c.claim)
        c.fire("submit")
        c.claim.submitted_at = c.now
        c.start_clock(K.REVIEW_PICKUP)
        c.then(lambda: notify_arbitration(c.claim, now=c.now))
    return c.claim


def claim_respond(*, claim: Claim, actor: User, message: str) -> Claim:
    """Answers a request for information: Partner Action Required -> Under Review.

    Back to the reviewer who asked, with a fresh decision clock. Refused after the
    answer deadline (`answer_deadline_passed`).
    """
    message = (message or "").strip()
    if not message:
        raise DomainError.of("message_required", "message")
    with change(claim, actor=actor, action=EventAction.RESPONDED, access=partner_of(actor)) as c:
        c.guard("respond")
        if not answer_open(c.claim, c.now):
            raise DomainError.of("answer_deadline_passed")
        c.fire("respond")
        c.start_clock(K.DISPUTE_DECISION if c.claim.is_dispute else K.REVIEW_DECISION)
        c.claim.is_overdue = False
        note = comment(c.claim, author=actor, role=c.role, body=message, kind=ClaimComment.Kind.ANSWER, now=c.now)
        c.details = {"comment_id": note.pk, "message": message}
    return c.claim


def claim_withdraw(*, claim: Claim, actor: User, reason: str, message: str = "") -> Claim:
    """The partner asks for its own claim to be rejected (reason: partner request).

    From Submitted, Under Review, Partner Action Required or Approved; an approved
    association ends. Not disputable, so no dispute clock.
    """
    if reason not in WithdrawReason.values:
        raise DomainError.of("invalid_reason", "reason")
    with change(claim, actor=actor, action=EventAction.WITHDRAWN, access=partner_of(actor)) as c:
        if c.claim.association_ended_at is not None:
            raise DomainError.of("association_ended")
        c.fire("withdraw")
        c.claim.rejection_reason = RejectionReason.PARTNER_REQUEST
        c.claim.rejection_message = (message or "").strip()
        c.claim.decided_at = c.now
        c.claim.is_overdue = False
        c.stop_clock()
        ended = end_associations(c.claim, reason=RejectionReason.PARTNER_REQUEST, now=c.now)
        c.details = {"reason": reason, "message": c.claim.rejection_message, "associations_ended": ended}
    return c.claim


def claim_dispute(*, claim: Claim, actor: User, justification: str, files: Iterable[UploadedFile] = ()) -> Claim:
    """Disputes a rejection: Rejected -> Under Review, marked as a dispute.

    Once per claim, within the dispute window, not for partner-request or customer-denial
    rejections. Needs a business justification and/or updated PoE. Starts the dispute
    decision clock.
    """
    justification = (justification or "").strip()
    files = list(files)
    with change(claim, actor=actor, action=EventAction.DISPUTED, access=partner_of(actor)) as c:
        refuse_dispute(c.claim, c.now)
        if not justification and not files:
            raise DomainError.of("dispute_needs_content", "justification")
        competition.lock_tenant(c.claim.tenant_id)
        refuse_duplicate(c.claim, field=None)
        added = [store(c.claim, actor, f, c.now, for_dispute=True) for f in files]
        c.fire("dispute")
        c.claim.is_dispute = True
        c.claim.disputed_at = c.now
        c.claim.dispute_justification = justification
        c.claim.assigned_reviewer = None
        c.claim.is_overdue = False
        c.start_clock(K.DISPUTE_DECISION)
        if justification:
            comment(c.claim, author=actor, role=c.role, body=justification, kind=ClaimComment.Kind.DISPUTE, now=c.now)
        c.details = {"justification": justification, "files": [e.original_name for e in added]}
    return c.claim
