"""The alert rules of deploy/ load in Prometheus and fire when they should (promtool, from
Debian's prometheus package: installed by .ci/run, so CI runs these and never skips them)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
pytestmark = pytest.mark.promtool


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([shutil.which("promtool"), *args], cwd=DEPLOY, capture_output=True, text=True, timeout=60)


def test_the_alert_rules_are_valid():
    result = promtool("check", "rules", "prometheus-rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_the_alert_rules_fire_as_their_unit_tests_say():
    result = promtool("test", "rules", "prometheus-rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
