"""The bench report's reading of the CPU the hypervisor took (tests/integration/test_bench_smoke.py
runs the whole report)."""

from pathlib import Path

import pytest

from bench.report import cpu_ticks, steal_share


def test_steal_is_the_stolen_share_of_all_cpu_time_between_two_readings():
    before = [100, 0, 50, 800, 10, 0, 5, 35]
    after = [400, 0, 150, 900, 10, 0, 5, 335]  # 300 user, 100 system, 100 idle, 300 stolen
    assert steal_share(before, after) == pytest.approx(300 / 800)
    assert steal_share(before, before) is None  # no time between the readings
    assert steal_share(None, after) is None and steal_share(before, None) is None


def test_cpu_ticks_reads_the_eight_kinds_of_cpu_time_where_the_kernel_lists_them():
    ticks = cpu_ticks()
    if not Path("/proc/stat").exists():
        assert ticks is None  # not Linux: the report leaves the steal out
        return
    assert ticks is not None and len(ticks) == 8 and all(t >= 0 for t in ticks) and sum(ticks) > 0


def test_b1_scale_is_the_products_growth_over_the_raw_sqls_growth_in_the_same_run():
    from bench.b1_sweep import add_scale_run
    from bench.report import Verdict

    scale = Verdict("B1 scale")
    # The runs of 2026-12-07 (docs/benchmarks.md): the product 20.4 s on 1M claims and 16.5 s on
    # 100k, the raw SQL 11.2 s and 7.2 s: the product grew 1.24x where the database grew 1.56x.
    add_scale_run(scale, product=(20.4, 16.5), floor=(11.2, 7.2))
    assert scale.ratio == pytest.approx((20.4 / 16.5) / (11.2 / 7.2)) and scale.met
    grows = Verdict("B1 scale")
    add_scale_run(grows, product=(30.0, 10.0), floor=(12.0, 10.0))  # 3x where the database grew 1.2x
    assert grows.ratio == pytest.approx(2.5) and not grows.met
    assert "ratio 2.50 (goal <= 1.20) not met" in grows.line()


def test_a_line_that_timed_answers_other_than_200_is_never_met():
    """A page line whose sessions had gone anonymous timed redirects to the sign-in page and read
    "met" (found when allauth replaced the session backend): such answers now fail the line."""
    from bench.report import Verdict

    v = Verdict("B3 pages", product=[20.0], floor=[100.0])
    assert v.met
    v.errors.append("302 /claims/")
    assert not v.met
    assert "not met (1 answers not 200, such as 302 /claims/)" in v.line()


def _b7_figures(**changes):
    stats = {
        "kinds": {
            "dashboard": {"count": 120, "failures": 0, "p50": 40, "p95": 180},
            "file claim": {"count": 12, "failures": 0, "p50": 90, "p95": 210},
            "consent page": {"count": 300, "failures": 0, "p50": 10, "p95": 30},
            "not asked": {"count": 0, "failures": 0, "p50": 0, "p95": 0},
        },
        "errors": [],
        "requests": 432,
        "seconds": 90.0,
        "filed": 12,
        "answered": 8,
        "asked": 5,
    }
    checks = {"due_start": 10_000, "unswept": 0, "sweeps": 3, "written": 4_000, "sent": 4_000, "pending": 0}
    checks.update({"failed": 0, "duplicates": 0, "received": 4_000, "alone": {"dashboard": 0.05}, **changes})
    return stats, checks


def test_b7_line_is_the_slowest_page_kinds_p95_against_the_budget_with_its_checks():
    from bench.b7_mixed import goal_line
    from bench.report import LINES, Verdict

    assert "B7 mixed" in LINES
    v = Verdict("B7 mixed")
    goal_line(v, *_b7_figures())
    assert v.product == [210.0] and v.floor == [250.0] and v.met
    assert v.line() == "bench B7 mixed: product 210.0 ms, floor 250.0 ms, ratio 0.84 (goal <= 1.00) met"
    assert "file claim" in v.note and any("emails: 4000 written" in d for d in v.detail)
    assert any(d.startswith("alone (one request at a time") and "dashboard 50 ms" in d for d in v.detail)


@pytest.mark.parametrize(
    "changes",
    [{"unswept": 3}, {"pending": 1}, {"failed": 2}, {"duplicates": 1}, {"received": 4_001}, {"unsubmitted": 1}],
    ids=["unswept", "pending", "failed", "duplicated", "sent-twice", "submit-refused"],
)
def test_b7_is_not_met_when_a_due_claim_stays_unswept_or_an_email_is_not_sent_exactly_once(changes):
    from bench.b7_mixed import goal_line
    from bench.report import Verdict

    v = Verdict("B7 mixed")
    goal_line(v, *_b7_figures(**changes))
    assert v.ratio < 1 and not v.met and "not met" in v.line()


def test_b7_is_not_met_when_a_request_answered_other_than_expected():
    from bench.b7_mixed import goal_line
    from bench.report import Verdict

    stats, checks = _b7_figures()
    stats["errors"] = ["answer question /claims/7/respond/: 400 (x1)"]
    v = Verdict("B7 mixed")
    goal_line(v, stats, checks)
    assert not v.met and "such as answer question /claims/7/respond/: 400" in v.line()
