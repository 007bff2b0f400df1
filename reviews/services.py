"""Reviewer actions on a claim. Same shape as claims.services: one transaction,
row lock, fsm transition, update_fields, history row, outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from claims import clocks, competition, notifications
from claims.choices import (
    REVIEWER_REJECTION_REASONS,
    ActorRole,
    ClaimState,
    DeadlineKind,
    EventAction,
    InfoRequestReason,
)
from claims.competition import OPEN_STATES
from claims.errors import DomainError, ErrorCollector
from claims.models import Association, Claim, ClaimComment, ClaimProduct, User
from claims.services import (
    approval_emails,
    comment,
    fire,
    lock,
    partner_email,
    partner_language,
    record,
    rejection_email,
    require_reviewer,
    save,
)

K = DeadlineKind


def review_start(*, claim: Claim, reviewer: User) -> Claim:
    """Submitted -> Under Review, assigned to the reviewer. Starts the decision clock."""
    require_reviewer(reviewer)
    with transaction.atomic():
        claim = lock(claim)
        now = timezone.now()
        pickup_due = claim.deadline_at if claim.deadline_kind == K.REVIEW_PICKUP else None
        before = fire(claim, "start_review")
        claim.assigned_reviewer = reviewer
        claim.review_started_at = now
        claim.is_overdue = False
        clocks.start_clock(claim, K.REVIEW_DECISION, now)
        save(claim, ["state", "assigned_reviewer", "review_started_at", "is_overdue", *clocks.CLOCK_FIELDS])
        record(
            claim,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            action=EventAction.REVIEW_STARTED,
            now=now,
            from_state=before,
            details={"due_at": pickup_due.isoformat() if pickup_due else None},  # SLA: pickup on time?
        )
    return claim


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
    answer deadline (5 business days); `remove_products` names products the PoE does
    not cover, which the partner is asked to remove.
    """
    require_reviewer(reviewer)
    reasons = list(dict.fromkeys(reasons or []))
    remove_products = list(dict.fromkeys(remove_products or []))
    message = (message or "").strip()
    errors = ErrorCollector()
    if not reasons or any(r not in InfoRequestReason.values for r in reasons):
        errors.add("invalid_reason", "reasons")
    if not message:
        errors.add("message_required", "message")
    errors.raise_if_any()
    with transaction.atomic():
        claim = lock(claim)
        claimed = {cp.product.code: cp.product.name for cp in claim.products.select_related("product")}
        if any(code not in claimed for code in remove_products):
            raise DomainError.of("unknown_product", "remove_products")
        now = timezone.now()
        before = fire(claim, "request_info")
        claim.info_request_reasons = reasons
        claim.info_request_message = message
        if claim.assigned_reviewer_id is None:
            claim.assigned_reviewer = reviewer
        clocks.start_clock(claim, K.PARTNER_ANSWER, now)
        save(claim, ["state", "info_request_reasons", "info_request_message", "assigned_reviewer", *clocks.CLOCK_FIELDS])
        reason_labels = [InfoRequestReason(r).label for r in reasons]
        with translation.override(partner_language(claim)):  # the note is read by the partner
            body = "\n".join([*(f"- {label}" for label in reason_labels), "", message])
            if remove_products:
                body += "\n\n" + str(_("Please remove these products, which the proof of execution does not cover: "))
                body += ", ".join(claimed[c] for c in remove_products)
        note = comment(claim, author=reviewer, role=ActorRole.REVIEWER, body=body, kind=ClaimComment.Kind.INFO_REQUEST, now=now)
        record(
            claim,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            action=EventAction.INFO_REQUESTED,
            now=now,
            from_state=before,
            details={"reasons": reasons, "message": message, "remove_products": remove_products, "comment_id": note.pk},
        )
        notifications.enqueue(
            [
                partner_email(
                    "info_requested",
                    claim,
                    now,
                    reasons=list(reasons),  # codes: labels in the recipient's language
                    message=message,
                    remove_products=[claimed[c] for c in remove_products],
                    answer_by=claim.deadline_at,
                )
            ]
        )
    return claim


def review_approve(*, claim: Claim, reviewer: User, message: str = "", rationale: str = "") -> Claim:
    """Under Review -> Approved. Creates the associations and starts the 7-day consent window.

    When another partner holds an approved association for the same tenant and product,
    this decides the arbitration: a `rationale` is required (`rationale_required`, 409: the
    tenant's associations changed the decision), the other partner's association ends
    (reason "arbitration"), and its claim says so: a comment that names no partner, a
    history row, and an email to its partner contact and claims-role users. Other
    partners' open claims on that product are told the same way. The partner's own earlier
    association for that tenant and product (an older subscription) is superseded.

    Two approvals racing for one tenant and product are serialized by a lock on the tenant
    row (tenant first, then the claims): the second sees the first's association and is refused
    with `rationale_required` instead of a uniqueness error.
    Emails the partner contact and the customer contact (with the deny link).
    """
    require_reviewer(reviewer)
    message = (message or "").strip()
    rationale = (rationale or "").strip()
    with transaction.atomic():
        competition.lock_tenant_of(claim)  # tenant first, then claims: see lock_tenant_of
        claim = lock(claim)
        if not can_proceed(claim.approve):
            raise DomainError.of("invalid_transition")
        lines = list(claim.products.select_related("product", "subscription"))
        held = list(
            Association.objects.select_for_update()
            .filter(tenant_id=claim.tenant_id, product__in=[cp.product_id for cp in lines], ended_at__isnull=True)
            .select_related("product")
        )
        others = [a for a in held if a.company_id != claim.company_id]
        if others and not rationale:
            raise DomainError.of("rationale_required", "rationale")
        now = timezone.now()
        due_at = claim.deadline_at
        before = fire(claim, "approve")
        Association.objects.filter(pk__in=[a.pk for a in held if a.company_id == claim.company_id]).update(
            ended_at=now, end_reason="superseded"
        )
        Association.objects.filter(pk__in=[a.pk for a in others]).update(
            ended_at=now, end_reason="arbitration", ended_by_claim=claim
        )
        try:
            with transaction.atomic():  # a savepoint: the lock above makes this a last resort
                Association.objects.bulk_create(
                    Association(
                        claim=claim,
                        company_id=claim.company_id,
                        tenant_id=claim.tenant_id,
                        product_id=cp.product_id,
                        subscription_id=cp.subscription_id,
                        started_at=now,
                    )
                    for cp in lines
                )
        except IntegrityError as exc:
            raise DomainError.of("concurrent_change") from exc
        claim.decided_at = now
        claim.is_overdue = False
        if claim.assigned_reviewer_id is None:
            claim.assigned_reviewer = reviewer
        claim.consent_nonce = uuid.uuid4()
        clocks.start_clock(claim, K.CONSENT_WINDOW, now)
        save(claim, ["state", "decided_at", "is_overdue", "assigned_reviewer", "consent_nonce", *clocks.CLOCK_FIELDS])
        if message:
            comment(claim, author=reviewer, role=ActorRole.REVIEWER, body=message, kind=ClaimComment.Kind.DECISION, now=now)
        record(
            claim,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            action=EventAction.APPROVED,
            now=now,
            from_state=before,
            details={
                "message": message,
                # Reviewers only (claims.confidential hides both from partners).
                "rationale": rationale,
                "associations_ended": [{"company": a.company_id, "claim": a.claim_id, "product": a.product.code} for a in others],
                "dispute": claim.is_dispute,
                "due_at": due_at.isoformat() if due_at else None,
            },
        )
        _tell_losing_side(claim, others, lines, now=now)
        notifications.enqueue(approval_emails(claim, now))
    return claim


def _tell_losing_side(winner: Claim, ended: list[Association], lines, *, now) -> None:
    """Tells the claims that lost an arbitration (comment, history, email), naming no partner.

    A claim whose last active association ended says "Association ended" from now on: its
    consent clock stops (it is no longer on its way to incentive eligibility) and it can no
    longer be withdrawn. Other partners' open claims for the same products are told too.
    """
    product_ids = [cp.product_id for cp in lines]
    ended_products: dict[int, set[str]] = {}
    for a in ended:
        ended_products.setdefault(a.claim_id, set()).add(a.product.name)
    open_products: dict[int, set[str]] = {}
    open_lines = (
        ClaimProduct.objects.filter(claim__tenant_id=winner.tenant_id, product_id__in=product_ids, claim__state__in=OPEN_STATES)
        .exclude(claim__company_id=winner.company_id)
        .select_related("product")
    )
    for cp in open_lines:
        open_products.setdefault(cp.claim_id, set()).add(cp.product.name)
    still_holding = set(
        Association.objects.filter(claim_id__in=list(ended_products), ended_at__isnull=True).values_list("claim_id", flat=True)
    )
    emails = []
    for loser in Claim.objects.select_for_update(of=("self",)).filter(pk__in=[*ended_products, *open_products]).order_by("pk"):
        products = sorted(ended_products.get(loser.pk, set()) | open_products.get(loser.pk, set()))
        names = ", ".join(products)
        language = translation.override(partner_language(loser))  # written for that claim's partner
        if loser.pk in ended_products:
            all_ended = loser.pk not in still_holding
            with language:
                body = _(
                    "Association ended for %(products)s: after reviewers compared proof of execution, the customer and "
                    "product were decided for another partner on %(date)s. This claim is no longer on its way to "
                    "incentive eligibility evaluation. If the customer denies the other partner, your association is "
                    "restored and you will be emailed."
                ) % {"products": names, "date": formats.date_format(timezone.localtime(now), "DATE_FORMAT")}
            if all_ended:
                loser.association_ended_at = now
                fields = ["association_ended_at"]
                if loser.deadline_kind == K.CONSENT_WINDOW:
                    clocks.stop_clock(loser)
                    fields += clocks.CLOCK_FIELDS
                save(loser, fields)
            action = EventAction.ARBITRATION_DECIDED
        else:
            all_ended = False
            with language:
                body = _(
                    "Reviewers compared proof of execution and approved another partner's claim for %(products)s at "
                    "this customer. A reviewer will still decide this claim and may ask you for more information here."
                ) % {"products": names}
            action = EventAction.ARBITRATION_DECIDED_OPEN
        comment(loser, author=None, role=ActorRole.SYSTEM, kind=ClaimComment.Kind.ARBITRATION, body=body, now=now)
        record(
            loser,
            actor=None,
            role=ActorRole.SYSTEM,
            action=action,
            now=now,
            # decided_by_claim is for reviewers only (claims.confidential hides it from partners).
            details={"products": products, "association_ended": all_ended, "decided_by_claim": winner.pk},
        )
        emails += competition.arbitration_lost_emails(loser, products=products, association_ended=all_ended, now=now)
    notifications.enqueue(emails)


def review_assign(*, claim: Claim, reviewer: User, assignee: User) -> Claim:
    """Assigns (or reassigns) a claim that needs a reviewer. Recorded in history."""
    require_reviewer(reviewer)
    if not assignee.is_reviewer:
        raise DomainError.of("not_a_reviewer", "assignee")
    with transaction.atomic():
        claim = lock(claim)
        if claim.state not in (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW, ClaimState.PARTNER_ACTION_REQUIRED):
            raise DomainError.of("invalid_transition")
        previous = claim.assigned_reviewer
        if previous == assignee:
            return claim
        claim.assigned_reviewer = assignee
        save(claim, ["assigned_reviewer"])
        record(
            claim,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            action=EventAction.ASSIGNED,
            now=timezone.now(),
            changes={"assigned_reviewer": [previous.username if previous else None, assignee.username]},
        )
    return claim


def review_reject(*, claim: Claim, reviewer: User, reason: str, message: str) -> Claim:
    """Under Review -> Rejected with a reviewer's reason and message.

    Starts the 30-day dispute window, unless this decides a dispute: then it is final.
    Emails the partner contact with the reason and how (and until when) to dispute.
    """
    require_reviewer(reviewer)
    message = (message or "").strip()
    errors = ErrorCollector()
    if reason not in REVIEWER_REJECTION_REASONS:
        errors.add("invalid_reason", "reason")
    if not message:
        errors.add("message_required", "message")
    errors.raise_if_any()
    with transaction.atomic():
        claim = lock(claim)
        now = timezone.now()
        due_at = claim.deadline_at
        before = fire(claim, "reject")
        claim.rejection_reason = reason
        claim.rejection_message = message
        claim.decided_at = now
        claim.is_overdue = False
        if claim.assigned_reviewer_id is None:
            claim.assigned_reviewer = reviewer
        if claim.disputed_at is None:
            clocks.start_clock(claim, K.DISPUTE_WINDOW, now)
        else:
            clocks.stop_clock(claim)  # a rejection after a dispute is final
        save(
            claim,
            [
                "state",
                "rejection_reason",
                "rejection_message",
                "decided_at",
                "is_overdue",
                "assigned_reviewer",
                *clocks.CLOCK_FIELDS,
            ],
        )
        comment(claim, author=reviewer, role=ActorRole.REVIEWER, body=message, kind=ClaimComment.Kind.DECISION, now=now)
        record(
            claim,
            actor=reviewer,
            role=ActorRole.REVIEWER,
            action=EventAction.REJECTED,
            now=now,
            from_state=before,
            details={
                "reason": reason,
                "message": message,
                "dispute": claim.is_dispute,
                "final": claim.disputed_at is not None,
                "due_at": due_at.isoformat() if due_at else None,
            },
        )
        notifications.enqueue([rejection_email(claim, now)])
    return claim
