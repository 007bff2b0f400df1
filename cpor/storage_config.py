"""STORAGES["default"] from the environment: CPOR_STORAGE=filesystem|s3|azure and each one's
connection settings (the README's configuration table). A function of a mapping, so the tests
build the same configuration for the stores they start (tests/storage/)."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

MB = 1024 * 1024


def _timeout(env: Mapping[str, str]) -> int:
    raw = (env.get("CPOR_STORAGE_TIMEOUT_SECONDS") or "10").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ImproperlyConfigured(f"CPOR_STORAGE_TIMEOUT_SECONDS must be a whole number from 1, not {raw!r}")
    return int(raw)


def default_storage(env: Mapping[str, str]) -> dict:
    """The "default" entry of Django's STORAGES for this environment."""
    kind = (env.get("CPOR_STORAGE") or "filesystem").strip().lower()
    # A store that does not answer fails the request within about this many seconds (503
    # storage_unavailable) instead of holding a web worker.
    timeout = _timeout(env)
    if kind == "filesystem":
        return {"BACKEND": "cpor.storage.FileSystemStorage"}
    if kind == "s3":
        return _s3(env, timeout)
    if kind == "azure":
        return _azure(env, timeout)
    raise ImproperlyConfigured(f"CPOR_STORAGE must be filesystem, s3 or azure, not {kind!r}")


def _s3(env: Mapping[str, str], timeout: int) -> dict:
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    if not env.get("CPOR_S3_BUCKET"):
        raise ImproperlyConfigured("CPOR_STORAGE=s3 needs CPOR_S3_BUCKET (the bucket's name)")
    return {
        "BACKEND": "cpor.storage.S3Storage",
        "OPTIONS": {
            "bucket_name": env["CPOR_S3_BUCKET"],
            "location": env.get("CPOR_S3_PREFIX") or "",
            "endpoint_url": env.get("CPOR_S3_ENDPOINT_URL") or None,
            "region_name": env.get("CPOR_S3_REGION") or None,
            # Empty: boto3's own chain (an instance or pod role, AWS_* variables, ~/.aws).
            "access_key": env.get("CPOR_S3_ACCESS_KEY_ID") or None,
            "secret_key": env.get("CPOR_S3_SECRET_ACCESS_KEY") or None,
            # "path" for MinIO and most S3-compatible stores; empty: boto3 decides.
            "addressing_style": env.get("CPOR_S3_ADDRESSING_STYLE") or None,
            # Stored names are random (claims.models.evidence_upload_to): no existence check first.
            "file_overwrite": True,
            "default_acl": None,
            # An import read by the worker spools to a temporary file beyond this, not to memory.
            "max_memory_size": 2 * MB,
            # Uploads stream in parts of S3's smallest part size, one part at a time.
            "transfer_config": TransferConfig(
                multipart_threshold=8 * MB, multipart_chunksize=5 * MB, max_concurrency=1, use_threads=False
            ),
            "client_config": Config(
                connect_timeout=timeout,
                read_timeout=timeout * 3,
                retries={"max_attempts": 2, "mode": "standard"},
                signature_version="s3v4",
            ),
        },
    }


def _azure(env: Mapping[str, str], timeout: int) -> dict:
    if not env.get("CPOR_AZURE_CONTAINER"):
        raise ImproperlyConfigured("CPOR_STORAGE=azure needs CPOR_AZURE_CONTAINER (the container's name)")
    if not env.get("CPOR_AZURE_CONNECTION_STRING") and not env.get("CPOR_AZURE_ACCOUNT_NAME"):
        raise ImproperlyConfigured("CPOR_STORAGE=azure needs CPOR_AZURE_CONNECTION_STRING or CPOR_AZURE_ACCOUNT_NAME")
    return {
        "BACKEND": "cpor.storage.AzureStorage",
        "OPTIONS": {
            "azure_container": env["CPOR_AZURE_CONTAINER"],
            "connection_string": env.get("CPOR_AZURE_CONNECTION_STRING") or None,
            "account_name": env.get("CPOR_AZURE_ACCOUNT_NAME") or None,
            "account_key": env.get("CPOR_AZURE_ACCOUNT_KEY") or None,
            "location": env.get("CPOR_AZURE_PREFIX") or "",
            "overwrite_files": True,  # random names, as for S3
            "timeout": timeout * 3,
            "upload_max_conn": 1,
            "max_memory_size": 2 * MB,
            "client_options": {
                # One retry after about a second (the SDK's default waits 15 s, then 45 s).
                "retry_total": 1,
                "initial_backoff": 1,
                "increment_base": 2,
                "random_jitter_range": 1,
                "connection_timeout": timeout,
                "read_timeout": timeout * 3,
                # Uploads and downloads move in 4 MB blocks, not Azure's default 32 MB first read.
                "max_single_put_size": 4 * MB,
                "max_block_size": 4 * MB,
                "max_single_get_size": 4 * MB,
                "max_chunk_get_size": 4 * MB,
            },
        },
    }
