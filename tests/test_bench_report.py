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
