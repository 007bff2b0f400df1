"""B8: the insight pages (the partner's and the reviewers') and their API under paced load:
10 users, the slowest one's p95 against the 150 ms budget (issue 23)."""

from __future__ import annotations

import statistics

from .config import Config, log
from .report import Verdict
from .web import api_headers, cookie_headers, latency_alone

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
    from . import load

    v = out["B8 insights"] = Verdict("B8 insights")
    requests = insight_requests(fx)
    load.closed(port, requests, clients=4, seconds=1)  # warm
    alone = latency_alone(port, requests, 2 if cfg.small else 5)
    pooled: dict[str, list[float]] = {}
    # 10 users, each asks for a page about once a second.
    for run in range(cfg.runs):
        r = load.paced(port, requests, users=10, rate=10.0, seconds=max(cfg.seconds * 1.5, len(requests) / 10 * 2))
        for label, values in r.by_label.items():
            pooled.setdefault(label, []).extend(values)
        worst = max(r.p(0.95, label) for label in r.by_label)
        log(f"  B8 run {run + 1}: {r.count} requests, p95 {r.p95 * 1000:.0f} ms, worst page p95 {worst * 1000:.0f} ms")
        v.product.append(worst * 1000)
        v.floor.append(BUDGET_MS)
        if r.errors:
            v.errors.extend(r.errors)
            v.note = f"errors: {r.errors[:3]}"
    for label, _ in requests:
        values = sorted(pooled.get(label, []))
        if values:
            p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
            v.detail.append(
                f"{label}: p95 {p95 * 1000:.0f} ms, median {statistics.median(values) * 1000:.0f} ms, n={len(values)}; "
                f"alone {alone[label] * 1000:.0f} ms"
            )
    v.note = v.note or "floor column: the 150 ms budget; product: the slowest page's p95"
