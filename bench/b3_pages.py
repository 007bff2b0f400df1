"""B3: the pages people read (dashboard, claim page, review queue, review page) under paced load,
the slowest page's p95 against the budget, and each page's latency on its own."""

from __future__ import annotations

from .config import Config
from .report import Verdict
from .web import cookie_headers, paced_pages


def page_requests(fx: dict) -> list[tuple[str, tuple[str, dict]]]:
    partner, reviewer = cookie_headers(fx["partner_session"]), cookie_headers(fx["reviewer_session"])
    pages = [
        ("dashboard", "/claims/", partner),
        ("dashboard status", "/claims/?status=submitted", partner),
        ("dashboard tenant prefix", f"/claims/?q={fx['tenant_prefix']}", partner),
        ("dashboard customer name", f"/claims/?q={fx['customer_name'].replace(' ', '+')}", partner),
        ("dashboard by deadline", "/claims/?sort=deadline", partner),
        ("claim page", f"/claims/{fx['claim_id']}/", partner),
        ("review queue", "/review/", reviewer),
        ("review page", f"/review/claims/{fx['review_id']}/", reviewer),
        ("queue area", "/review/?area=business_applications", reviewer),
    ]
    from reviews.selectors import FILTER_KEYS

    pages += [(f"queue {key}", f"/review/?show={key}", reviewer) for key in FILTER_KEYS]
    return [(label, (path, headers)) for label, path, headers in pages]


def bench_pages(cfg: Config, fx: dict, port: int, out: dict[str, Verdict]) -> None:
    v = out["B3 pages"] = Verdict("B3 pages")
    requests = page_requests(fx)
    paced_pages(cfg, port, requests, v, 100.0)
