"""`make bench --small` works end to end (a smoke run: it checks every verdict line is
printed in its fixed form, not the timings, which mean nothing on a busy CI machine)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.report import LINES

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^bench (?P<name>B\d [a-z-]+): product (\S+) (\S+), floor (\S+) \S+, ratio (\S+) "
    r"\(goal (<=|>=) \d+\.\d\d\) (met|not met)( \(.+\))?$"
)


@pytest.mark.postgres
@pytest.mark.redis
def test_bench_small_prints_one_verdict_line_per_benchmark():
    # As `make bench` runs: on the bench's own PostgreSQL server (bench/pgserver.py), here
    # with a data directory of its own, so a `make bench` running beside it keeps apart.
    base = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "cpor"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("BENCH_DATABASE_URL", "BENCH_SERVER")},
        "BENCH_PGDATA": str(ROOT / "var" / f"bench-smoke-pg-{base}"),
        "BENCH_DATABASE": f"{base}_bench_smoke",
        "BENCH_SCALE_DATABASE": f"{base}_bench_smoke_scale",
    }
    result = subprocess.run(
        # B7's mixed load for 20 s (then the sweep after its end and the drain).
        [sys.executable, "-m", "bench", "--small", "--runs", "1", "--seconds", "1", "--mixed-seconds", "20"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "the bench's own server" in result.stdout and "shared_buffers=" in result.stdout, result.stdout[:2000]
    assert not (Path(env["BENCH_PGDATA"]) / "postmaster.pid").exists(), "the bench left its server running"
    # The time line names each part's minutes and the CPU the hypervisor took (Linux).
    assert re.search(
        r"^total [\d.]+ min \(data [\d.]+, B1 [\d.]+, .*B6 [\d.]+, B7 [\d.]+\), load [\d.]+, CPU steal \d+%$", result.stdout, re.M
    )
    verdicts = [line for line in result.stdout.splitlines() if line.startswith("bench ")]
    assert [LINE.match(line)["name"] for line in verdicts if LINE.match(line)] == LINES, "\n".join(verdicts)
    # Every benchmark ran (B6 may wait for the outbox drain it measures).
    for line in verdicts:
        assert "not run" not in line, line
