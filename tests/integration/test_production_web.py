"""The production web process of docker-compose, without Docker: DEBUG off, collectstatic,
gunicorn serving pages and whitenoise serving the hashed static files."""

import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def test_gunicorn_serves_pages_and_hashed_static_files_with_debug_off(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CPOR_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cpor.settings",
        DJANGO_SECRET_KEY="production-shape-test-secret",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        CPOR_VAR_DIR=str(tmp_path),
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SSL_REDIRECT="false",  # plain HTTP here; production sits behind the TLS proxy
    )
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "cpor.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: fetch(f"{base}/healthz")[0] == 200, timeout=60, what="gunicorn to answer")
        status, page = fetch(f"{base}/accounts/login/")
        assert status == 200 and "Sign in" in page
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
        assert css, "the page links the hashed stylesheet from the manifest"
        assert fetch(f"{base}{css.group(1)}")[0] == 200
        assert fetch(f"{base}/dev/mailbox/")[0] == 404  # development pages are off
        assert fetch(f"{base}/api/docs/")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
