"""Competing claims: another partner holds, or claims, the same customer tenant and product.

One definition serves the queue (an Exists annotation, so the list stays at a constant
number of queries), the claim pages and the arbitration notices.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from .choices import ActorRole, ClaimState, EventAction
from .models import Association, Claim, ClaimComment, ClaimProduct

OPEN_STATES = (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW, ClaimState.PARTNER_ACTION_REQUIRED)


def with_competing(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    """Annotates `is_competing` on each claim of the queryset."""
    other_association = Association.objects.filter(
        tenant_id=OuterRef("claim__tenant_id"), product_id=OuterRef("product_id"), ended_at__isnull=True
    ).exclude(company_id=OuterRef("claim__company_id"))
    other_open_claim = ClaimProduct.objects.filter(
        claim__tenant_id=OuterRef("claim__tenant_id"), product_id=OuterRef("product_id"), claim__state__in=OPEN_STATES
    ).exclude(claim__company_id=OuterRef("claim__company_id"))
    contested_line = ClaimProduct.objects.filter(claim=OuterRef("pk")).filter(
        Exists(other_association) | Exists(other_open_claim)
    )
    return qs.annotate(is_competing=Exists(contested_line))


def competitors(claim: Claim) -> dict:
    """What competes with this claim: other partners' active associations and open claims
    on the same tenant for any of its products (for reviewers only)."""
    if claim.tenant_id is None:
        return {"associations": [], "claims": []}
    product_ids = [cp.product_id for cp in claim.products.all()]
    associations = list(
        Association.objects.filter(tenant_id=claim.tenant_id, product_id__in=product_ids, ended_at__isnull=True)
        .exclude(company_id=claim.company_id)
        .select_related("company", "product", "subscription", "claim", "claim__mpn")
        .prefetch_related("claim__evidence")
    )
    claims = list(
        Claim.objects.filter(tenant_id=claim.tenant_id, products__product_id__in=product_ids, state__in=OPEN_STATES)
        .exclude(company_id=claim.company_id)
        .distinct()
        .select_related("company", "mpn")
        .prefetch_related("evidence", "products__product")
    )
    return {"associations": associations, "claims": claims}


def notify_arbitration(claim: Claim, *, now: datetime) -> list[Claim]:
    """Posts the arbitration notice on this claim and on every claim it competes with
    (open claims and the claims behind current associations), once per claim.

    The notice names no partner and shows no proof: each side only learns that
    reviewers are comparing proof of execution.
    """
    from .services import comment, partner_language, record  # services import this module

    found = competitors(claim)
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
        with translation.override(partner_language(other)):  # written for that claim's partner
            notice = _(
                "This claim is in arbitration: another partner has claimed the same customer and product. "
                "Reviewers compare each partner's proof of execution and may ask you for more information "
                "here. The review still starts within 5 business days."
            )
        comment(other, author=None, role=ActorRole.SYSTEM, kind=ClaimComment.Kind.ARBITRATION, body=notice, now=now)
        record(other, actor=None, role=ActorRole.SYSTEM, action=EventAction.ARBITRATION_STARTED, now=now)
        Claim.objects.filter(pk=other.pk).update(arbitration_notified_at=now)
        other.arbitration_notified_at = now
        notified.append(other)
    return notified
