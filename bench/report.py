"""The bench's verdicts and its report: the goals, one Verdict per line of the report, the
table, and the share of CPU time the hypervisor took during the run."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field

from .config import Config, log

# name -> unit, goal, higher is better
GOALS = {
    "B1 sweep": ("s", 2.0, False),
    "B1 scale": ("x", 1.2, False),  # growth from 100k to 1M claims, product over floor
    "B2 claims-api": ("req/s", 0.6, True),
    "B2 queue-api": ("req/s", 0.6, True),
    "B3 pages": ("ms", 1.0, False),
    "B4 consent": ("ms", 1.0, False),
    "B5 upload": ("MB", 0.25, False),
    "B5 export": ("MB", 1.0, False),
    "B6 outbox": ("msg/s", 0.5, True),
    # The slowest page kind's p95 under the mixed load over the 250 ms budget; any unexpected
    # answer, unswept due claim or email not sent exactly once makes it "not met" (Verdict.errors).
    "B7 mixed": ("ms", 1.0, False),
    "B8 insights": ("ms", 1.0, False),  # the slowest insight page's p95 over the 150 ms budget
}
LINES = list(GOALS)


@dataclass
class Verdict:
    name: str
    product: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    note: str = ""
    unavailable: str = ""
    detail: list[str] = field(default_factory=list)
    # Answers other than 200 (a redirect to the sign-in, an error): a line that timed them measured
    # something else than the pages, so it is never met.
    errors: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return GOALS[self.name][0]

    @property
    def goal(self) -> float:
        return GOALS[self.name][1]

    @property
    def higher_is_better(self) -> bool:  # throughput: ratio >= goal; time and memory: ratio <= goal
        return GOALS[self.name][2]

    @property
    def ratio(self) -> float:
        p, f = statistics.median(self.product), statistics.median(self.floor)
        return p / f if f else float("inf")

    @property
    def met(self) -> bool:
        if self.unavailable or not self.product or not self.floor or self.errors:
            return False
        return self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal

    def line(self) -> str:
        if self.unavailable or not self.product or not self.floor:
            why = self.unavailable or "not run"
            return f"bench {self.name}: product - {self.unit}, floor - {self.unit}, ratio - (goal {self._op()} {self.goal:.2f}) not met ({why})"
        p, f = statistics.median(self.product), statistics.median(self.floor)
        return (
            f"bench {self.name}: product {_fmt(p)} {self.unit}, floor {_fmt(f)} {self.unit}, "
            f"ratio {self.ratio:.2f} (goal {self._op()} {self.goal:.2f}) {'met' if self.met else 'not met'}"
            + (f" ({len(self.errors)} answers not 200, such as {self.errors[0]})" if self.errors else "")
        )

    def _op(self) -> str:
        return ">=" if self.higher_is_better else "<="


def _fmt(value: float) -> str:
    return f"{value:.1f}" if value >= 1 or value == 0 else f"{value:.2f}"


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{_fmt(statistics.median(values))} ({_fmt(min(values))}-{_fmt(max(values))}, n={len(values)})"


def cpu_ticks() -> list[int] | None:
    """The machine's CPU time so far by kind (Linux /proc/stat: user, nice, system, idle, iowait,
    irq, softirq, steal), or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    return [int(v) for v in fields[1:9]] if fields and fields[0] == "cpu" and len(fields) >= 9 else None


def steal_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the machine's CPU time the hypervisor gave to others between two readings:
    on a shared VM it slows every figure, the product's and the floor's, unevenly."""
    if not before or not after:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return spent[7] / sum(spent) if sum(spent) > 0 else None


def report(
    out: dict[str, Verdict], cfg: Config, elapsed: float, took: dict[str, float] | None = None, steal: float | None = None
) -> None:
    log("")
    rows = [("benchmark", "product median (min-max, n)", "floor median (min-max, n)", "ratio", "goal", "verdict")]
    for name in LINES:
        v = out.get(name)
        if v is None:
            continue
        ok = v.product and v.floor and not v.unavailable
        rows.append(
            (
                name,
                f"{spread(v.product)} {v.unit}" if v.product else "-",
                f"{spread(v.floor)} {v.unit}" if v.floor else "-",
                f"{v.ratio:.2f}" if ok else "-",
                f"{'>=' if v.higher_is_better else '<='} {v.goal:.2f}",
                "met" if v.met else "not met",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        log(" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
        if i == 0:
            log("-+-".join("-" * w for w in widths))
    for name in LINES:
        v = out.get(name)
        if v and (v.note or v.detail):
            log(f"  {name}: {v.note}")
            for d in v.detail:
                log(f"    {d}")
    parts = ", ".join(f"{part} {minutes:.1f}" for part, minutes in (took or {}).items())
    stolen = f", CPU steal {steal:.0%}" if steal is not None else ""
    log(f"total {elapsed / 60:.1f} min{f' ({parts})' if parts else ''}, load {os.getloadavg()[0]:.2f}{stolen}")
    log("")
    for name in LINES:
        log(out[name].line() if name in out else Verdict(name, unavailable="not run").line())
