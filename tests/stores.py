"""The object stores the storage tests run against, as real servers: moto's S3 server and
Azurite's Blob server, each started on a free loopback port and polled until it answers.

`Store` is one bucket or container of one of them (or a folder, for the filesystem), with the
STORAGES["default"] entry the app uses for it (cpor.storage_config, as in production) and the
environment variables that make another process (gunicorn, a Celery worker) use it too."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Azurite's fixed development account (documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def moto_server() -> str | None:
    found = Path(sys.executable).parent / "moto_server"
    return str(found) if found.exists() else shutil.which("moto_server")


def azurite_blob() -> str | None:
    found = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "azurite-blob"
    return str(found) if found.exists() and shutil.which("node") else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Server:
    """A store's server process, which a test may stop (the store is down) and start again."""

    argv: list[str]
    port: int
    log: Path
    proc: subprocess.Popen | None = field(default=None)

    def start(self, timeout: float = 60) -> None:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.log.parent)
        end = time.monotonic() + timeout
        while not _answers(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited: {self.log.read_text()[-2000:]}")
            if time.monotonic() > end:
                raise RuntimeError(f"{self.argv[0]} did not listen on {self.port} within {timeout} s")
            time.sleep(0.1)  # polling for the port: no fixed wait

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Azurite closes on SIGINT at once, on SIGTERM slowly
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def start_moto(folder: Path) -> Server:
    port = free_port()
    server = Server([moto_server(), "-H", "127.0.0.1", "-p", str(port)], port, folder / "moto.log")
    server.start()
    return server


def start_azurite(folder: Path, *, on_disk: bool = False) -> Server:
    """Azurite in memory; on disk (in folder) for a test that stops it and needs the blobs back."""
    port = free_port()
    work = folder / "azurite"
    work.mkdir(exist_ok=True)
    keep = ["--location", str(work)] if on_disk else ["--inMemoryPersistence"]
    argv = [
        azurite_blob(), *keep, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--skipApiVersionCheck", "--loose",
        "--silent",
    ]  # fmt: skip
    server = Server(argv, port, folder / "azurite.log")
    if on_disk:
        server.log = work / "azurite.log"
    server.start()
    return server


@dataclass
class Store:
    """One empty bucket/container (or media folder) for one test."""

    kind: str
    env: dict[str, str]
    server: Server | None = None
    media_root: Path | None = None

    @property
    def config(self) -> dict:
        from cpor import storage_config

        return storage_config.default_storage(self.env)

    def ensure_container(self) -> None:
        """The bucket or container exists (again: moto's server keeps nothing across a restart)."""
        if self.kind == "s3":
            client = _s3_client(self.env)
            if self.env["CPOR_S3_BUCKET"] not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
                client.create_bucket(Bucket=self.env["CPOR_S3_BUCKET"])
        elif self.kind == "azure":
            container = _azure_container(self.env)
            if not container.exists():
                container.create_container()

    def names(self) -> set[str]:
        """Every stored object's name."""
        if self.kind == "filesystem":
            return {str(p.relative_to(self.media_root)) for p in self.media_root.rglob("*") if p.is_file()}
        if self.kind == "s3":
            client = _s3_client(self.env)
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.env["CPOR_S3_BUCKET"])
            return {o["Key"] for page in pages for o in page.get("Contents", [])}
        container = _azure_container(self.env)
        return {b.name for b in container.list_blobs()}


def _s3_client(env: dict[str, str]):
    import boto3

    return boto3.client(
        "s3", endpoint_url=env["CPOR_S3_ENDPOINT_URL"], region_name=env["CPOR_S3_REGION"],
        aws_access_key_id=env["CPOR_S3_ACCESS_KEY_ID"], aws_secret_access_key=env["CPOR_S3_SECRET_ACCESS_KEY"],
    )  # fmt: skip


def _azure_container(env: dict[str, str]):
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(env["CPOR_AZURE_CONNECTION_STRING"])
    return service.get_container_client(env["CPOR_AZURE_CONTAINER"])


def s3_store(server: Server) -> Store:
    env = {
        "CPOR_STORAGE": "s3",
        "CPOR_S3_BUCKET": f"cpor-{uuid.uuid4().hex[:12]}",
        "CPOR_S3_ENDPOINT_URL": f"http://127.0.0.1:{server.port}",
        "CPOR_S3_REGION": "us-east-1",
        "CPOR_S3_ACCESS_KEY_ID": "testing",
        "CPOR_S3_SECRET_ACCESS_KEY": "testing",
        "CPOR_S3_ADDRESSING_STYLE": "path",
        "CPOR_STORAGE_TIMEOUT_SECONDS": "2",
    }
    store = Store("s3", env, server)
    store.ensure_container()
    return store


def azure_store(server: Server) -> Store:
    endpoint = f"http://127.0.0.1:{server.port}/{AZURITE_ACCOUNT}"
    env = {
        "CPOR_STORAGE": "azure",
        "CPOR_AZURE_CONTAINER": f"cpor-{uuid.uuid4().hex[:12]}",
        "CPOR_AZURE_CONNECTION_STRING": (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};"
        ),
        "CPOR_STORAGE_TIMEOUT_SECONDS": "2",
    }
    store = Store("azure", env, server)
    store.ensure_container()
    return store


def filesystem_store(media_root: Path) -> Store:
    media_root.mkdir(parents=True, exist_ok=True)
    return Store("filesystem", {"CPOR_STORAGE": "filesystem", "DJANGO_MEDIA_ROOT": str(media_root)}, media_root=media_root)


def process_env(store: Store) -> dict[str, str]:
    """The environment for another process of the app using this store (its own disk is not shared)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CPOR_S3_", "CPOR_AZURE_"))}
    return {**env, **store.env}
