"""B4: the consent page's p95 latency at 50 requests a second, against its budget."""

from __future__ import annotations

from .config import Config, log
from .report import Verdict
from .web import latency_alone


def bench_consent(cfg: Config, fx: dict, port: int, out: dict[str, Verdict]) -> None:
    from . import load

    v = out["B4 consent"] = Verdict("B4 consent")
    requests = [("consent", (f"/consent/{t}/", {})) for t in fx["consent_tokens"]]
    load.closed(port, requests, clients=4, seconds=1)
    v.detail.append(
        f"consent page alone: median {latency_alone(port, requests[:1], 2 if cfg.small else 5)['consent'] * 1000:.1f} ms"
    )
    for run in range(cfg.runs):
        r = load.paced(port, requests, users=10, rate=50.0, seconds=cfg.seconds)
        log(f"  B4 run {run + 1}: {r.count} requests at 50/s, median {r.p50 * 1000:.1f} ms, p95 {r.p95 * 1000:.1f} ms")
        v.product.append(r.p95 * 1000)
        v.floor.append(20.0)
        if r.errors:
            v.errors.extend(r.errors)
            v.note = f"errors: {r.errors[:3]}"
    v.note = v.note or "floor column: the 20 ms budget"
