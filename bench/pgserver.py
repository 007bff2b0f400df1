"""The bench's own PostgreSQL server, started as docker-compose's `db` service runs in production.

The figures depend on the server's settings: a distribution's default cluster has 128 MB of
shared buffers, in which a million claims and their indexes do not fit, so the same sweep
reads the disk cache on one machine and memory on another. `make bench` therefore brings
up a cluster of its own (initdb once, kept under var/ for the next run's data sets) with
docker-compose's settings, on a free loopback port with a password, and stops it at the
end. BENCH_DATABASE_URL (or BENCH_SERVER=existing, which uses DATABASE_URL's server)
measures another server instead, with whatever settings it has.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from . import env

# docker-compose.yml, service db: shared_buffers=${CPOR_PG_SHARED_BUFFERS:-4GB}, wal_compression=lz4,
# max_wal_size=8GB, random_page_cost=1.1. Shared buffers are capped at a quarter of the machine's memory.
COMPOSE_SETTINGS = {"wal_compression": "lz4", "max_wal_size": "8GB", "random_page_cost": "1.1"}
SHARED_BUFFERS_MB = 4096


def shared_buffers_mb() -> int:
    wanted = os.environ.get("CPOR_PG_SHARED_BUFFERS", "")
    mb = _to_mb(wanted) if wanted else SHARED_BUFFERS_MB
    try:
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError):
        return mb
    return max(128, min(mb, memory_mb // 4))


def _to_mb(raw: str) -> int:
    """A PostgreSQL memory size ("4GB", "512MB", "524288kB", or bytes) in megabytes."""
    value = raw.strip().upper().removesuffix("B")
    factor = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}.get(value[-1:], None)
    try:
        return int(float(value[:-1]) * factor) if factor else int(value) // (1024 * 1024)
    except ValueError:
        raise ValueError(f"CPOR_PG_SHARED_BUFFERS={raw!r}: write a size such as 4GB or 512MB") from None


def bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries on this machine (BENCH_PG_BIN names others)."""
    if named := os.environ.get("BENCH_PG_BIN"):
        return Path(named)
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if p.parent.parent.name.isdigit()),
        key=lambda p: int(p.parent.parent.name),
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivateServer:
    """initdb (once), start with the production settings, stop. As root, the server runs as
    the postgres user (PostgreSQL refuses to run as root)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.bin = bin_dir()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server binaries (install postgresql, or set BENCH_DATABASE_URL)")
        version = self.bin.parent.name if self.bin.parent.name.isdigit() else "pg"
        self.as_postgres = os.geteuid() == 0
        self.data = self._reachable(data_dir or Path(os.environ.get("BENCH_PGDATA", env.ROOT / "var" / f"bench-pg{version}")))
        self.password_file = self.data.parent / f"{self.data.name}.password"
        self.log_file = self.data.parent / f"{self.data.name}.log"
        self.port = 0

    def _reachable(self, data: Path) -> Path:
        """`data`, or when the postgres user cannot reach it (a checkout under root's home
        directory), a directory of the same name under /var/tmp, keyed by this checkout."""
        data.parent.mkdir(parents=True, exist_ok=True)
        if subprocess.run(self._as_server_user("test", "-x", str(data.parent))).returncode == 0:
            return data
        key = hashlib.sha1(str(data.resolve()).encode()).hexdigest()[:10]
        fallback = Path("/var/tmp") / f"cpor-bench-{key}"
        fallback.mkdir(mode=0o755, exist_ok=True)
        return fallback / data.name

    def _as_server_user(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if self.as_postgres else list(command)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(self._as_server_user(str(self.bin / args[0]), *args[1:]), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")
        return done

    def _own(self, path: Path) -> None:
        if self.as_postgres:
            shutil.chown(path, "postgres", "postgres")

    def _init(self) -> None:
        self.data.parent.mkdir(parents=True, exist_ok=True)
        if (self.data / "PG_VERSION").exists():
            return
        if self.data.exists():
            shutil.rmtree(self.data)  # an initdb that did not finish
        self.data.mkdir(mode=0o700)
        self._own(self.data)
        self.password_file.write_text(secrets.token_urlsafe(24))
        self.password_file.chmod(0o600)
        self._own(self.password_file)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={self.password_file}",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def start(self) -> str:
        """Starts the server and returns its URL (without a database name)."""
        from .server import free_port

        self._init()
        if self.running():
            raise RuntimeError(
                f"PostgreSQL already runs on {self.data} (another `make bench`? stop it with "
                f"pg_ctl -D {self.data} stop, or set BENCH_PGDATA to another directory)"
            )
        self.port = free_port()
        self.log_file.touch()
        self._own(self.log_file)
        options = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",
            "shared_buffers": f"{shared_buffers_mb()}MB",
            **COMPOSE_SETTINGS,
        }
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_file), "-w", "-t", "120",
            "-o", " ".join(f"-c {k}={v}" if v else f"-c {k}=''" for k, v in options.items()), "start",
        )  # fmt: skip
        return f"postgres://postgres:{self.password_file.read_text().strip()}@127.0.0.1:{self.port}"

    def running(self) -> bool:
        """pg_ctl status: 0 when a server runs on the data directory (a stale pid file left by a
        crash is not one)."""
        status = self._as_server_user(str(self.bin / "pg_ctl"), "-D", str(self.data), "status")
        return subprocess.run(status, capture_output=True).returncode == 0

    def restart(self) -> None:
        """A fast restart (every connection is closed), returning once the server takes
        connections again: the fault drills of the tests."""
        # -l: the restarted server logs to the file, not to pg_ctl's output (which would never close).
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_file), "-m", "fast", "-w", "-t", "120", "restart")

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
