"""Process environment of a benchmark run: its own database, DEBUG off, bench settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"


def server_url() -> str:
    """The PostgreSQL server (BENCH_DATABASE_URL, else DATABASE_URL, else local), without a database name."""
    raw = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not raw.startswith("postgres"):
        raw = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(raw)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def database_url(name: str) -> str:
    return f"{server_url()}/{name}"


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def process_env(database: str) -> dict[str, str]:
    """What every bench process (harness, sweep workers, gunicorn) runs with."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url(database),
        "DATABASE_CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "60"),
        "REDIS_URL": redis_url(),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SSL_REDIRECT": "0",  # plain HTTP on the loopback; production sits behind the TLS proxy
        "CPOR_HSTS_SECONDS": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # The "no scanner" mode: the benchmarks measure the product, not clamd (uploads are clean at once).
        "CPOR_SCAN_REQUIRED": "0",
        "CPOR_SITE_URL": "http://127.0.0.1:8000",
        "PYTHONPATH": str(ROOT),
    }


def create_database(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(database_url("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def configure(database: str) -> None:
    """Sets this process up for `database` and starts Django."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(process_env(database))
    import django

    django.setup()


SETTINGS = ("server_version", "shared_buffers", "wal_compression", "max_wal_size", "random_page_cost", "synchronous_commit")


def server_settings() -> str:
    """The PostgreSQL settings the figures depend on, for the report's header (docker-compose's
    db service sets the production ones; a package's defaults are a 128 MB toy)."""
    import psycopg2

    conn = psycopg2.connect(database_url("postgres"))
    try:
        with conn.cursor() as cursor:
            values = []
            for name in SETTINGS:
                cursor.execute(f"SHOW {name}")
                values.append(f"{name}={cursor.fetchone()[0]}")
        return ", ".join(values)
    finally:
        conn.close()
