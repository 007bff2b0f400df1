"""/readyz: 200 with every check's verdict, 503 naming what failed; /healthz stays liveness."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, connections

from claims import heartbeats
from cpor import readiness

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def at_now(db):
    with time_machine.travel(NOW, tick=False):
        yield


def beat_ran(seconds_ago: float) -> None:
    heartbeats.record(heartbeats.BEAT, ended_at=NOW - timedelta(seconds=seconds_ago))


def readyz(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_ready_when_every_check_passes(client, at_now, settings):
    beat_ran(30)
    status, body = readyz(client)
    assert status == 200
    assert body["status"] == "ok" and body["failed"] == []
    assert body["checks"] == {
        "database": "ok",
        "redis": "ok" if settings.REDIS_URL else "skipped",  # the embedded default has no Redis
        "storage": "ok",
        "clamd": "skipped",  # the tests' default: no scanner configured, none required
        "beat": "ok",
    }


def test_a_stale_beat_heartbeat_makes_it_unready_naming_beat(client, at_now, settings):
    max_age = settings.CPOR_BEAT_HEARTBEAT_MAX_AGE_SECONDS
    beat_ran(max_age)
    assert readyz(client)[0] == 200  # exactly the allowed age: still fresh
    beat_ran(max_age + 1)
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable" and body["failed"] == ["beat"]
    assert body["checks"]["beat"] == f"failed: last heartbeat {max_age + 1} s ago (at most {max_age} s)"
    assert body["checks"]["database"] == "ok"
    assert client.get("/healthz").status_code == 200  # liveness does not depend on beat


def test_no_heartbeat_yet_is_unready(client, at_now):
    status, body = readyz(client)
    assert status == 503 and body["failed"] == ["beat"]
    assert body["checks"]["beat"] == "failed: no heartbeat yet"


def broken_connection(tmp_path):
    """A connection like the real one but to a database that cannot be reached."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="1")  # nothing listens there: connection refused
    return type(connections["default"])(settings_dict, alias="readyz-broken")


def test_an_unreachable_database_makes_it_unready_naming_database(client, at_now, monkeypatch, tmp_path):
    beat_ran(30)
    broken = broken_connection(tmp_path)
    monkeypatch.setattr(readiness, "connection", broken)
    try:
        status, body = readyz(client)
    finally:
        broken.close()
    assert status == 503 and body["failed"] == ["database"]
    assert body["checks"]["database"] == "failed: OperationalError"  # the class only: /readyz answers anyone


def test_unwritable_media_makes_it_unready_naming_storage(client, at_now, settings, tmp_path):
    beat_ran(30)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.MEDIA_ROOT = str(blocker / "media")  # a folder cannot be made inside a file
    status, body = readyz(client)
    assert status == 503 and body["failed"] == ["storage"]


def test_an_unreachable_redis_makes_it_unready_naming_redis(client, at_now, settings):
    beat_ran(30)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    status, body = readyz(client)
    assert status == 503 and body["failed"] == ["redis"]
    assert body["checks"]["redis"] == "failed: ConnectionError"


def test_the_storage_check_leaves_nothing_behind(client, at_now, settings):
    from pathlib import Path

    beat_ran(30)
    readyz(client)
    assert not any(Path(settings.MEDIA_ROOT, "readyz").glob("*"))


def test_the_command_fails_naming_the_checks_that_failed(at_now, capsys):
    beat_ran(30)
    call_command("readiness", "beat", "database")
    assert capsys.readouterr().out == "database: ok\nbeat: ok\n"
    beat_ran(10_000)
    with pytest.raises(CommandError, match="not ready: beat"):
        call_command("readiness", "beat")
    with pytest.raises(CommandError, match="unknown checks: antivirus"):
        call_command("readiness", "antivirus")
