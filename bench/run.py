"""`make bench`: every benchmark of issue 8 against its floor, interleaved, one table, one line each.

    .venv/bin/python -m bench [--small] [--runs 3] [--seconds 10] [--only B1,B2,...]

Each benchmark runs product and floor alternately (A/B/A/B, --runs times) on the same
data in the same run; the table shows medians with min-max, the last lines the verdicts:
    bench B1 sweep: product <median> s, floor <median> s, ratio <product / floor> (goal <= 2.00) met
For goals that are a budget rather than a ratio (B3, B4, B5) the "floor" is the budget.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from . import env
from .b1_sweep import bench_sweep
from .b2_lists import bench_lists
from .b3_pages import bench_pages
from .b4_consent import bench_consent
from .b5_memory import bench_memory
from .b6_outbox import bench_outbox
from .b7_mixed import bench_mixed
from .b8_insights import bench_insights
from .config import Config, log, prepare_database
from .report import Verdict, cpu_ticks, report, steal_share
from .web import fixtures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="100k claims (CI smoke run)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (A/B/A/B), at least 3 for a verdict")
    parser.add_argument("--seconds", type=float, default=None, help="length of each load run (default 10, small 3)")
    parser.add_argument("--only", default="", help="comma-separated: B1,B2,B3,B4,B5,B6,B7,B8")
    parser.add_argument("--mixed-seconds", type=float, default=None, help="length of B7's mixed load (default 300, small 90)")
    parser.add_argument(
        "--due-layout",
        choices=("spread", "filed"),
        default="spread",
        help="where the due claims sit: every tenth claim (spread, the default) or the last ones filed (bench/datagen.py)",
    )
    args = parser.parse_args(argv)
    suffix = "_small" if args.small else ""
    cfg = Config(
        small=args.small,
        runs=max(1, args.runs),
        seconds=args.seconds or (3.0 if args.small else 10.0),
        main_db=os.environ.get("BENCH_DATABASE", f"cpor_bench{suffix}"),
        scale_db=os.environ.get("BENCH_SCALE_DATABASE", f"cpor_bench{suffix}_scale"),
        outbox=5_000 if args.small else 50_000,
        layout=args.due_layout,
        mixed_seconds=args.mixed_seconds or (90.0 if args.small else 300.0),
    )
    only = {x.strip().upper() for x in args.only.split(",") if x.strip()}
    private = None
    if not os.environ.get("BENCH_DATABASE_URL") and os.environ.get("BENCH_SERVER", "private") != "existing":
        from .pgserver import PrivateServer

        private = PrivateServer()
        os.environ["BENCH_DATABASE_URL"] = private.start()  # every bench process inherits it
        log(f"PostgreSQL: the bench's own server ({private.data}, port {private.port}), docker-compose's settings")
    try:
        return _run(cfg, only)
    finally:
        if private is not None:
            private.stop()


def _run(cfg: Config, only: set[str]) -> int:
    want = lambda key: not only or key in only  # noqa: E731
    started = time.perf_counter()
    log(
        f"CPOR bench: {'small' if cfg.small else 'full'} ({cfg.params().claims:,} claims, {cfg.params().due:,} due, {cfg.layout} layout), "
        f"{cfg.runs} runs, {platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    log(f"data sets: {cfg.main_db}, {cfg.scale_db}; PostgreSQL {env.server_settings()}")
    ticks = cpu_ticks()
    took: dict[str, float] = {}  # minutes per part of the run, for the report
    mark = time.perf_counter()

    def lap(part: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        took[part] = (now - mark) / 60
        mark = now

    prepare_database(cfg.main_db, cfg.params())
    if want("B1"):
        prepare_database(cfg.scale_db, cfg.scale_params())
    env.configure(cfg.main_db)
    lap("data")
    out: dict[str, Verdict] = {}
    if want("B1"):
        log(f"B1 deadline sweep (product task vs raw SQL; {cfg.params().claims:,} vs {cfg.scale_params().claims:,} claims)")
        bench_sweep(cfg, out)
        lap("B1")
    fx = fixtures(cfg) if any(want(b) for b in ("B2", "B3", "B4", "B5", "B8")) else {}
    if any(want(b) for b in ("B2", "B3", "B4", "B8")):
        from .server import Gunicorn

        with Gunicorn(cfg.main_db, workers=4) as server:
            if want("B2"):
                log("B2 list APIs (10 clients, 50 rows a page) vs raw-SQL views, same server")
                bench_lists(cfg, fx, server.port, out)
            if want("B3"):
                log("B3 pages (10 users, about a page a second each)")
                bench_pages(cfg, fx, server.port, out)
            if want("B4"):
                log("B4 consent page at 50 req/s")
                bench_consent(cfg, fx, server.port, out)
            if want("B8"):
                log("B8 insight pages and their API (10 users, about a page a second each)")
                bench_insights(cfg, fx, server.port, out)
        lap("B2-B4, B8")
    if want("B5"):
        log("B5 19 MB PoE upload (form, API) and CSV export: worker peak memory")
        bench_memory(cfg, fx, out)
        lap("B5")
    if want("B6"):
        log(f"B6 outbox drain of {cfg.outbox:,} emails vs a plain smtplib loop")
        bench_outbox(cfg, out)
        lap("B6")
    if want("B7"):
        log(
            f"B7 mixed load (locust): partners, reviewers and customers for {cfg.mixed_seconds:.0f} s, sweep and delivery running"
        )
        bench_mixed(cfg, out, cfg.mixed_seconds)
        lap("B7")
    report(out, cfg, time.perf_counter() - started, took, steal_share(ticks, cpu_ticks()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
