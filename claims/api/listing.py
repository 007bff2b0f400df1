"""Claim list pages of the API as plain rows: the shape of `ClaimListSerializer`, built
from `values()` and one query for the product lines.

A page of 50 through model instances and the serializer costs several times the SQL it
runs (hundreds of model instances, a serializer call per field); lists are the API's hot
path, so they are built here. tests/api/test_listing.py holds this output equal to the
serializer's for every kind of claim, so the two cannot drift.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from claims import prepared
from claims.models import Claim, ClaimProduct
from claims.selectors import CountedPaginator  # noqa: F401 (the API views use it from here)

FIELDS = (
    "id", "name", "state", "tenant__name", "customer_tenant_id", "customer_domain", "solution_area", "activity",
    "mpn__mpn_id", "deadline_kind", "deadline_at", "deadline_expired", "is_overdue", "is_dispute", "association_ended_at",
    "created_at", "updated_at",
)  # fmt: skip


def _iso(value, tz) -> str:
    """DRF's DateTimeField output (ISO 8601 in the current time zone, UTC as "Z"), without
    its per-value checks: two per row."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def list_values(qs: QuerySet) -> QuerySet:
    """The claims queryset as the rows a list page needs (paginate this, then `list_rows`)."""
    return qs.prefetch_related(None).values(*FIELDS)


def _lines(*claim_ids: int) -> QuerySet:
    return (
        ClaimProduct.objects.filter(claim_id__in=claim_ids)
        .order_by("id")
        .values_list("claim_id", "product__code", "product__name", "subscription__subscription_id")
    )


def list_rows(rows: list[dict]) -> list[dict]:
    """The page's rows in the shape of ClaimListSerializer(many=True).data."""
    lines: dict[int, list[dict]] = {}
    ids = tuple(r["id"] for r in rows)
    for claim_id, code, name, sub in prepared.rows(("claim-lines", len(ids)), _lines, ids) if ids else ():
        lines.setdefault(claim_id, []).append({"product": code, "name": name, "subscription_id": str(sub) if sub else None})
    now = timezone.now()
    tz = timezone.get_current_timezone()
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "status": r["state"],
            "customer": r["tenant__name"],
            "customer_tenant_id": str(r["customer_tenant_id"]) if r["customer_tenant_id"] else None,
            "customer_domain": r["customer_domain"],
            "solution_area": r["solution_area"],
            "activity": r["activity"],
            "mpn_id": r["mpn__mpn_id"],
            "products": lines.get(r["id"], []),
            "deadline": {
                "kind": r["deadline_kind"],
                "due_at": r["deadline_at"],
                "passed": r["deadline_expired"] or r["deadline_at"] <= now,
            }
            if r["deadline_at"]
            else None,
            "is_overdue": r["is_overdue"],
            "is_dispute": r["is_dispute"],
            "association_ended_at": _iso(r["association_ended_at"], tz) if r["association_ended_at"] else None,
            "created_at": _iso(r["created_at"], tz),
            "updated_at": _iso(r["updated_at"], tz),
        }
        for r in rows
    ]


class PreparedPage:
    """A list's rows for the paginator: `build(*values)` (a values_list of FIELDS) run as a
    prepared shape (claims/prepared.py), one LIMIT/OFFSET query per page, rows as dicts."""

    def __init__(self, key: tuple, build, values: tuple, counted) -> None:
        self.key, self.build, self.values, self.counted = key, build, values, counted

    def count(self) -> int:
        """Counted on the claims alone: the rows' joins (customer, MPN) do not change the count."""
        return prepared.rows(self.key, self.counted, self.values, count=True)[0][0]

    def __getitem__(self, bounds: slice) -> list[dict]:
        start, stop = bounds.start or 0, bounds.stop
        found = prepared.rows(
            self.key, self.build, self.values, suffix=" LIMIT %s OFFSET %s", suffix_params=[stop - start, start]
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in found]


def prepared_claims(user, *, state: str | None, sort: str) -> PreparedPage:
    """The claims a user's list shows without a search, as a prepared page: visible_claims
    and filter_claims build the shape, so its rows are theirs."""
    from claims.selectors import company_claims, filter_claims

    if user.is_reviewer:  # visible_claims: every claim
        base, values, who = (lambda *_: Claim.objects.all()), (), "all"
    else:  # a partner (the view refuses anybody else): visible_claims, the company's
        assert user.is_partner, "the claims list refuses users without a claims role"
        base, values, who = (lambda company_id, *_: company_claims(company_id)), (user.company_id,), "company"

    def claims(*marks):
        return filter_claims(base(*marks), state=marks[-1] if state else None, sort=sort)

    def build(*marks):
        return list_values(claims(*marks)).values_list(*FIELDS)

    return PreparedPage(("claims", who, bool(state), sort), build, (*values, *((state,) if state else ())), claims)
