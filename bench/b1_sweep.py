"""B1: the deadline sweep. The product's task (claims.tasks.run_deadline_sweep) against raw SQL
making the same changes on the main data set (B1 sweep); and how much slower each gets from a data
set holding only the due claims to the main one, the product's growth over the raw SQL's (B1 scale). Each data set has its own bench.sweep_worker process.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from . import env
from .config import Config, log
from .report import Verdict, spread


class SweepWorker:
    """A bench.sweep_worker process bound to one data set."""

    def __init__(self, database: str, params) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sweep_worker", database],
            cwd=env.ROOT,
            env=env.process_env(database),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def call(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sweep worker died during {command!r}")
        result = json.loads(line)
        if "error" in result:
            raise RuntimeError(result["error"])
        return result

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(30)


def add_scale_run(scale: Verdict, *, product: tuple[float, float], floor: tuple[float, float]) -> None:
    """One run of B1 scale (issue 22, point 8): the product's growth from the small data set to
    the big one (seconds on the big / on the small), against the raw SQL's growth in the same
    run: the product may add no table-size cost of its own beyond the database's."""
    scale.product.append(product[0] / product[1])
    scale.floor.append(floor[0] / floor[1])


def bench_sweep(cfg: Config, out: dict[str, Verdict]) -> None:
    sweep = out["B1 sweep"] = Verdict("B1 sweep")
    scale = out["B1 scale"] = Verdict("B1 scale")
    big, small = SweepWorker(cfg.main_db, cfg.params()), SweepWorker(cfg.scale_db, cfg.scale_params())
    small_floor: list[float] = []
    try:
        due = cfg.params().due
        for run in range(cfg.runs):
            # Each timed run starts from the same state: due claims restored, the previous
            # run's dead rows vacuumed, a fresh checkpoint (see sweep_worker "settle").
            big.call("restore")
            big.call("settle")
            p = big.call("product")
            big.call("restore")
            big.call("settle")
            f = big.call("floor")
            small.call("restore")
            small.call("settle")
            s = small.call("product")
            small.call("restore")
            small.call("settle")
            sf = small.call("floor")
            log(
                f"  run {run + 1}: product {p['seconds']:.1f} s ({p['rows']} claims), floor {f['seconds']:.1f} s "
                f"({f['rows']}), on {cfg.scale_params().claims:,} claims: product {s['seconds']:.1f} s ({s['rows']}), "
                f"floor {sf['seconds']:.1f} s"
            )
            small_floor.append(sf["seconds"])
            if p["rows"] != due or s["rows"] != due:
                sweep.note = f"product handled {p['rows']} / {s['rows']} of {due} due"
            sweep.product.append(p["seconds"])
            sweep.floor.append(f["seconds"])
            add_scale_run(scale, product=(p["seconds"], s["seconds"]), floor=(f["seconds"], sf["seconds"]))
        big.call("restore")
        big.call("vacuum")  # the pages measured next read a table without the runs' dead rows
        small.call("restore")
    finally:
        big.close()
        small.close()
    small_product = [p / g for p, g in zip(sweep.product, scale.product, strict=True)]
    scale.note = (
        f"product column: the product's time on {cfg.params().claims:,} claims over its time on "
        f"{cfg.scale_params().claims:,} (all due), run by run: {spread(sweep.product)} s vs {spread(small_product)} s; "
        f"floor column: the same growth of the raw SQL: {spread(sweep.floor)} s vs {spread(small_floor)} s"
    )
    if small_floor:
        # What the product adds to the database's own work, run by run (product minus floor on
        # the same data set): the part of the sweep that is the product's to keep flat.
        big_own = [p - f for p, f in zip(sweep.product, sweep.floor, strict=True)]
        small_own = [p - f for p, f in zip(small_product, small_floor, strict=True)]
        scale.detail.append(
            f"the product's own time above the floor: {spread(big_own)} s on {cfg.params().claims:,} claims, "
            f"{spread(small_own)} s on {cfg.scale_params().claims:,} "
            f"(ratio {statistics.median(big_own) / statistics.median(small_own):.2f})"
        )
