"""The bench's own PostgreSQL server: its memory setting (the server itself runs in
tests/integration/test_bench_smoke.py)."""

import pytest

from bench import pgserver


@pytest.mark.parametrize(("raw", "mb"), [("4GB", 4096), ("512MB", 512), ("524288kB", 512), ("1073741824", 1024), ("2g", 2048)])
def test_sizes_read_as_postgresql_writes_them(raw, mb):
    assert pgserver._to_mb(raw) == mb


def test_a_size_that_is_not_one_is_refused_with_what_to_write():
    with pytest.raises(ValueError, match="4GB or 512MB"):
        pgserver._to_mb("lots")


def test_shared_buffers_are_docker_composes_capped_at_a_quarter_of_memory(monkeypatch):
    monkeypatch.delenv("CPOR_PG_SHARED_BUFFERS", raising=False)
    memory_mb = pgserver.os.sysconf("SC_PAGE_SIZE") * pgserver.os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    assert pgserver.shared_buffers_mb() == max(128, min(4096, memory_mb // 4))
    monkeypatch.setenv("CPOR_PG_SHARED_BUFFERS", "256MB")
    assert pgserver.shared_buffers_mb() == 256


def test_the_bench_server_runs_docker_composes_database_settings():
    """The figures of docs/benchmarks.md hold for the production settings only if the bench's
    server gets every one of them: each `-c` of the db service's command, none added."""
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text())
    command = compose["services"]["db"]["command"]
    settings = dict(arg.split("=", 1) for flag, arg in zip(command[1::2], command[2::2], strict=True) if flag == "-c")
    assert settings.pop("shared_buffers") == "${CPOR_PG_SHARED_BUFFERS:-4GB}"  # read by shared_buffers_mb()
    assert settings == pgserver.COMPOSE_SETTINGS
