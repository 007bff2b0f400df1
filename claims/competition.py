"""Competing claims: another partner holds, or claims, the same customer tenant and product.

One definition serves the queue (an Exists annotation, so the list stays at a constant
number of queries), the claim pages and the arbitration notices (worded by claims.notes).
What is contested and what is a company's live claim (duplicates) are each written once,
set-based over many (tenant, product) pairs (contested_for, live_claims_for), for a claim
and for the bulk import's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from .models import Association, Claim, ClaimEvidence, ClaimProduct
from .states import OPEN_STATES


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


def competing_ids(*, states: tuple[str, ...], area: str = "") -> list[int]:
    """The claims in `states` (a subset of OPEN_STATES) that compete, in the review queue's
    order (overdue first, then the deadline that falls first, then the claim number),
    set-based: the same claims as `with_competing`, without an EXISTS per claim (too slow at a
    million claims).

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
            SELECT c.id, c.tenant_id, c.company_id, c.state, c.solution_area, c.is_overdue, c.deadline_at, cp.product_id
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
        SELECT id FROM (
            SELECT DISTINCT l.id, l.is_overdue, l.deadline_at FROM open_lines l
            JOIN contested k ON k.tenant_id = l.tenant_id AND k.product_id = l.product_id
            WHERE l.state IN ({state_marks}){area_sql}
        ) competing
        ORDER BY is_overdue DESC, deadline_at ASC NULLS LAST, id ASC
    """
    params = [*OPEN_STATES, *states, *([area] if area else [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


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
        .prefetch_related(Prefetch("claim__evidence", queryset=ClaimEvidence.objects.scanned_clean()))
    )
    claims = list(
        Claim.objects.filter(tenant_id=claim.tenant_id, products__product_id__in=product_ids, state__in=OPEN_STATES)
        .exclude(company_id=claim.company_id)
        .distinct()
        .select_related("company", "mpn")
        .prefetch_related(Prefetch("evidence", queryset=ClaimEvidence.objects.scanned_clean()), "products__product")
    )
    return {"associations": associations, "claims": claims}


# --- Before submitting, duplicates, and the arbitration's consequences --------------

HELD, CLAIMED = "held", "claimed"


def conflicts(claim: Claim) -> list[dict]:
    """The claim's own products that another partner holds (an active association) or
    claims (an open claim) on the same customer tenant: [{product, name, kind}].

    Says nothing about who: the partner learns only that arbitration will apply."""
    return claim_warnings(claim, duplicates=False)[0]


def duplicates(claim: Claim) -> list[dict]:
    """The company's other live claims for this claim's customer tenant and products
    (duplicates_for): what submission would refuse with `duplicate_claim`, told before."""
    return claim_warnings(claim)[1]


def claim_warnings(claim: Claim, *, duplicates: bool = True) -> tuple[list[dict], list[dict]]:
    """conflicts(claim) and duplicates(claim) together, from the same two queries (the claim
    page shows both)."""
    if claim.tenant_id is None:
        return [], []
    products = {cp.product_id: cp.product for cp in claim.products.all()}
    return warnings_for(claim.tenant_id, products, company_id=claim.company_id, exclude_claim=claim.pk, duplicates=duplicates)


def conflicts_for(tenant_id: int, products: dict, *, company_id: int, exclude_claim: int | None = None) -> list[dict]:
    """`products` maps product id -> Product. Two queries, whatever the number of products."""
    return warnings_for(tenant_id, products, company_id=company_id, exclude_claim=exclude_claim, duplicates=False)[0]


def duplicates_for(tenant_id: int, products: dict, *, company_id: int, exclude_claim: int | None = None) -> list[dict]:
    """`products` maps product id -> Product: [{product, name, claim_id, claim_name}], one per
    product the company already has a live claim for on this tenant (live_claims_for). The
    claims are the company's own, so naming them is fine. Three queries at most."""
    return warnings_for(tenant_id, products, company_id=company_id, exclude_claim=exclude_claim)[1]


def warnings_for(
    tenant_id: int, products: dict, *, company_id: int, exclude_claim: int | None = None, duplicates: bool = True
) -> tuple[list[dict], list[dict]]:
    """(conflicts_for, duplicates_for) of these products on this tenant, from one look at who
    holds and claims them (competition_for: two queries), plus one for the duplicates' names."""
    if not products:
        return [], []
    by_name = sorted(products.items(), key=lambda item: item[1].name)
    pairs = {(tenant_id, product_id) for product_id in products}
    contested, live = competition_for(company_id, pairs, exclude_claim=exclude_claim)
    found = [
        {"product": product.code, "name": product.name, "kind": contested[(tenant_id, product_id)]}
        for product_id, product in by_name
        if (tenant_id, product_id) in contested
    ]
    if not duplicates or not live:
        return found, []
    names = dict(Claim.objects.filter(pk__in=set(live.values()), company_id=company_id).values_list("pk", "name"))
    own = [
        {"product": product.code, "name": product.name, "claim_id": claim_id, "claim_name": names[claim_id]}
        for product_id, product in by_name
        if (claim_id := live.get((tenant_id, product_id))) in names
    ]
    return found, own


Pair = tuple[int, int]  # (customer tenant id, product id)


def _among(pairs: set[Pair], rows) -> Iterator[tuple]:
    # Rows (tenant, product, ...): the queries select the tenants x products around the pairs
    # (two IN lists, so the SQL stays small for any number of pairs); only the pairs asked for count.
    for row in rows:
        if row[:2] in pairs:
            yield row


def _holders(pairs: set[Pair]) -> tuple[list[tuple], list[tuple]]:
    """Every company's open claims' product lines and active associations on these pairs:
    two lists of (tenant, product, claim id, company id). Two queries, whatever the number of
    pairs."""
    tenants, products = {t for t, _p in pairs}, {p for _t, p in pairs}
    lines = ClaimProduct.objects.filter(
        claim__tenant_id__in=tenants, product_id__in=products, claim__state__in=OPEN_STATES
    ).values_list("claim__tenant_id", "product_id", "claim_id", "claim__company_id")
    held = Association.objects.filter(tenant_id__in=tenants, product_id__in=products, ended_at__isnull=True).values_list(
        "tenant_id", "product_id", "claim_id", "company_id"
    )
    return list(_among(pairs, lines)), list(_among(pairs, held))


def competition_for(
    company_id: int, pairs: Iterable[Pair], *, exclude_claim: int | None = None
) -> tuple[dict[Pair, str], dict[Pair, int]]:
    """(contested_for, live_claims_for) of these pairs for `company_id`, from the same two
    queries: who else holds or claims each pair, and the company's own live claim for it."""
    pairs = set(pairs)
    if not pairs:
        return {}, {}
    lines, held = _holders(pairs)
    # Contested: another company claims the pair (an open claim) or holds it (HELD wins).
    contested = dict.fromkeys((row[:2] for row in lines if row[3] != company_id), CLAIMED)
    contested.update(dict.fromkeys((row[:2] for row in held if row[3] != company_id), HELD))
    # Live: the company's own holding claims, then its open ones, each from the highest id
    # down, later rows winning: an open claim is named before a holding one, then the lowest id.
    live: dict[Pair, int] = {}
    for rows in (held, lines):
        for tenant_id, product_id, claim_id, owner in sorted(rows, key=lambda row: (row[2] is not None, -(row[2] or 0))):
            if owner == company_id and claim_id != exclude_claim:
                live[(tenant_id, product_id)] = claim_id
    return contested, live


def contested_for(company_id: int, pairs: Iterable[Pair], *, exclude_claim: int | None = None) -> dict[Pair, str]:
    """Of these (tenant, product) pairs, those another partner than `company_id` holds (an
    active association: HELD) or claims (an open claim: CLAIMED), HELD first.

    The one definition of "contested" for a claim's warnings (conflicts_for) and for many
    rows at once (the bulk import). Two queries, whatever the number of pairs."""
    return competition_for(company_id, pairs, exclude_claim=exclude_claim)[0]


def live_claims_for(company_id: int, pairs: Iterable[Pair], *, exclude_claim: int | None = None) -> dict[Pair, int]:
    """{(tenant, product): claim id} of the company's live claim for each of these pairs
    that has one: Submitted, Under Review, Partner Action Required, or Approved with an
    active association for that product (an Approved claim whose association ended, by
    arbitration or otherwise, is no longer live).

    The one definition of "duplicate" for a submission (duplicate_of) and for many rows at
    once (the bulk import). An open claim is named before a holding one, then the lowest id.
    Two queries, whatever the number of pairs."""
    return competition_for(company_id, pairs, exclude_claim=exclude_claim)[1]


def lock_tenant(tenant_id: int | None) -> None:
    """Serializes every decision about one customer tenant's associations (approvals,
    submissions checked for duplicates, restorations). Absent association rows cannot be
    locked, so the tenant row stands for "this tenant's associations". Callers lock their
    claim first, then the tenant: one order everywhere."""
    if tenant_id is not None:
        from .models import CustomerTenant

        list(CustomerTenant.objects.select_for_update().filter(pk=tenant_id).values_list("pk", flat=True))


def lock_tenant_of(claim: Claim | int) -> None:
    """Locks the tenant of a claim BEFORE the claim itself. An approval locks the tenant,
    then the losing claims; a service that touches a claim which can lose (open or
    approved) must take the same order, or two of them deadlock. The tenant of a claim
    changes only in Editing, so reading it unlocked is safe for those claims."""
    pk = claim if isinstance(claim, int) else claim.pk
    lock_tenant(Claim.objects.filter(pk=pk).values_list("tenant_id", flat=True).first())


def duplicate_of(claim: Claim) -> Claim | None:
    """The company's other live claim for the same customer tenant and one of this claim's
    products (live_claims_for), the lowest id if several. None if there is none."""
    if claim.tenant_id is None:
        return None
    pairs = {(claim.tenant_id, cp.product_id) for cp in claim.products.all()}
    found = live_claims_for(claim.company_id, pairs, exclude_claim=claim.pk)
    return Claim.objects.get(pk=min(found.values())) if found else None
