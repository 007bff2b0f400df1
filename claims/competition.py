"""Competing claims: another partner holds, or claims, the same customer tenant and product.

One definition serves the queue (an Exists annotation, so the list stays at a constant
number of queries), the claim pages and the arbitration notices.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from .choices import ActorRole, ClaimState, EventAction
from .models import Association, Claim, ClaimComment, ClaimProduct

OPEN_STATES = (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW, ClaimState.PARTNER_ACTION_REQUIRED)


def _contested(lines: QuerySet[ClaimProduct]) -> QuerySet[ClaimProduct]:
    """The product lines among `lines` that another partner holds or claims."""
    other_association = Association.objects.filter(
        tenant_id=OuterRef("claim__tenant_id"), product_id=OuterRef("product_id"), ended_at__isnull=True
    ).exclude(company_id=OuterRef("claim__company_id"))
    other_open_claim = ClaimProduct.objects.filter(
        claim__tenant_id=OuterRef("claim__tenant_id"), product_id=OuterRef("product_id"), claim__state__in=OPEN_STATES
    ).exclude(claim__company_id=OuterRef("claim__company_id"))
    return lines.filter(Exists(other_association) | Exists(other_open_claim))


def competing_condition() -> Exists:
    """True for a claim with a contested product line (to filter a Claim queryset)."""
    return Exists(_contested(ClaimProduct.objects.filter(claim=OuterRef("pk"))))


def with_competing(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    """Annotates `is_competing` on each claim of the queryset.

    For a page of a long list prefer `mark_competing` on the page's rows: PostgreSQL may
    compute an EXISTS in the select list for every row before the LIMIT."""
    return qs.annotate(is_competing=competing_condition())


def mark_competing(claims: list[Claim]) -> list[Claim]:
    """Sets `is_competing` on each of these claims, in one query over their rows only."""
    if claims:
        lines = _contested(ClaimProduct.objects.filter(claim_id__in=[c.pk for c in claims]))
        contested = set(lines.values_list("claim_id", flat=True))
        for claim in claims:
            claim.is_competing = claim.pk in contested
    return claims


def count_competing(*, states: tuple[str, ...], area: str = "") -> int:
    """How many claims in `states` (a subset of OPEN_STATES) compete, set-based: the same
    answer as `with_competing`, without an EXISTS per claim (seconds at a million claims).

    A customer tenant and product is contested when more than one company holds it among
    the open claims' product lines and the active associations; since a claim's own line is
    one of those holders, its line competes exactly when its pair is contested.
    """
    assert set(states) <= set(OPEN_STATES)
    open_marks = ", ".join(["%s"] * len(OPEN_STATES))
    state_marks = ", ".join(["%s"] * len(states))
    area_sql = " AND l.solution_area = %s" if area else ""
    sql = f"""
        WITH open_lines AS (
            SELECT c.id, c.tenant_id, c.company_id, c.state, c.solution_area, cp.product_id
            FROM claims_claim c JOIN claims_claimproduct cp ON cp.claim_id = c.id
            WHERE c.state IN ({open_marks}) AND c.tenant_id IS NOT NULL
        ), contested AS (
            SELECT tenant_id, product_id FROM (
                SELECT tenant_id, product_id, company_id FROM open_lines
                UNION ALL
                SELECT tenant_id, product_id, company_id FROM claims_association WHERE ended_at IS NULL
            ) holders
            GROUP BY tenant_id, product_id HAVING MIN(company_id) <> MAX(company_id)
        )
        SELECT COUNT(*) FROM (
            SELECT DISTINCT l.id FROM open_lines l
            JOIN contested k ON k.tenant_id = l.tenant_id AND k.product_id = l.product_id
            WHERE l.state IN ({state_marks}){area_sql}
        ) competing
    """
    params = [*OPEN_STATES, *states, *([area] if area else [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


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
    from .services import comment, record  # services import this module

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
        comment(
            other,
            author=None,
            role=ActorRole.SYSTEM,
            kind=ClaimComment.Kind.ARBITRATION,
            body=_(
                "This claim is in arbitration: another partner has claimed the same customer and product. "
                "Reviewers compare each partner's proof of execution and may ask you for more information "
                "here. The review still starts within 5 business days."
            ),
            now=now,
        )
        record(other, actor=None, role=ActorRole.SYSTEM, action=EventAction.ARBITRATION_STARTED, now=now)
        Claim.objects.filter(pk=other.pk).update(arbitration_notified_at=now)
        other.arbitration_notified_at = now
        notified.append(other)
    return notified
