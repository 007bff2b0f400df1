"""Reads with their joins in one place. List pages use a constant number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import Association, Claim, ClaimProduct, User


def _with_list_relations(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    return qs.select_related("tenant", "mpn").prefetch_related(
        Prefetch("products", queryset=ClaimProduct.objects.select_related("product", "subscription"))
    )


def claims_for_company(company_id: int, *, state: str | None = None) -> QuerySet[Claim]:
    qs = Claim.objects.filter(company_id=company_id)
    if state:
        qs = qs.filter(state=state)
    return _with_list_relations(qs).order_by("-created_at", "-pk")


def visible_claims(user: User) -> QuerySet[Claim]:
    """Every claim the user may see: reviewers all, partners their company's, others none."""
    if user.is_reviewer:
        return Claim.objects.all()
    if user.is_partner:
        return Claim.objects.filter(company_id=user.company_id)
    return Claim.objects.none()


def get_claim_for_user(user: User, pk: int) -> Claim:
    """The claim, or 404 when it is another company's (never 403: do not reveal it exists)."""
    claim = (
        visible_claims(user)
        .select_related("tenant", "mpn", "company", "assigned_reviewer", "created_by")
        .prefetch_related(
            Prefetch("products", queryset=ClaimProduct.objects.select_related("product", "subscription")),
            "evidence__uploaded_by",
            "comments__author",
            "events__actor",
        )
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


def active_associations(company_id: int) -> QuerySet[Association]:
    return Association.objects.filter(company_id=company_id, ended_at__isnull=True).select_related(
        "tenant", "product", "subscription", "claim"
    )
