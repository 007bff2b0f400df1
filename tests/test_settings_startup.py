"""Production settings: tooling runs without a secret, serving processes refuse to start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CPOR_"))}
    clean.update(DJANGO_SETTINGS_MODULE="cpor.settings", CPOR_VAR_DIR=str(ROOT / "var" / "startup-test"), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_tooling_runs_without_a_secret():
    result = run(
        "import sys; from django.core.management import execute_from_command_line as m; m(['manage.py', 'makemigrations', '--check', '--dry-run'])"
    )
    assert result.returncode == 0, result.stderr


def test_the_web_process_refuses_to_start_without_a_secret():
    result = run("import cpor.wsgi")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_web_process_starts_with_a_secret():
    result = run("import cpor.wsgi", DJANGO_SECRET_KEY="a-real-secret-from-the-environment")
    assert result.returncode == 0, result.stderr


def test_a_celery_worker_refuses_to_start_without_a_secret():
    result = run(
        "from celery.__main__ import main; import sys; sys.argv = ['celery', '-A', 'cpor', 'worker', '--pool=solo']; main()"
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_web_process_loads_the_holiday_calendar_and_its_views_before_its_first_request():
    # The calendar's first lookup imports every country of the holidays package (~0.8 s, several
    # MB): not in the first request that shows a review deadline (claims/calendar.py load). Then
    # what was loaded is frozen out of the garbage collector's full passes (cpor/startup.py).
    code = (
        "import gc, sys, cpor.wsgi; "
        "print('holidays.countries.united_states' in sys.modules, 'claims.api.views' in sys.modules, gc.get_freeze_count() > 10000)"
    )
    result = run(code, DJANGO_SECRET_KEY="a-real-secret-from-the-environment")
    assert result.returncode == 0 and result.stdout.split()[-3:] == ["True", "True", "True"], result.stderr


def test_an_unknown_log_format_stops_the_process_naming_the_setting():
    result = run("import cpor.wsgi", DJANGO_SECRET_KEY="a-real-secret-from-the-environment", CPOR_LOG_FORMAT="xml")
    assert result.returncode != 0 and "CPOR_LOG_FORMAT must be one of console, json" in result.stderr


def test_the_json_format_writes_one_json_object_per_line():
    import json

    code = "import django; django.setup(); import logging; logging.getLogger('cpor.security').warning('Sign-in %s failed', 'x')"
    result = run(code, DJANGO_SECRET_KEY="a-real-secret-from-the-environment", CPOR_LOG_FORMAT="json")
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert {"event": "Sign-in x failed", "level": "warning", "logger": "cpor.security"}.items() <= lines[-1].items()
