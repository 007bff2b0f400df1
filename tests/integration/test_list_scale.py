"""List pages at volume: the same number of queries for 10 or 50 rows and for 1,000 or more
claims, and (PostgreSQL) no sequential scan of the claims table in any of their plans.

A few claims are built through the services; the volume is then cloned from them with
bulk_create (the pages only read, so the clones need no history of their own).
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims import feed
from claims.models import Claim, ClaimEvent, ClaimProduct
from reviews.selectors import FILTER_KEYS
from tests.conftest import another_customer, claim_data, m365_data

API = "/api/v1"


def clone(claims: list[Claim], total: int) -> None:
    """Adds copies of `claims` (with their product lines) until the table holds `total`."""
    missing = total - Claim.objects.count()
    sources = [(c, list(c.products.all())) for c in claims]
    copies, lines = [], []
    for i in range(missing):
        source, products = sources[i % len(sources)]
        copy = Claim.objects.get(pk=source.pk)
        copy.pk = None
        copy.name = f"{source.name} copy {i}"
        copies.append(copy)
    Claim.objects.bulk_create(copies, batch_size=500)
    for i, copy in enumerate(copies):
        for line in sources[i % len(sources)][1]:
            lines.append(ClaimProduct(claim=copy, product_id=line.product_id, subscription_id=line.subscription_id))
    ClaimProduct.objects.bulk_create(lines, batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE claims_claim")
            cursor.execute("ANALYZE claims_claimproduct")


def queries(client, path: str, *, cold: bool = True, **headers) -> list[str]:
    if cold:
        cache.clear()  # the queue counts are cached per change: measure the cold path, always the same
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code)
    return [q["sql"] for q in ctx.captured_queries]


@pytest.fixture
def fleet(build, northwind, ana):
    """Claims in every queue situation: plain, competing (Northwind on the same customer and
    product), disputed, assigned; then cloned to 1,000."""
    from claims import services
    from tests.conftest import Builder

    made = [
        build.submitted(m365_data(name="teams")),
        build.under_review(claim_data(name="sales")),
        build.par(m365_data(name="intune", products=[{"product": "intune"}, {"product": "onedrive"}])),
        build.editing(m365_data(name="draft", products=[{"product": "exchange_online"}]), poe=False),
        Builder(northwind, ana).submitted(m365_data(name="rival", mpn_id="5678901")),
        services.claim_dispute(
            claim=build.rejected(m365_data(name="appeal", **another_customer(1))),
            actor=build.partner,
            justification="The PoE is signed.",
        ),
    ]
    clone(made, 1_000)
    return made


PARTNER_PAGES = [
    "/claims/",
    "/claims/?status=submitted",
    "/claims/?q=contos",
    "/claims/?q=Contoso",
    "/claims/?sort=deadline",
    "/claims/?sort=-created&page=2",
]
QUEUE_PAGES = ["/review/", "/review/?area=microsoft_365", *[f"/review/?show={key}" for key in FILTER_KEYS]]


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("path", [f"{API}/claims/", f"{API}/review/queue/", f"{API}/review/queue/?show=competing"])
def test_api_lists_run_the_same_queries_for_10_or_50_rows_and_1000_or_more_claims(path, fleet, fabrikam, ana):
    client = _api(ana if "review" in path else fabrikam)
    sep = "&" if "?" in path else "?"
    counts = [len(queries(client, f"{path}{sep}page_size={size}")) for size in (10, 50)]
    clone(fleet, 1_600)
    counts += [len(queries(client, f"{path}{sep}page_size={size}")) for size in (10, 50)]
    assert len(set(counts)) == 1, counts


def test_pages_run_the_same_queries_at_1000_or_more_claims(fleet, client, fabrikam, ana):
    client.force_login(fabrikam)
    before = {path: len(queries(client, path)) for path in PARTNER_PAGES}
    client.force_login(ana)
    before |= {path: len(queries(client, path)) for path in QUEUE_PAGES}
    clone(fleet, 1_600)
    client.force_login(fabrikam)
    after = {path: len(queries(client, path)) for path in PARTNER_PAGES}
    client.force_login(ana)
    after |= {path: len(queries(client, path)) for path in QUEUE_PAGES}
    assert after == before


def test_queue_counts_follow_every_change(build, ana, ben, client):
    from reviews import services as review
    from reviews.selectors import queue_counts

    claim = build.submitted(m365_data(name="new"))
    assert queue_counts(me=ben)["unassigned"] == 1 and queue_counts(me=ben)["mine"] == 0
    review.review_start(claim=claim, reviewer=ben)
    assert queue_counts(me=ben)["unassigned"] == 0 and queue_counts(me=ben)["mine"] == 1
    client.force_login(ben)
    assert f"#{claim.pk} new" in client.get("/review/?show=mine").content.decode()


def _plans(sqls: list[str]) -> list[tuple[str, str]]:
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in sqls:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or "claims_claim" not in sql:
                continue
            cursor.execute("EXPLAIN " + sql)
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


@pytest.mark.postgres
def test_no_page_plan_scans_the_claims_table(fleet, client, fabrikam, ana, monkeypatch):
    """With sequential scans priced out, every page's queries still find an index: a Seq Scan
    on claims_claim left in a plan means no index serves that query at a million claims."""
    claim, competing = fleet[1], fleet[4]
    client.force_login(fabrikam)
    partner = {path: queries(client, path) for path in [*PARTNER_PAGES, f"/claims/{claim.pk}/"]}
    client.force_login(ana)
    reviewer = {path: queries(client, path) for path in [*QUEUE_PAGES, f"/review/claims/{competing.pk}/"]}
    api = {
        f"{API}/claims/": queries(_api(fabrikam), f"{API}/claims/?page_size=50"),
        f"{API}/review/queue/": queries(_api(ana), f"{API}/review/queue/?page_size=50"),
        # A reviewer searches every company's claims: only the trigram indexes serve that.
        "reviewer search": queries(_api(ana), f"{API}/claims/?search=contos"),
    }
    for path, sqls in {**partner, **reviewer, **api}.items():
        for sql, plan in _plans(sqls):
            assert "Seq Scan on claims_claim " not in plan + " ", f"{path}\n{sql}\n{plan}"
    # The pages are read in index order, not sorted: the LIMIT stops after one page.
    for path, index in [("/claims/", "claim_company_created_idx"), ("/review/", "claim_queue_idx")]:
        page_query = [plan for sql, plan in _plans({**partner, **reviewer}[path]) if "LIMIT" in sql and "COUNT(" not in sql]
        assert any(index in plan for plan in page_query), (path, page_query)
    # "N claims" on the dashboard counts the company's claims, never their history; the header's
    # unread badge (claims/feed.py) counts history events, but from the second page on only those
    # written since its last look (with no lag here: the test writes nothing meanwhile).
    counts = [sql for sql in partner["/claims/"] if "COUNT(" in sql.upper()]
    assert counts
    for sql in counts:
        if "claims_claimevent" not in sql:
            assert 'FROM "claims_claim"' in sql, sql
    # The first look counts from the read mark (here 50 rows back, fewer than the badge's cap,
    # so its count is not already final); the second from the newest row the first one saw.
    monkeypatch.setattr(feed, "BADGE_LAG", 0)
    newest = ClaimEvent.objects.aggregate(newest=Max("pk"))["newest"]
    feed.mark_all_read(fabrikam, up_to=newest - 50)
    client.force_login(fabrikam)
    queries(client, "/claims/")  # clears the cache first: the first look
    badge = [sql for sql in queries(client, "/claims/", cold=False) if "COUNT(" in sql.upper() and "claims_claimevent" in sql]
    assert len(badge) == 1 and f'"claims_claimevent"."id" > {newest})' in badge[0], badge
    fabrikam.refresh_from_db()
    mark = fabrikam.notifications_read_up_to
    assert mark < newest and f'"claims_claimevent"."id" > {mark}' in badge[0], (mark, badge)  # and the read mark


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


# Filtered pages each read by an index of exactly what they show, in the page's order.
ORDERED_PAGES = [
    "/claims/?sort=deadline",
    "/review/?show=dispute",
    "/review/?show=waiting",
    "/review/?show=mine",
    "/review/?show=unassigned",
]


@pytest.mark.postgres
def test_filtered_pages_read_one_page_in_index_order(fleet, client, fabrikam, ana):
    """With sorting and sequential scans priced out, each page's query still finds an index
    scan of the claims that holds only the rows it lists (every condition an index condition
    or the index's own predicate: no Filter), in the page's order (no Sort): the LIMIT stops
    after one page. An index that gives the order but not the subset (the queue index with a
    filter), or the subset but not the order (a sort), fails."""
    client.force_login(fabrikam)
    pages = {path: queries(client, path) for path in ORDERED_PAGES if path.startswith("/claims/")}
    client.force_login(ana)
    pages |= {path: queries(client, path) for path in ORDERED_PAGES if path.startswith("/review/")}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        for path, sqls in pages.items():
            page_query = [s for s in sqls if 'FROM "claims_claim"' in s and "LIMIT" in s and "COUNT(" not in s]
            assert len(page_query) == 1, (path, sqls)
            sql = page_query[0]
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            nodes = list(_nodes(plan[0]["Plan"]))
            scans = [n for n in nodes if n.get("Relation Name") == "claims_claim"]
            assert [n["Node Type"] for n in scans] in (["Index Scan"], ["Index Only Scan"]), (path, plan)
            assert "Filter" not in scans[0], (path, scans[0])
            assert not [n for n in nodes if "Sort" in n["Node Type"]], (path, plan)
