"""Reviewer actions on a claim, through the one transition skeleton of claims.services.base
(lock → fire → fields → clock → save → record); their emails and webhooks follow from the
history rows (claims.history)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _

from claims import access
from claims.choices import REVIEWER_REJECTION_REASONS, DeadlineKind, EventAction, InfoRequestReason
from claims.emails import partner_language_of
from claims.errors import DomainError, ErrorCollector
from claims.models import Claim, ClaimComment, User
from claims.services import arbitration
from claims.services.base import change, comment
from claims.states import STATES

K = DeadlineKind


def review_start(*, claim: Claim, reviewer: User) -> Claim:
    """Submitted -> Under Review, assigned to the reviewer. Starts the decision clock."""
    access.require_reviewer(reviewer)
    with change(claim, actor=reviewer, action=EventAction.REVIEW_STARTED) as c:
        pickup_due = c.claim.deadline_at if c.claim.deadline_kind == K.REVIEW_PICKUP else None
        c.fire("start_review")
        c.claim.assigned_reviewer = reviewer
        c.claim.review_started_at = c.now
        c.claim.is_overdue = False
        c.start_clock(K.REVIEW_DECISION)
        c.details = {"due_at": pickup_due.isoformat() if pickup_due else None}  # SLA: pickup on time?
    return c.claim


def review_request_info(
    *,
    claim: Claim,
    reviewer: User,
    reasons: Iterable[str],
    message: str,
    remove_products: Iterable[str] = (),
) -> Claim:
    """Under Review -> Partner Action Required, with one or more reasons and a message.

    The request is posted as a comment and emailed to the partner contact with the
    answer deadline; `remove_products` names products the PoE does not cover, which the
    partner is asked to remove.
    """
    access.require_reviewer(reviewer)
    reasons = list(dict.fromkeys(reasons or []))
    remove_products = list(dict.fromkeys(remove_products or []))
    message = (message or "").strip()
    errors = ErrorCollector()
    if not reasons or any(r not in InfoRequestReason.values for r in reasons):
        errors.add("invalid_reason", "reasons")
    if not message:
        errors.add("message_required", "message")
    errors.raise_if_any()
    with change(claim, actor=reviewer, action=EventAction.INFO_REQUESTED) as c:
        claimed = {cp.product.code: cp.product.name for cp in c.claim.products.select_related("product")}
        if any(code not in claimed for code in remove_products):
            raise DomainError.of("unknown_product", "remove_products")
        c.fire("request_info")
        c.claim.info_request_reasons = reasons
        c.claim.info_request_message = message
        if c.claim.assigned_reviewer_id is None:
            c.claim.assigned_reviewer = reviewer
        c.start_clock(K.PARTNER_ANSWER)
        with translation.override(partner_language_of(c.claim)):  # the note is read by the partner
            body = "\n".join([*(f"- {InfoRequestReason(r).label}" for r in reasons), "", message])
            if remove_products:
                body += "\n\n" + str(_("Please remove these products, which the proof of execution does not cover: "))
                body += ", ".join(claimed[code] for code in remove_products)
        note = comment(c.claim, author=reviewer, role=c.role, body=body, kind=ClaimComment.Kind.INFO_REQUEST, now=c.now)
        c.details = {"reasons": reasons, "message": message, "remove_products": remove_products, "comment_id": note.pk}
    return c.claim


def review_approve(*, claim: Claim, reviewer: User, message: str = "", rationale: str = "") -> Claim:
    """Under Review -> Approved. Creates the associations and starts the consent window.

    When another partner holds an approved association for the same tenant and product,
    this decides the arbitration: a `rationale` is required (`rationale_required`, 409: the
    tenant's associations changed the decision), the other partner's association ends
    (reason "arbitration"), and its claim says so (claims.services.arbitration). The
    partner's own earlier association for that tenant and product (an older subscription)
    is superseded.

    Two approvals racing for one tenant and product are serialized by a lock on the tenant
    row (tenant first, then the claims): the second sees the first's association and is refused
    with `rationale_required` instead of a uniqueness error.
    Emails the partner contact and the customer contact (with the deny link).
    """
    access.require_reviewer(reviewer)
    message = (message or "").strip()
    rationale = (rationale or "").strip()
    with change(claim, actor=reviewer, action=EventAction.APPROVED, tenant_first=True) as c:
        c.guard("approve")
        lines = list(c.claim.products.select_related("product", "subscription"))
        held = arbitration.held_associations(c.claim, [cp.product_id for cp in lines])
        if any(a.company_id != c.claim.company_id for a in held) and not rationale:
            raise DomainError.of("rationale_required", "rationale")
        due_at = c.claim.deadline_at
        c.fire("approve")
        others = arbitration.award(c.claim, lines, held, now=c.now)
        c.claim.decided_at = c.now
        c.claim.is_overdue = False
        if c.claim.assigned_reviewer_id is None:
            c.claim.assigned_reviewer = reviewer
        c.claim.consent_nonce = uuid.uuid4()
        c.start_clock(K.CONSENT_WINDOW)
        if message:
            comment(c.claim, author=reviewer, role=c.role, body=message, kind=ClaimComment.Kind.DECISION, now=c.now)
        c.details = {
            "message": message,
            # Reviewers only (claims.history lists neither for partners).
            "rationale": rationale,
            "associations_ended": [{"company": a.company_id, "claim": a.claim_id, "product": a.product.code} for a in others],
            "dispute": c.claim.is_dispute,
            "due_at": due_at.isoformat() if due_at else None,
        }
        c.then(lambda: arbitration.tell_losing_side(c.claim, others, lines, now=c.now))
    return c.claim


def review_assign(*, claim: Claim, reviewer: User, assignee: User) -> Claim:
    """Assigns (or reassigns) a claim that needs a reviewer. Recorded in history."""
    access.require_reviewer(reviewer)
    if not assignee.is_reviewer:
        raise DomainError.of("not_a_reviewer", "assignee")
    with change(claim, actor=reviewer, action=EventAction.ASSIGNED) as c:
        if not STATES[c.claim.state].assignable:
            raise DomainError.of("invalid_transition")
        previous = c.claim.assigned_reviewer
        if previous == assignee:
            c.action = None
        else:
            c.claim.assigned_reviewer = assignee
            c.changes = {"assigned_reviewer": [previous.username if previous else None, assignee.username]}
    return c.claim


def review_reject(*, claim: Claim, reviewer: User, reason: str, message: str) -> Claim:
    """Under Review -> Rejected with a reviewer's reason and message.

    Starts the dispute window, unless this decides a dispute: then it is final.
    Emails the partner contact with the reason and how (and until when) to dispute.
    """
    access.require_reviewer(reviewer)
    message = (message or "").strip()
    errors = ErrorCollector()
    if reason not in REVIEWER_REJECTION_REASONS:
        errors.add("invalid_reason", "reason")
    if not message:
        errors.add("message_required", "message")
    errors.raise_if_any()
    with change(claim, actor=reviewer, action=EventAction.REJECTED) as c:
        due_at = c.claim.deadline_at
        c.fire("reject")
        c.claim.rejection_reason = reason
        c.claim.rejection_message = message
        c.claim.decided_at = c.now
        c.claim.is_overdue = False
        if c.claim.assigned_reviewer_id is None:
            c.claim.assigned_reviewer = reviewer
        final = c.claim.disputed_at is not None  # a rejection after a dispute is final
        if final:
            c.stop_clock()
        else:
            c.start_clock(K.DISPUTE_WINDOW)
        comment(c.claim, author=reviewer, role=c.role, body=message, kind=ClaimComment.Kind.DECISION, now=c.now)
        c.details = {
            "reason": reason,
            "message": message,
            "dispute": c.claim.is_dispute,
            "final": final,
            "due_at": due_at.isoformat() if due_at else None,
        }
    return c.claim
