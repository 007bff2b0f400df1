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
