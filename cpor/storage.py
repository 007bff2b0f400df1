"""Where stored files live (PoE evidence, import files): the web node's disk, an S3 bucket or an
Azure Blob container, chosen by CPOR_STORAGE (settings.STORAGES["default"]).

The three backends are django-storages' (and Django's own filesystem one) with three additions,
so the services and views above them stay the same on each:

- a store that cannot be reached raises `StorageUnavailable` (the pages and the API answer 503
  `storage_unavailable`, cpor.middleware and claims.api.errors), not a backend's own exception;
- `reader(name)` opens a file for a download that streams through the app in chunks (django-
  storages' own files download the whole object before the first byte);
- a file saved inside a database transaction that then rolls back is deleted again
  (`remove_rolled_back`, run when a request or a task ends): no orphan file in the store.

Downloads stream through the app rather than redirecting to a signed URL: every byte passes
Django's access check of that request (a signed URL, even one valid for a minute, can be
forwarded and replayed by anyone who sees it), the response keeps our headers (CSP sandbox,
nosniff, the cleaned download name), and the browser never needs to reach the store (a bucket
inside a locked-down network works). The cost, web workers busy while a file streams, is the
one PoE downloads already had on the filesystem.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.storage import FileSystemStorage as DjangoFileSystemStorage
from django.db import transaction

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class StorageUnavailable(Exception):
    """The file store cannot be reached or refused the operation (not: the file is missing)."""


class _PendingFiles(threading.local):
    """Names saved by this thread whose database transaction has not committed yet."""

    def __init__(self) -> None:
        self.names: dict[str, object] = {}  # name -> the storage that saved it


_pending = _PendingFiles()


class _Tracked:
    """Error translation and rollback tracking, mixed into each backend."""

    #: The backend's exceptions that mean "the store is not answering" (per backend below).
    unavailable: tuple[type[BaseException], ...] = ()

    @contextmanager
    def _calls(self) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError:
            raise
        except StorageUnavailable:
            raise
        except self.unavailable as exc:
            log.warning("File store unavailable: %s", type(exc).__name__, exc_info=True)
            raise StorageUnavailable(type(exc).__name__) from exc

    def _save(self, name, content):
        with self._calls():
            saved = super()._save(name, content)
        _track(self, saved)
        return saved

    def _open(self, name, mode="rb"):
        with self._calls():
            return super()._open(name, mode)

    def delete(self, name):
        _pending.names.pop(name, None)
        with self._calls():
            return super().delete(name)

    def exists(self, name):
        with self._calls():
            return super().exists(name)

    def size(self, name):
        with self._calls():
            return super().size(name)

    def reader(self, name: str):
        """The stored file, open for reading in chunks (`read(n)`, `close()`), for a download.
        FileNotFoundError when it is gone; StorageUnavailable when the store does not answer."""
        with self._calls():
            return self._reader(name)

    def _reader(self, name: str):
        return self.open(name, "rb")


def _track(storage, name: str) -> None:
    """Remembers a saved name until its transaction commits; see remove_rolled_back."""
    _pending.names[name] = storage
    if transaction.get_connection().in_atomic_block:
        # Dropped from the list when the transaction commits: a savepoint or transaction that
        # rolls back discards this callback, so the name stays listed.
        transaction.on_commit(lambda: _pending.names.pop(name, None), robust=True)


def remove_rolled_back() -> list[str]:
    """Deletes the files this thread saved whose database row never committed (its transaction
    rolled back). Runs outside any transaction: when a request or a task ends (cpor.apps).
    A name is deleted only when no row refers to it, so a file whose commit callback was lost
    is kept. Returns the deleted names."""
    if not _pending.names or transaction.get_connection().in_atomic_block:
        return []
    names, _pending.names = dict(_pending.names), {}
    referenced = _referenced(list(names))
    deleted = []
    for name, storage in names.items():
        if name in referenced:
            continue
        try:
            storage.delete(name)
        except StorageUnavailable:
            log.warning("Could not delete the rolled-back file %s: the store is unavailable", name)
            continue
        deleted.append(name)
    return deleted


def connect() -> None:
    """Runs remove_rolled_back when a request or a Celery task ends (ClaimsConfig.ready)."""
    from celery.signals import task_postrun
    from django.core.signals import request_finished

    request_finished.connect(_sweep, dispatch_uid="cpor-storage-rolled-back")
    task_postrun.connect(_sweep_after_task, dispatch_uid="cpor-storage-rolled-back", weak=False)


def _sweep_after_task(task=None, **kwargs) -> None:
    # A task run eagerly (CELERY_TASK_ALWAYS_EAGER, as in the tests) runs inside its caller's unit of
    # work, whose own end sweeps: sweeping here would take the caller's pending files early.
    if task is not None and getattr(task.request, "is_eager", False):
        return
    _sweep()


def _sweep(**kwargs) -> None:
    try:
        remove_rolled_back()
    except Exception:  # noqa: BLE001 - cleaning up must never fail the request that ended
        log.warning("Could not remove rolled-back files", exc_info=True)


def stored_names() -> Iterator[str]:
    """Every name a row refers to (every FileField of every model), each once: what a backup of
    the stored files copies (docs/operations.md, "Backups")."""
    from django.apps import apps
    from django.db import models

    seen: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names = model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
                for name in names.order_by(field.name).iterator(chunk_size=2000):
                    if name not in seen:
                        seen.add(name)
                        yield name


def _referenced(names: list[str]) -> set[str]:
    """The names a stored row refers to (every FileField of every model)."""
    from django.apps import apps
    from django.db import models

    found: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                for start in range(0, len(names), 500):  # within every database's limit of parameters
                    rows = model._default_manager.filter(**{f"{field.name}__in": names[start : start + 500]})
                    found.update(rows.values_list(field.name, flat=True))
    return found


class FileSystemStorage(_Tracked, DjangoFileSystemStorage):
    """The web node's own disk (MEDIA_ROOT): one node, or a shared volume. A disk that refuses
    writes (full, read-only, permissions) is unavailable like a store that does not answer."""

    unavailable = (OSError,)


def _s3_unavailable() -> tuple[type[BaseException], ...]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error)


try:
    from storages.backends.s3 import S3Storage as _S3Storage
except ImportError:  # pragma: no cover - django-storages[s3] is in requirements.txt
    _S3Storage = None


if _S3Storage is not None:

    class S3Storage(_Tracked, _S3Storage):
        """An S3 bucket (AWS, MinIO, Ceph...)."""

        unavailable = _s3_unavailable()

        def _reader(self, name: str):
            from botocore.exceptions import ClientError

            key = self._normalize_name(name)
            try:
                response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    raise FileNotFoundError(name) from exc
                raise
            return _Reader(response["Body"].iter_chunks(CHUNK), response["Body"].close, self)


try:
    from storages.backends.azure_storage import AzureStorage as _AzureStorage
except ImportError:  # pragma: no cover
    _AzureStorage = None


if _AzureStorage is not None:

    class AzureStorage(_Tracked, _AzureStorage):
        """An Azure Blob Storage container (or Azurite)."""

        @property
        def unavailable(self):
            from azure.core.exceptions import AzureError

            return (AzureError,)

        def _get_service_client(self):
            if self.connection_string is not None:
                # django-storages drops client_options (timeouts, retries, block sizes) here.
                from azure.storage.blob import BlobServiceClient

                return BlobServiceClient.from_connection_string(self.connection_string, **self.client_options)
            return super()._get_service_client()

        def _open(self, name, mode="rb"):
            from azure.core.exceptions import ResourceNotFoundError

            try:
                handle = super()._open(name, mode)
                if "r" in mode:
                    handle.file  # noqa: B018 - django-storages opens lazily: fail here, not mid-read
                return handle
            except ResourceNotFoundError as exc:
                raise FileNotFoundError(name) from exc

        def _reader(self, name: str):
            from azure.core.exceptions import ResourceNotFoundError

            try:
                download = self.client.get_blob_client(self._get_valid_path(name)).download_blob(max_concurrency=1)
            except ResourceNotFoundError as exc:
                raise FileNotFoundError(name) from exc
            return _Reader(download.chunks(), lambda: None, self)


class _Reader:
    """A file-like over a backend's chunk iterator, for FileResponse (read(n), close()).
    A store that fails mid-stream ends the download early (the response has started); the
    error is logged."""

    def __init__(self, chunks: Iterator[bytes], close, storage: _Tracked) -> None:
        self._chunks, self._close, self._storage = chunks, close, storage
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        with self._storage._calls():
            while size < 0 or len(self._buffer) < size:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def close(self) -> None:
        self._close()


def reader(field_file):
    """A stored file (a FieldFile) open for a streamed download; see _Tracked.reader."""
    storage = field_file.storage
    if hasattr(storage, "reader"):
        return storage.reader(field_file.name)
    return field_file.open("rb")
