"""B8: the insight pages (the partner's and the reviewers') and their API under paced load:
10 users, the slowest one's p95 against the 150 ms budget (issue 23)."""

from __future__ import annotations

from .config import Config
from .report import Verdict
from .web import api_headers, cookie_headers, paced_pages

BUDGET_MS = 150.0


def insight_requests(fx: dict) -> list[tuple[str, tuple[str, dict]]]:
    partner, reviewer = cookie_headers(fx["partner_session"]), cookie_headers(fx["reviewer_session"])
    partner_api, reviewer_api = api_headers(fx["partner_token"]), api_headers(fx["reviewer_token"])
    pages = [
        ("partner insights", "/claims/insights/", partner),
        ("partner insights m365", "/claims/insights/?solution_area=microsoft_365", partner),
        ("partner insights api", "/api/v1/insights/claims/", partner_api),
        ("review insights", "/review/insights/", reviewer),
        ("review insights area", "/review/insights/?solution_area=business_applications", reviewer),
        ("review insights api", "/api/v1/review/insights/", reviewer_api),
    ]
    return [(label, (path, headers)) for label, path, headers in pages]


def bench_insights(cfg: Config, fx: dict, port: int, out: dict[str, Verdict]) -> None:
    v = out["B8 insights"] = Verdict("B8 insights")
    requests = insight_requests(fx)
    paced_pages(cfg, port, requests, v, BUDGET_MS)
