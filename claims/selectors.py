"""Reads with their joins in one place. List pages use a constant number of queries."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from .downloads import visible_evidence
from .models import (
    ApiToken,
    Association,
    Claim,
    ClaimComment,
    ClaimEvent,
    ClaimEvidence,
    ClaimProduct,
    CustomerTenant,
    User,
    clock_order,
)
from .validation import parse_guid


def _with_list_relations(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    return qs.select_related("tenant", "mpn").prefetch_related(
        Prefetch("products", queryset=ClaimProduct.objects.select_related("product", "subscription"))
    )


# Sortable columns of the dashboard: URL key -> ordering (ties broken by newest first).
SORTS = {
    "name": ("name",),
    "customer": ("tenant__name", "customer_domain"),
    "area": ("solution_area", "activity"),
    "status": ("state",),
    "deadline": ("deadline_at",),
    "created": ("created_at",),
}
# Only these sort columns can be NULL: the others sort without NULLS LAST, so the order
# matches the company indexes (0009) and a page is read from the index, not sorted.
NULLABLE_SORTS = frozenset({"tenant__name", "deadline_at"})
# Customers a search may match by name before the claims are matched through a subquery.
TENANT_MATCHES = 500


def claims_for_company(company_id: int, *, state: str | None = None, q: str = "", sort: str = "-created") -> QuerySet[Claim]:
    """The company's claims, filtered, searched and sorted as the dashboard asks."""
    return filter_claims(company_claims(company_id), state=state, q=q, sort=sort)


class CountedPaginator(Paginator):
    """A paginator told its total (counted beforehand, or cached), so a page costs one LIMIT query."""

    def __init__(self, object_list, per_page, *, total: int, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._total = total

    @property
    def count(self) -> int:
        return self._total


# The dashboard's total: a large company's count reads every one of its claims (at 10,000
# claims, 12-17 ms of PostgreSQL on each dashboard page, the largest cost of B7's partners).
# From LARGE_TOTAL claims up, the total is kept for TOTAL_SECONDS per company, status filter
# and search: the rows are always current, the total and the page count may lag that long.
# Below, every page counts (small companies and the tests see exact totals).
LARGE_TOTAL = 1000
TOTAL_SECONDS = 30


def claims_total(company_id: int, claims: QuerySet[Claim], *, state: str | None = None, q: str = "") -> int:
    """How many claims the company's dashboard lists (`claims`: claims_for_company with the
    same company, state and q)."""
    from hashlib import sha256

    from django.core.cache import cache

    key = f"cpor:claims-total:{company_id}:{state or ''}:{sha256((q or '').strip().encode()).hexdigest()[:16]}"
    total = cache.get(key)
    if total is None:
        total = claims.order_by().count()
        if total >= LARGE_TOTAL:
            cache.set(key, total, TOTAL_SECONDS)
    return total


def filter_claims(qs: QuerySet[Claim], *, state: str | None = None, q: str = "", sort: str = "-created") -> QuerySet[Claim]:
    """Filtered by status, searched by claim number ("#16" or "16"), claim name, customer,
    domain, tenant ID or subscription ID, sorted by a column key of SORTS ('-' for descending)."""
    if state:
        qs = qs.filter(state=state)
    q = (q or "").strip()
    if q:
        # The customer name is matched first, on its own table, and the claims by tenant id:
        # then every branch of the OR has an index (trigram GIN on PostgreSQL) and the count
        # needs no join. A name matching very many customers falls back to a subquery.
        tenants = CustomerTenant.objects.filter(name__icontains=q).values_list("pk", flat=True)
        tenant_ids = list(tenants[: TENANT_MATCHES + 1])
        match = (
            Q(name__icontains=q)
            | Q(tenant_id__in=tenant_ids if len(tenant_ids) <= TENANT_MATCHES else tenants)
            | Q(customer_domain__icontains=q)
        )
        guid = parse_guid(q)
        if guid is not None:
            # A GUID is a tenant ID or a subscription ID; Exists keeps one row per claim.
            match |= Q(customer_tenant_id=guid) | Exists(
                ClaimProduct.objects.filter(claim=OuterRef("pk"), subscription__subscription_id=guid)
            )
        elif (prefix := guid_prefix_range(q)) is not None:
            # The first characters of a tenant or subscription ID: a range on the indexed columns.
            low, high = prefix
            match |= Q(customer_tenant_id__gte=low, customer_tenant_id__lte=high) | Exists(
                ClaimProduct.objects.filter(
                    claim=OuterRef("pk"), subscription__subscription_id__gte=low, subscription__subscription_id__lte=high
                )
            )
        if q.isdigit():
            match |= Q(mpn__mpn_id__startswith=q)  # MPN IDs are digits; the company has a handful
        if (number := claim_number(q)) is not None:
            match |= Q(pk=number)  # "#16" or "16", as messages cite a claim: a primary-key lookup
        qs = qs.filter(match)
    key = sort.lstrip("-")
    fields = SORTS.get(key, SORTS["created"])
    descending = sort.startswith("-") if key in SORTS else True
    ordering = [
        (F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True))
        if f in NULLABLE_SORTS
        else (F(f).desc() if descending else F(f).asc())
        for f in fields
    ]
    if key == "deadline":
        # Open deadlines first (soonest first, or latest first descending); closed ones
        # (acted on, or no clock running) always last. Ascending, a page is read in order
        # from claim_company_due_idx.
        ordering = [clock_order().asc(), *ordering]
    return _with_list_relations(qs).order_by(*ordering, "-pk")


def claim_number(q: str) -> int | None:
    """The claim number a search names ("#16" or "16"), or None. Longer digit runs than
    any id are no number (they would overflow the column's integer)."""
    digits = q.removeprefix("#").strip()
    return int(digits) if digits.isdigit() and digits.isascii() and len(digits) < 12 else None


def guid_prefix_range(q: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """A partial GUID (at least 4 hex digits, dashes optional) as the range of GUIDs that
    start with it, so a prefix search uses the column's index (a range scan) instead of a
    LIKE over a cast."""
    digits = q.replace("-", "").lower()
    if len(digits) < 4 or len(digits) >= 32 or any(c not in "0123456789abcdef" for c in digits):
        return None
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))


def company_claims(company_id: int) -> QuerySet[Claim]:
    return Claim.objects.filter(company_id=company_id)


def visible_claims(user: User) -> QuerySet[Claim]:
    """Every claim the user may see: reviewers all, partners their company's, others none."""
    if user.is_reviewer:
        return Claim.objects.all()
    if user.is_partner:
        return company_claims(user.company_id)
    return Claim.objects.none()


def claim_page_relations(user: User) -> list[Prefetch]:
    """What the claim's page lists: its products, the evidence this user may see, its
    comments and its history, each list with its people in one query (a join)."""
    return [
        Prefetch("products", queryset=ClaimProduct.objects.select_related("product", "subscription")),
        Prefetch("evidence", queryset=ClaimEvidence.objects.filter(visible_evidence(user)).select_related("uploaded_by")),
        Prefetch("comments", queryset=ClaimComment.objects.select_related("author")),
        Prefetch("events", queryset=ClaimEvent.objects.select_related("actor")),
    ]


def get_claim_for_user(user: User, pk: int, *, page: bool = True) -> Claim:
    """The claim, or 404 when it is another company's (never 403: do not reveal it exists).
    With `page`, the lists its page shows too (claim_page_relations); without, the claim
    alone, for an action that then redirects (with_page_relations adds them if it renders)."""
    claim = visible_claims(user).select_related("tenant", "mpn", "company", "assigned_reviewer", "created_by")
    if page:
        claim = claim.prefetch_related(*claim_page_relations(user))
    claim = claim.filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def with_page_relations(claim: Claim, user: User) -> Claim:
    """The claim with the lists its page shows (no query for those already there)."""
    prefetch_related_objects([claim], *claim_page_relations(user))
    return claim


def active_associations(company_id: int) -> QuerySet[Association]:
    return Association.objects.filter(company_id=company_id, ended_at__isnull=True).select_related(
        "tenant", "product", "subscription", "claim"
    )


def ended_associations(company_id: int) -> QuerySet[Association]:
    """The company's associations an arbitration ended (decided for another partner), newest first."""
    return (
        Association.objects.filter(company_id=company_id, ended_at__isnull=False, end_reason="arbitration")
        .select_related("tenant", "product", "subscription", "claim")
        .order_by("-ended_at", "-pk")
    )


def api_tokens_for(user: User):
    """The user's personal API tokens that were not revoked, newest first (expired ones too,
    so the page says why a script stopped)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-pk")


def api_token_for(user: User, pk: int):
    """The user's own token (not revoked), else Http404: another user's token does not exist for them."""
    token = ApiToken.objects.filter(user=user, pk=pk, revoked_at__isnull=True).first()
    if token is None:
        raise Http404
    return token
