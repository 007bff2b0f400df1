"""B2 floors: the same rows as the product's list endpoints, from hand-written SQL, as json.dumps.

Bench only (bench/urls.py). They authenticate the token, count, read one page and its
product lines: the SQL any implementation of these endpoints must run, and no framework.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse

PAGE = """
    SELECT c.id, c.name, c.state, t.name, c.customer_tenant_id, c.customer_domain, c.solution_area, c.activity,
           m.mpn_id, c.deadline_kind, c.deadline_at, c.deadline_expired, c.is_overdue, c.is_dispute,
           c.created_at, c.updated_at
    FROM claims_claim c
    LEFT JOIN claims_customertenant t ON t.id = c.tenant_id
    LEFT JOIN claims_mpn m ON m.id = c.mpn_id
"""
LINES = """
    SELECT cp.claim_id, p.code, p.name, s.subscription_id
    FROM claims_claimproduct cp
    JOIN claims_product p ON p.id = cp.product_id
    LEFT JOIN claims_subscription s ON s.id = cp.subscription_id
    WHERE cp.claim_id = ANY(%s)
    ORDER BY cp.id
"""


def _user(cursor, request: HttpRequest):
    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    cursor.execute(
        "SELECT u.id, u.company_id, u.role FROM authtoken_token k JOIN claims_user u ON u.id = k.user_id "
        "WHERE k.key = %s AND u.is_active",
        [key],
    )
    return cursor.fetchone()


def _page(request: HttpRequest) -> tuple[int, int]:
    size = min(int(request.GET.get("page_size") or 25), 100)
    page = max(int(request.GET.get("page") or 1), 1)
    return size, (page - 1) * size


def _respond(cursor, count: int, rows: list[tuple]) -> HttpResponse:
    ids = [r[0] for r in rows]
    cursor.execute(LINES, [ids])
    lines: dict[int, list] = {}
    for claim_id, code, name, sub in cursor.fetchall():
        lines.setdefault(claim_id, []).append({"product": code, "name": name, "subscription_id": str(sub) if sub else None})
    results = [
        {
            "id": r[0], "name": r[1], "status": r[2], "customer": r[3],
            "customer_tenant_id": str(r[4]) if r[4] else None, "customer_domain": r[5], "solution_area": r[6],
            "activity": r[7], "mpn_id": r[8], "products": lines.get(r[0], []),
            "deadline": {"kind": r[9], "due_at": r[10].isoformat(), "passed": r[11]} if r[10] else None,
            "is_overdue": r[12], "is_dispute": r[13], "created_at": r[14].isoformat(), "updated_at": r[15].isoformat(),
        }
        for r in rows
    ]  # fmt: skip
    return HttpResponse(json.dumps({"count": count, "results": results}), content_type="application/json")


def partner_claims(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/claims/ for a partner, newest first."""
    size, offset = _page(request)
    with connection.cursor() as cursor:
        user = _user(cursor, request)
        if user is None or user[1] is None:
            return HttpResponse(status=401)
        cursor.execute("SELECT count(*) FROM claims_claim WHERE company_id = %s", [user[1]])
        count = cursor.fetchone()[0]
        cursor.execute(
            PAGE + " WHERE c.company_id = %s ORDER BY c.created_at DESC, c.id DESC LIMIT %s OFFSET %s", [user[1], size, offset]
        )
        return _respond(cursor, count, cursor.fetchall())


def review_queue(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/review/queue/: Submitted and Under Review, overdue first, then by deadline."""
    size, offset = _page(request)
    with connection.cursor() as cursor:
        user = _user(cursor, request)
        if user is None or user[2] != "reviewer":
            return HttpResponse(status=401)
        cursor.execute("SELECT count(*) FROM claims_claim WHERE state IN ('submitted', 'under_review')")
        count = cursor.fetchone()[0]
        cursor.execute(
            PAGE + " WHERE c.state IN ('submitted', 'under_review') "
            "ORDER BY c.is_overdue DESC, c.deadline_at ASC NULLS LAST, c.id LIMIT %s OFFSET %s",
            [size, offset],
        )
        return _respond(cursor, count, cursor.fetchall())
