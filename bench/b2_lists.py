"""B2: the list APIs (the partner's claims, the review queue) under closed-loop load, against
raw-SQL views returning the same rows on the same server (bench/rawviews.py)."""

from __future__ import annotations

import json

from .config import Config, log
from .report import Verdict
from .web import api_headers


def bench_lists(cfg: Config, fx: dict, port: int, out: dict[str, Verdict]) -> None:
    from . import load

    for name, product_path, floor_path, token in (
        ("B2 claims-api", "/api/v1/claims/", "/bench/raw/claims/", fx["partner_token"]),
        ("B2 queue-api", "/api/v1/review/queue/", "/bench/raw/queue/", fx["reviewer_token"]),
    ):
        v = out[name] = Verdict(name)
        pages = range(1, 5)
        product = [(name, (f"{product_path}?page_size=50&page={n}", api_headers(token))) for n in pages]
        floor = [(name, (f"{floor_path}?page_size=50&page={n}", api_headers(token))) for n in pages]
        _same_rows(port, product[0][1], floor[0][1], v)
        load.closed(port, product, clients=10, seconds=1)  # warm every worker
        load.closed(port, floor, clients=10, seconds=1)
        for run in range(cfg.runs):
            p = load.closed(port, product, clients=10, seconds=cfg.seconds)
            f = load.closed(port, floor, clients=10, seconds=cfg.seconds)
            log(
                f"  {name} run {run + 1}: product {p.throughput:.1f} req/s (p95 {p.p95 * 1000:.0f} ms), "
                f"floor {f.throughput:.1f} req/s (p95 {f.p95 * 1000:.0f} ms)"
            )
            v.product.append(p.throughput)
            v.floor.append(f.throughput)
            if p.errors or f.errors:
                v.errors.extend(p.errors + f.errors)
                v.note = f"errors: {(p.errors + f.errors)[:3]}"


def _same_rows(port: int, product, floor, v: Verdict) -> None:
    import http.client

    def ids(path, headers):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", path, headers=headers)
        body = json.loads(conn.getresponse().read())
        return body["count"], [r["id"] for r in body["results"]]

    a, b = ids(*product), ids(*floor)
    if a != b:
        v.note = f"rows differ from the floor: {a[0]} vs {b[0]} claims"
