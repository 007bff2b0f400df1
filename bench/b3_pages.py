"""B3: the pages people read (dashboard, claim page, review queue, review page) under paced load,
the slowest page's p95 against the budget, and each page's latency on its own."""

from __future__ import annotations

import statistics

from .config import Config, log
from .report import Verdict
from .web import cookie_headers, latency_alone


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
    from . import load

    v = out["B3 pages"] = Verdict("B3 pages")
    requests = page_requests(fx)
    load.closed(port, requests, clients=4, seconds=1)  # warm
    alone = latency_alone(port, requests, 2 if cfg.small else 5)
    pooled: dict[str, list[float]] = {}
    # 10 users, each asks for a page about once a second (a person reading a list).
    for run in range(cfg.runs):
        r = load.paced(port, requests, users=10, rate=10.0, seconds=max(cfg.seconds * 1.5, len(requests) / 10 * 2))
        for label, values in r.by_label.items():
            pooled.setdefault(label, []).extend(values)
        worst = max(r.p(0.95, label) for label in r.by_label)
        log(f"  B3 run {run + 1}: {r.count} requests, p95 {r.p95 * 1000:.0f} ms, worst page p95 {worst * 1000:.0f} ms")
        v.product.append(worst * 1000)
        v.floor.append(100.0)
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
    v.note = v.note or "floor column: the 100 ms budget; product: the slowest page's p95"
