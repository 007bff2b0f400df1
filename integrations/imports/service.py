"""The import itself: upload (`import_create`) -> validation of every row (`validate_file`,
streamed in chunks, in the worker for large files) -> preview -> commit (`commit`,
`commit_rows`: the valid rows become Editing drafts through claims.services.claim_create)."""

from __future__ import annotations

import hashlib
import logging
import zipfile

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from claims import scanning
from claims import services as claim_services
from claims.access import require_partner
from claims.choices import ScanStatus
from claims.errors import DomainError
from claims.lengths import max_length
from claims.models import User

from ..models import ClaimImport, ImportedClaim, ImportRow, ImportStatus
from .reading import count_csv_rows, detect_format, read_rows
from .rows import DirectoryCache, check_row, error_dict, flag_rows, poe_errors, poe_names, row_input, row_key, zip_index

CHUNK = 500
SCAN_IMPORT_TASK = "integrations.tasks.scan_import"
logger = logging.getLogger(__name__)


def import_create(*, actor: User, upload: UploadedFile, poe_zip: UploadedFile | None = None) -> ClaimImport:
    """Stores the file and validates it: at once when small, else in the worker.

    Refusals of the whole file (nothing written): permission_denied, import_too_large,
    import_not_a_spreadsheet, import_empty, import_bad_encoding, import_missing_columns,
    import_too_many_rows, import_unreadable.
    """
    require_partner(actor)
    if upload.size and upload.size > settings.CPOR_IMPORT_MAX_BYTES:
        raise DomainError.of("import_too_large", "file", max_mb=settings.CPOR_IMPORT_MAX_BYTES // (1024 * 1024))
    if not upload.size:
        raise DomainError.of("import_empty", "file")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][: max_length(ClaimImport, "original_name")]
    file_format = detect_format(name, head)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if poe_zip is not None and poe_zip.size and poe_zip.size > settings.CPOR_IMPORT_MAX_ZIP_BYTES:
        raise DomainError.of("import_too_large", "poe_zip", max_mb=settings.CPOR_IMPORT_MAX_ZIP_BYTES // (1024 * 1024))
    # With a scanner, nothing is read before clamd has found the files clean (in the worker).
    unscanned = scanning.no_scanner()
    inline = (
        unscanned and upload.size <= settings.CPOR_IMPORT_INLINE_BYTES and (poe_zip is None or poe_zip.size <= 10 * 1024 * 1024)
    )
    with transaction.atomic():
        batch = ClaimImport(
            company_id=actor.company_id, created_by=actor, original_name=name, file_format=file_format,
            sha256=digest.hexdigest(), created_at=timezone.now(),
            scan_status=ScanStatus.CLEAN if unscanned else ScanStatus.PENDING,
        )  # fmt: skip
        batch.file.save(name, upload, save=False)
        if poe_zip is not None:
            batch.poe_zip.save("poe.zip", poe_zip, save=False)
        batch.save()
        if not unscanned:
            scanning.queue(SCAN_IMPORT_TASK, batch.pk)
        elif inline:
            try:
                validate_file(batch.pk, raise_refusal=True)
            except DomainError:
                batch.file.delete(save=False)  # the transaction rolls the rest back: nothing written
                if batch.poe_zip:
                    batch.poe_zip.delete(save=False)
                raise
        else:
            transaction.on_commit(lambda: _queue("validate_import", batch.pk), robust=True)
    batch.refresh_from_db()
    return batch


def _queue(task: str, *args) -> None:
    from .. import tasks

    getattr(tasks, task).delay(*args)


def _same_file_before(company_id, sha256, pk) -> QuerySet[ClaimImport]:
    return ClaimImport.objects.filter(company_id=company_id, sha256=sha256, pk__lt=pk).order_by("-pk")


def earlier_upload(batch: ClaimImport) -> ClaimImport | None:
    """An earlier import of the same file by the company (same hash), to warn about."""
    return _same_file_before(batch.company_id, batch.sha256, batch.pk).first()


def earlier_upload_pk() -> Subquery:
    """earlier_upload's id for each import of a list, in the list's one query."""
    return Subquery(_same_file_before(OuterRef("company_id"), OuterRef("sha256"), OuterRef("pk")).values("pk")[:1])


def validate_file(import_id: int, *, raise_refusal: bool = False) -> None:
    """Validates every row, streaming, CHUNK rows at a time (flat memory), writing the preview
    and the progress. A refusal of the whole file removes the rows and marks the import failed.

    In the worker (raise_refusal False) every outcome is final: an unexpected error (a
    database error, the task's soft time limit) also ends the import as failed, with
    import_failed (logged) or import_timed_out, instead of leaving it validating. In the
    request (raise_refusal True) errors propagate and roll back import_create: nothing stays.
    """
    batch = ClaimImport.objects.select_related("company").get(pk=import_id)
    if batch.status != ImportStatus.VALIDATING or batch.scan_status != ScanStatus.CLEAN:
        return
    ImportRow.objects.filter(batch=batch).delete()  # a retried task starts over
    try:
        with batch.file.open("rb") as handle:
            _validate_stream(batch, handle)
    except Exception as exc:
        if raise_refusal:
            raise
        code, params = _failure(exc, batch.pk)
        ImportRow.objects.filter(batch=batch).delete()
        ClaimImport.objects.filter(pk=batch.pk).update(
            status=ImportStatus.FAILED, error_code=code, error_params=params, finished_at=timezone.now()
        )


def import_scan(import_id: int) -> str | None:
    """Scans a pending import's file and PoE ZIP with clamd (claims.scanning), then validates
    it (here, in the worker). Infected: both stored files deleted, the import failed with
    import_infected naming what was found; no row is ever read. Longer than clamd accepts
    (its StreamMaxLength): the same, with import_too_large_to_scan (scan status infected: it
    is never read). Idempotent: an import no
    longer pending is left as it is. Raises scanning.ScannerUnavailable when clamd does not
    answer: the import stays pending (validating) for the retry or the sweep."""
    batch = ClaimImport.objects.filter(pk=import_id, scan_status=ScanStatus.PENDING).first()
    if batch is None:
        return None
    code, params = "", {}
    try:
        verdicts = [scanning.scan_file(f) for f in (batch.file, batch.poe_zip) if f]
    except FileNotFoundError:
        logger.error("import %s is pending a scan but its stored file is missing", import_id)
        return None
    except scanning.TooLargeToScan:
        # Unscannable is unusable: refused like an infected file (never read), with its own words.
        code, verdicts = "import_too_large_to_scan", []
    found = next((v.signature for v in verdicts if v.infected), "")
    if found:
        code, params = "import_infected", {"signature": found}
    if code:
        with transaction.atomic():
            if not ClaimImport.objects.filter(pk=import_id, scan_status=ScanStatus.PENDING).update(
                scan_status=ScanStatus.INFECTED, status=ImportStatus.FAILED, error_code=code,
                error_params=params, finished_at=timezone.now(),
            ):  # fmt: skip
                return None
            stored = [f for f in (batch.file, batch.poe_zip) if f]
            transaction.on_commit(lambda: [f.delete(save=False) for f in stored], robust=True)
        logger.warning("import %s refused by the malware scan: %s", import_id, found or code)
        return ScanStatus.INFECTED
    if not ClaimImport.objects.filter(pk=import_id, scan_status=ScanStatus.PENDING).update(scan_status=ScanStatus.CLEAN):
        return None
    validate_file(import_id)
    return ScanStatus.CLEAN


def pending_import_scans(limit: int = 1000) -> list[int]:
    """Ids of imports whose files still wait for their scan (the sweep's batch, on the partial index)."""
    pending = ClaimImport.objects.filter(scan_status=ScanStatus.PENDING).order_by("created_at")
    return list(pending.values_list("pk", flat=True)[:limit])


def _failure(exc: Exception, import_id: int) -> tuple[str, dict]:
    """The code and message parameters an import fails with."""
    if isinstance(exc, DomainError):
        return exc.errors[0].code, dict(exc.errors[0].params)
    if isinstance(exc, SoftTimeLimitExceeded):
        logger.warning("import %s stopped at the task's time limit", import_id)
        return "import_timed_out", {}
    logger.exception("import %s failed", import_id)
    if isinstance(exc, DatabaseError) and not connection.in_atomic_block:
        connection.close()  # the next query reconnects, in case the error broke the connection
    return "import_failed", {}


def _validate_stream(batch: ClaimImport, handle) -> None:
    if batch.file_format == "csv":
        total = count_csv_rows(handle)
        handle.seek(0)
        if total > settings.CPOR_IMPORT_MAX_ROWS:
            raise DomainError.of("import_too_many_rows", "file", rows=total, max=settings.CPOR_IMPORT_MAX_ROWS)
        ClaimImport.objects.filter(pk=batch.pk).update(total_rows=total)
        batch.total_rows = total
    index = None
    if batch.poe_zip:
        with batch.poe_zip.open("rb") as archive:
            index = zip_index(archive)
    seen: dict[str, int] = {}
    cache = DirectoryCache(batch.company)
    cache.poe_index = index
    counts = {"valid": 0, "invalid": 0, "rows": 0}
    chunk: list[tuple[int, dict]] = []

    def size_hint(rows: int) -> None:
        ClaimImport.objects.filter(pk=batch.pk).update(total_rows=rows)

    for number, cells in read_rows(handle, batch.file_format, size_hint):
        counts["rows"] += 1
        if counts["rows"] > settings.CPOR_IMPORT_MAX_ROWS:
            raise DomainError.of("import_too_many_rows", "file", rows=f"{counts['rows']}+", max=settings.CPOR_IMPORT_MAX_ROWS)
        chunk.append((number, cells))
        if len(chunk) >= CHUNK:
            _write_chunk(batch, chunk, seen, counts, cache)
            chunk = []
    if chunk:
        _write_chunk(batch, chunk, seen, counts, cache)
    if counts["rows"] == 0:
        raise DomainError.of("import_empty", "file")
    ClaimImport.objects.filter(pk=batch.pk).update(
        status=ImportStatus.PREVIEW, total_rows=counts["rows"], processed_rows=counts["rows"], valid_rows=counts["valid"],
        invalid_rows=counts["invalid"], finished_at=timezone.now(),
    )  # fmt: skip


def _write_chunk(batch: ClaimImport, chunk: list[tuple[int, dict]], seen: dict[str, int], counts: dict, cache) -> None:
    company = batch.company
    rows: list[ImportRow] = []
    pairs: dict[int, list[tuple[int, int]]] = {}
    for number, cells in chunk:
        data, errors, clean = check_row(cells, company, cache)
        poe = poe_errors({k: t for k, (t, _f) in cells.items()}, cache.poe_index)
        if poe:
            errors, clean = [*errors, *poe], None
        key = row_key(cells)
        if key in seen:
            errors.append({"code": "duplicate_row", "field": None, "column": "", "params": {"row": seen[key]}})
            clean = None
        else:
            seen[key] = number
        raw = {k: t for k, (t, _f) in cells.items()}
        rows.append(ImportRow(batch=batch, row_number=number, raw=raw, data=data, errors=errors, ok=not errors, row_key=key))
        if clean is not None and clean.values.get("tenant") is not None:
            pairs[number] = [(clean.values["tenant"].pk, line.product.pk) for line in clean.products or []]
    flag_rows(batch, rows, pairs)
    ImportRow.objects.bulk_create(rows)
    counts["valid"] += sum(1 for r in rows if r.ok)
    counts["invalid"] += sum(1 for r in rows if not r.ok)
    ClaimImport.objects.filter(pk=batch.pk).update(processed_rows=counts["rows"])


def commit(*, batch: ClaimImport, actor: User) -> ClaimImport:
    """Imports the preview's valid rows as Editing drafts (in the worker for large files).

    Refusals: import_not_ready (still validating), import_already_committed,
    import_has_no_valid_rows.
    """
    require_partner(actor)
    if batch.company_id != actor.company_id:
        raise DomainError.of("import_not_found")
    if batch.status == ImportStatus.VALIDATING:
        raise DomainError.of("import_not_ready")
    if batch.status != ImportStatus.PREVIEW:
        raise DomainError.of("import_already_committed")
    if not batch.valid_rows:
        raise DomainError.of("import_has_no_valid_rows")
    changed = ClaimImport.objects.filter(pk=batch.pk, status=ImportStatus.PREVIEW).update(
        status=ImportStatus.IMPORTING, processed_rows=0
    )
    if not changed:
        raise DomainError.of("import_already_committed")
    if batch.valid_rows <= settings.CPOR_IMPORT_INLINE_COMMIT_ROWS:
        commit_rows(batch.pk, actor.pk)
    else:
        transaction.on_commit(lambda: _queue("commit_import", batch.pk, actor.pk), robust=True)
    batch.refresh_from_db()
    return batch


def commit_rows(import_id: int, actor_id: int) -> None:
    """Creates a draft per valid row not imported yet. Idempotent: a row already linked to a
    claim, or whose content was imported before (ImportedClaim), is skipped.

    An unexpected error ends the import as failed (import_failed, logged; import_timed_out)
    instead of leaving it importing; the drafts made so far stay, and uploading the file
    again skips them."""
    batch = ClaimImport.objects.get(pk=import_id)
    if batch.status != ImportStatus.IMPORTING:
        return
    try:
        _commit_rows(batch, actor_id)
    except Exception as exc:
        code, params = _failure(exc, batch.pk)
        ClaimImport.objects.filter(pk=batch.pk).update(
            status=ImportStatus.FAILED, error_code=code, error_params=params, finished_at=timezone.now(),
            imported_rows=ImportedClaim.objects.filter(batch_id=batch.pk).count(),
        )  # fmt: skip


def _commit_rows(batch: ClaimImport, actor_id: int) -> None:
    actor = User.objects.select_related("company").get(pk=actor_id)
    done = {"imported": 0, "skipped": 0, "invalid": 0, "n": 0}
    archive = zipfile.ZipFile(batch.poe_zip.open("rb")) if batch.poe_zip else None
    members = {i.filename.rsplit("/", 1)[-1]: i for i in archive.infolist() if not i.is_dir()} if archive else {}
    for row in batch.rows.filter(ok=True).order_by("row_number").iterator(chunk_size=CHUNK):
        done["n"] += 1
        if row.claim_id is not None or ImportedClaim.objects.filter(company_id=batch.company_id, row_key=row.row_key).exists():
            done["skipped"] += 1
        else:
            try:
                with transaction.atomic():
                    claim = claim_services.claim_create(actor=actor, data=row.data)
                    for name in poe_names(row.raw):
                        # The PoE upload service, with its checks: a refusal rolls this row back.
                        poe = ContentFile(archive.read(members[name]), name=name)
                        claim_services.evidence_add(claim=claim, actor=actor, file=poe)
                    ImportedClaim.objects.create(
                        claim=claim, company_id=batch.company_id, batch=batch, row_number=row.row_number, row_key=row.row_key
                    )
                    ImportRow.objects.filter(pk=row.pk).update(claim=claim)
            except IntegrityError:
                done["skipped"] += 1  # imported by a concurrent commit of the same content
            except (DomainError, KeyError, AttributeError) as exc:  # the directory or the ZIP changed since the preview
                if not isinstance(exc, DomainError):
                    exc = DomainError.of("poe_zip_unreadable")
                columns = row_input({k: (v, False) for k, v in row.raw.items()})[1]
                ImportRow.objects.filter(pk=row.pk).update(ok=False, errors=[error_dict(i, columns) for i in exc.errors])
                done["invalid"] += 1
            else:
                done["imported"] += 1
        if done["n"] % 100 == 0:
            ClaimImport.objects.filter(pk=batch.pk).update(processed_rows=done["n"])
    if archive is not None:
        archive.close()
    ClaimImport.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE, processed_rows=done["n"], imported_rows=done["imported"], skipped_rows=done["skipped"],
        valid_rows=batch.valid_rows - done["invalid"], invalid_rows=batch.invalid_rows + done["invalid"],
        committed_at=timezone.now(),
    )  # fmt: skip
