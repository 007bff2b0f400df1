"""Issue 9, items 9 and 11 on the production shape: three gunicorn workers share one
throttle count in Redis whatever X-Forwarded-For says, and `check --deploy` is silent with
the production settings."""

import json
import os
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.integration.test_production_web import ROOT, fetch, free_port
from tests.support import wait_for

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "cpor.settings",
    "DJANGO_SECRET_KEY": "Zq8v1-production-shape-secret-4ak2P0xWm9Ls7Jd3Rt6Yh5Ue8Nb1Vc0Xz2",
    "DJANGO_ALLOWED_HOSTS": "claims.example,127.0.0.1",
    "CPOR_SITE_URL": "https://claims.example",
    "CPOR_TRUSTED_PROXIES": "1",
}


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CPOR_", "DATABASE_URL", "REDIS_URL"))}
    env.update(PRODUCTION, **extra)
    return env


def test_check_deploy_is_silent_with_the_production_settings(tmp_path):
    env = _clean_env(
        CPOR_VAR_DIR=str(tmp_path), DATABASE_URL="postgres://cpor:secret@db:5432/cpor", REDIS_URL="redis://redis:6379/0"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_hsts_is_off(tmp_path):
    env = _clean_env(CPOR_VAR_DIR=str(tmp_path), CPOR_HSTS_SECONDS="0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "security.W004" in result.stderr + result.stdout


def _post_token(base: str, forwarded: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"username": "nobody", "password": "wrong"}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https",
                 "Host": "claims.example"},
        method="POST",
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_three_gunicorn_workers_share_one_throttle_count(tmp_path):
    redis_url = urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path="/" + os.environ.get("CPOR_TEST_REDIS_DB", "15")))
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True)
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = free_port()
    env = _clean_env(
        CPOR_VAR_DIR=str(tmp_path), DATABASE_URL=database_url, REDIS_URL=redis_url,
        CPOR_LOGIN_FAILURE_LIMIT="1000",  # the throttle, not the sign-in lockout, is under test
    )  # fmt: skip
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "cpor.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "3"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "gunicorn.log", "w"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: fetch(f"{base}/healthz")[0] == 200, timeout=60, what="gunicorn to answer")
        # The one trusted proxy saw 203.0.113.7; the client forged 30 different addresses before it.
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(lambda i: _post_token(base, f"198.51.100.{i}, 203.0.113.7"), range(30)))
        assert sorted(statuses) == [400] * 10 + [429] * 20, (statuses, (tmp_path / "gunicorn.log").read_text()[-3000:])
        # Another client behind the proxy still has its whole allowance.
        assert _post_token(base, "203.0.113.8") == 400
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True)
