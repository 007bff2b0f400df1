"""Competing claims: what an approval does to other partners' associations and claims, and
what a customer's denial of the winner gives back (docs/rules.md, "Competing
claims"). Every claim told here gets a comment that names no partner, a history row (whose
emails and webhooks follow from claims.history) and nothing that identifies the other side.

Callers hold the customer tenant's lock (competition.lock_tenant), taken before any claim.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from .. import competition, notes
from ..choices import ActorRole, ClaimState, DeadlineKind, EventAction
from ..errors import DomainError
from ..models import Association, Claim, ClaimProduct
from ..states import OPEN_STATES
from .base import change, record, system_note

K = DeadlineKind


def notify_arbitration(claim: Claim, *, now: datetime) -> list[Claim]:
    """Posts the arbitration notice on this claim and on every claim it competes with
    (open claims and the claims behind current associations), once per claim.

    The notice names no partner and shows no proof: each side only learns that
    reviewers are comparing proof of execution."""
    found = competition.competitors(claim)
    involved = {claim.pk: claim}
    for other in found["claims"]:
        involved[other.pk] = other
    for association in found["associations"]:
        involved[association.claim_id] = association.claim
    if len(involved) == 1:
        return []
    notified = []
    for other in involved.values():
        if other.arbitration_notified_at is not None:
            continue
        system_note(other, note=notes.arbitration_notice(other), now=now)
        record(other, actor=None, role=ActorRole.SYSTEM, action=EventAction.ARBITRATION_STARTED, now=now)
        Claim.objects.filter(pk=other.pk).update(arbitration_notified_at=now)
        other.arbitration_notified_at = now
        notified.append(other)
    return notified


def held_associations(claim: Claim, product_ids: list[int]) -> list[Association]:
    """The active associations on the claim's tenant for these products, locked."""
    return list(
        Association.objects.select_for_update()
        .filter(tenant_id=claim.tenant_id, product__in=product_ids, ended_at__isnull=True)
        .select_related("product")
    )


def award(winner: Claim, lines: list[ClaimProduct], held: list[Association], *, now: datetime) -> list[Association]:
    """The approved claim takes the customer and products: the company's own earlier
    associations for them are superseded, other partners' end (reason "arbitration"), and the
    winner's start. Returns the other partners' ended associations."""
    others = [a for a in held if a.company_id != winner.company_id]
    Association.objects.filter(pk__in=[a.pk for a in held if a.company_id == winner.company_id]).update(
        ended_at=now, end_reason="superseded"
    )
    Association.objects.filter(pk__in=[a.pk for a in others]).update(
        ended_at=now, end_reason="arbitration", ended_by_claim=winner
    )
    try:
        with transaction.atomic():  # a savepoint: the tenant lock makes this a last resort
            Association.objects.bulk_create(
                Association(
                    claim=winner,
                    company_id=winner.company_id,
                    tenant_id=winner.tenant_id,
                    product_id=cp.product_id,
                    subscription_id=cp.subscription_id,
                    started_at=now,
                )  # fmt: skip
                for cp in lines
            )
    except IntegrityError as exc:
        raise DomainError.of("concurrent_change") from exc
    return others


def tell_losing_side(winner: Claim, ended: list[Association], lines: list[ClaimProduct], *, now: datetime) -> None:
    """Tells the claims that lost an arbitration (comment, history: its emails and webhooks).

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
    for pk in sorted({*ended_products, *open_products}):
        lost = pk in ended_products
        action = EventAction.ARBITRATION_DECIDED if lost else EventAction.ARBITRATION_DECIDED_OPEN
        with change(pk, actor=None, action=action, now=now) as c:
            products = sorted(ended_products.get(pk, set()) | open_products.get(pk, set()))
            note = notes.association_ended(products, now) if lost else notes.decided_open(products)
            all_ended = lost and pk not in still_holding
            if all_ended:
                c.claim.association_ended_at = now
                if c.claim.deadline_kind == K.CONSENT_WINDOW:
                    c.stop_clock()
            system_note(c.claim, note=note, now=now)
            # decided_by_claim is for reviewers only (claims.history keeps it from partners).
            c.details = {"products": products, "association_ended": all_ended, "decided_by_claim": winner.pk}


def restore_after_denial(winner: Claim, *, now: datetime) -> None:
    """The customer denied the winner of an arbitration: the associations that approval
    ended come back (product decision), unless their claim was since withdrawn or rejected,
    or someone else holds the tenant and product by now. History on both claims, an email
    to the restored partner. A restored claim whose consent window was stopped gets a fresh
    consent window (its customer's link still works); one already sent to incentive
    eligibility evaluation stays there."""
    ended = list(
        Association.objects.select_for_update()
        .filter(ended_by_claim=winner, end_reason="arbitration", ended_at__isnull=False, claim__state=ClaimState.APPROVED)
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
    for pk in sorted(restored):
        with change(pk, actor=None, action=EventAction.ASSOCIATION_RESTORED, now=now) as c:
            products = sorted(restored[pk])
            c.claim.association_ended_at = None
            if c.claim.eligibility_sent_at is None and not c.claim.deadline_kind:
                c.start_clock(K.CONSENT_WINDOW)
            system_note(c.claim, note=notes.association_restored(products), now=now)
            c.details = {"products": products, "restored_by_denial_of": winner.pk}
    record(
        winner,
        actor=None,
        role=ActorRole.SYSTEM,
        action=EventAction.ASSOCIATIONS_RESTORED,
        now=now,
        details={"products": sorted({p for names in restored.values() for p in names}), "claims": sorted(restored)},
    )
