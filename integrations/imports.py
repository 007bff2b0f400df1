"""Bulk claims from a CSV or XLSX file.

upload (`import_create`) -> validation of every row (`validate_file`, streamed in chunks, in
the worker for large files) -> preview (ImportRow per row: per-column errors with the form's
codes, competing / duplicate flags) -> commit (`commit_rows`: the valid rows become Editing
drafts through claims.services.claim_create, each linked to its import and row) ->
rejected rows as a CSV with an `errors` column.

Rows are validated by claims.validation.validate_claim_input, the code behind the form and
the API, so the codes are the same. Formulas are never evaluated (XLSX is read with
data_only=False: a formula cell is refused, its cached value ignored). Importing a row twice
is impossible: ImportedClaim is unique per company and row content.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from claims import services as claim_services
from claims.access import require_partner
from claims.choices import ACTIVITIES_BY_AREA, Activity, SolutionArea
from claims.errors import DomainError, ErrorItem
from claims.models import Association, ClaimProduct, Product, User
from claims.services.evidence import check_upload
from claims.states import HOLDING_STATES, OPEN_STATES
from claims.validation import CleanClaim, validate_claim_input

from .models import ClaimImport, ImportedClaim, ImportRow, ImportStatus

CHUNK = 500
TEMPLATE_PRODUCT_SLOTS = 3
BASE_COLUMNS = ["name", "customer_tenant_id", "customer_domain", "solution_area", "activity", "mpn_id"]
CONTACT_COLUMNS = [f"{who}_contact_{key}" for who in ("customer", "partner") for key in ("name", "email", "phone")]
# What a row needs besides its proof of execution, which is attached per claim afterwards.
REQUIRED_FIELDS = [
    *BASE_COLUMNS,
    "customer_contact.name",
    "customer_contact.email",
    "partner_contact.name",
    "partner_contact.email",
]

COLUMN_HELP = {
    "name": _("Claim name: a short name of your choosing (required, at most 120 characters)."),
    "customer_tenant_id": _("Customer tenant ID: the GUID of the customer's Microsoft Entra tenant."),
    "customer_domain": _("Customer subdomain (e.g. contoso) or one of the tenant's verified domains."),
    "solution_area": _("Solution area code: see the codes below."),
    "activity": _("Activity code of that solution area: see the codes below."),
    "mpn_id": _("One of your company's MPN IDs."),
    "products": _("Optional instead of product_N: products as a ; list of code or code:subscription ID."),
    "product_N": _("Product code (product_1, product_2, … as many as needed)."),
    "subscription_id_N": _("Subscription ID of product_N: required for Dynamics 365 products, empty otherwise."),
    "customer_contact_name": _("Customer contact name (required)."),
    "customer_contact_email": _("Customer contact email (required); the consent email goes there."),
    "customer_contact_phone": _("Customer contact phone (optional)."),
    "partner_contact_name": _("Partner contact name (required)."),
    "partner_contact_email": _("Partner contact email (required)."),
    "partner_contact_phone": _("Partner contact phone (optional)."),
    "poe_files": _("Optional: proof-of-execution file names, ; separated, from the ZIP uploaded with the sheet."),
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def template_columns() -> list[str]:
    slots = [c for i in range(1, TEMPLATE_PRODUCT_SLOTS + 1) for c in (f"product_{i}", f"subscription_id_{i}")]
    return [*BASE_COLUMNS, *slots, *CONTACT_COLUMNS, "poe_files"]


# --- templates ----------------------------------------------------------------------


def template_csv() -> bytes:
    """The header row, UTF-8 with a BOM so Excel opens it in any language."""
    out = io.StringIO()
    csv.writer(out).writerow(template_columns())
    return codecs.BOM_UTF8 + out.getvalue().encode()


def template_xlsx() -> bytes:
    """Sheet "claims" (header row to fill), sheet "help" (each column's meaning in every
    language of the UI) and sheet "codes" (valid codes with their names in every language)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    languages = [code for code, _name in settings.LANGUAGES]
    wb = Workbook()
    sheet = wb.active
    sheet.title = "claims"
    sheet.append(template_columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    help_sheet = wb.create_sheet("help")
    help_sheet.append(["column", *languages])
    for column, text in COLUMN_HELP.items():
        help_sheet.append([column, *(_in(lang, text) for lang in languages)])
    codes = wb.create_sheet("codes")
    codes.append(["column", "code", *languages])
    for area in SolutionArea:
        codes.append(["solution_area", area.value, *(_in(lang, area.label) for lang in languages)])
    for area, activities in ACTIVITIES_BY_AREA.items():
        for act in activities:
            label = f"{SolutionArea(area).label}: {Activity(act).label}"
            codes.append(["activity", act, *(_in(lang, label) for lang in languages)])
    for product in Product.objects.order_by("solution_area", "code"):
        note = _("needs a subscription ID") if product.is_dynamics else _("no subscription ID")
        codes.append(
            ["product", product.code, *(f"{product.name} ({_in(lang, SolutionArea(product.solution_area).label)}; {_in(lang, note)})" for lang in languages)]
        )  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


# --- reading ----------------------------------------------------------------------------


def detect_format(name: str, head: bytes) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext == "xlsx" and head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if ext == "csv" and not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")):
        return "csv"
    raise DomainError.of("import_not_a_spreadsheet", "file")


def _csv_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-16 without a BOM: every other byte of ASCII text is zero.
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) == 0:
        return "utf-16-be"
    return "utf-8"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _unescape(text: str) -> str:
    # Our own rejected-rows CSV escapes =+-@ with a leading apostrophe; undo it on re-upload.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


Cells = list[tuple[str, bool]]  # (text, is a formula)


def _csv_rows(handle) -> Iterator[Cells]:
    head = handle.read(4096)
    handle.seek(0)
    encoding = _csv_encoding(head)
    text = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
    try:
        sample = text.read(8192)
        text.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, dialect)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DomainError.of("import_bad_csv", "file", detail=str(exc)[:200]) from None
            # A CSV has no formulas, but a cell starting with "=" would be one when opened in Excel.
            yield [(v, v.startswith("=")) for v in (_unescape(c.strip()) for c in row)]
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
        if encoding.startswith("utf-8"):
            detail = _("byte 0x%(byte)s is not UTF-8; the file looks like Windows-1252 or Latin-1") % {"byte": bad}
        else:
            detail = _("it starts like %(encoding)s but is not valid %(encoding)s") % {"encoding": encoding.upper()}
        raise DomainError.of("import_bad_encoding", "file", detail=str(detail)) from None
    finally:
        try:
            text.detach()  # leaves the stored file to its owner
        except ValueError:
            pass


def _xlsx_rows(handle, size_hint=None) -> Iterator[Cells]:
    from openpyxl import load_workbook

    # openpyxl parses untrusted XML and raises many kinds of errors on a broken file: each one
    # is this file's refusal, never a server error.
    try:
        wb = load_workbook(handle, read_only=True, data_only=False)
    except Exception:
        raise DomainError.of("import_unreadable", "file") from None
    try:
        sheet = wb["claims"] if "claims" in wb.sheetnames else wb.worksheets[0]
        if size_hint is not None and sheet.max_row:
            size_hint(max(0, sheet.max_row - 1))  # from the sheet's dimension: for the progress bar only
        rows = sheet.iter_rows()
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:
                raise DomainError.of("import_unreadable", "file") from None
            yield [(_cell_text(c.value), getattr(c, "data_type", None) == "f") for c in row]
    finally:
        wb.close()


def read_rows(handle, file_format: str, size_hint=None) -> Iterator[tuple[int, dict[str, tuple[str, bool]]]]:
    """(row number, {column: (text, is_formula)}) for every non-blank row after the header."""
    rows = _xlsx_rows(handle, size_hint) if file_format == "xlsx" else _csv_rows(handle)
    try:
        yield from _rows_after_header(rows)
    finally:
        rows.close()  # before the caller closes the file


def _rows_after_header(rows: Iterator[Cells]) -> Iterator[tuple[int, dict[str, tuple[str, bool]]]]:
    header: list[str] | None = None
    for number, cells in enumerate(rows, start=1):
        if not any(text for text, _f in cells):
            continue
        if header is None:
            header = [re.sub(r"[\s\-]+", "_", text.strip().lower()) for text, _f in cells]
            missing = [c for c in BASE_COLUMNS if c not in header]
            if not any(h == "products" or re.fullmatch(r"product_\d+", h) for h in header):
                missing.append("product_1")
            if missing:
                raise DomainError.of("import_missing_columns", "file", columns=", ".join(missing))
            continue
        yield number, {h: cells[i] if i < len(cells) else ("", False) for i, h in enumerate(header) if h}
    if header is None:
        raise DomainError.of("import_empty", "file")


# --- one row -------------------------------------------------------------------------------


def row_input(cells: dict[str, tuple[str, bool]]) -> tuple[dict, dict[str, str]]:
    """The claim input the services take, and which column each input field came from."""
    value = {k: text for k, (text, _f) in cells.items()}
    data: dict = {k: value.get(k, "") for k in BASE_COLUMNS}
    columns = {k: k for k in BASE_COLUMNS}
    for who in ("customer", "partner"):
        data[f"{who}_contact"] = {key: value.get(f"{who}_contact_{key}", "") for key in ("name", "email", "phone")}
        for key in ("name", "email", "phone"):
            columns[f"{who}_contact.{key}"] = f"{who}_contact_{key}"
    products: list[dict] = []
    for item in [p.strip() for p in value.get("products", "").split(";") if p.strip()]:
        code, _sep, sub = item.partition(":")
        columns[f"products[{len(products)}].product"] = columns[f"products[{len(products)}].subscription_id"] = "products"
        products.append({"product": code.strip(), "subscription_id": sub.strip() or None})
    slots = sorted(int(k.split("_")[1]) for k in value if re.fullmatch(r"product_\d+", k))
    for n in slots:
        code, sub = value.get(f"product_{n}", ""), value.get(f"subscription_id_{n}", "")
        if not code and not sub:
            continue
        i = len(products)
        columns[f"products[{i}].product"], columns[f"products[{i}].subscription_id"] = f"product_{n}", f"subscription_id_{n}"
        products.append({"product": code, "subscription_id": sub or None})
    data["products"] = products
    columns["products"] = "products" if "products" in value else "product_1"
    return data, columns


def row_key(cells: dict[str, tuple[str, bool]]) -> str:
    known = {k: t for k, (t, _f) in cells.items() if k in COLUMN_KEYS or re.fullmatch(r"(product|subscription_id)_\d+", k)}
    return hashlib.sha256(json.dumps(sorted((k, v.lower()) for k, v in known.items() if v)).encode()).hexdigest()


COLUMN_KEYS = frozenset([*BASE_COLUMNS, *CONTACT_COLUMNS, "products", "poe_files"])


def poe_names(raw: dict) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in (raw.get("poe_files") or "").split(";") if n.strip()))


def zip_index(handle) -> dict[str, str | None]:
    """{file name: None, or the evidence refusal code} for every file of the ZIP, checked by
    the same code as a PoE upload (type by content, size); one member in memory at a time."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    index: dict[str, str | None] = {}
    try:
        with zipfile.ZipFile(handle) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                name = info.filename.rsplit("/", 1)[-1]
                if info.file_size > settings.CPOR_EVIDENCE_MAX_BYTES:
                    index[name] = "evidence_too_large"
                    continue
                try:
                    check_upload(SimpleUploadedFile(name, archive.read(info)))
                    index[name] = None
                except DomainError as exc:
                    index[name] = exc.code
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        raise DomainError.of("poe_zip_unreadable", "poe_zip") from None
    return index


def _poe_errors(raw: dict, index: dict[str, str | None] | None) -> list[dict]:
    names = poe_names(raw)
    if not names:
        return []
    if index is None:
        return [{"code": "poe_zip_missing", "field": None, "column": "poe_files", "params": {}}]
    errors = []
    for name in names:
        if name not in index:
            errors.append({"code": "poe_file_not_in_zip", "field": None, "column": "poe_files", "params": {"name": name}})
        elif index[name]:
            code = index[name]
            params = {"max_mb": settings.CPOR_EVIDENCE_MAX_BYTES // (1024 * 1024)} if code == "evidence_too_large" else {}
            errors.append({"code": code, "field": None, "column": "poe_files", "params": params})
    return errors


def _error(item: ErrorItem, columns: dict[str, str]) -> dict:
    return {
        "code": item.code,
        "field": item.field,
        "column": columns.get(item.field or "", item.field or ""),
        "params": dict(item.params),
    }


class DirectoryCache:
    """The directory part of a row's validation, by its input. Rows of one file name the same
    few customers, MPN IDs and products, so each distinct input is checked against the
    database once per file (bounded, so memory stays flat). The checks are split the way
    validate_claim_input depends on its keys (customer; MPN; area, activity and products on
    that customer), so a row with a new subscription re-checks only its products."""

    def __init__(self, company, limit: int = 2000) -> None:
        self.company, self.limit, self.results = company, limit, {}
        self.poe_index: dict[str, str | None] | None = None

    def _check(self, data: dict):
        key = json.dumps(data, sort_keys=True, default=str)
        if key not in self.results:
            if len(self.results) >= self.limit:
                self.results.clear()
            try:
                self.results[key] = (validate_claim_input(data, company=self.company), [])
            except DomainError as exc:
                self.results[key] = (None, exc.errors)
        return self.results[key]

    def check(self, data: dict) -> tuple[CleanClaim | None, list[ErrorItem]]:
        customer, customer_errors = self._check({k: data[k] for k in ("customer_tenant_id", "customer_domain")})
        tenant_ok = not any(e.field == "customer_tenant_id" for e in customer_errors)
        # As validate_claim_input does: products are checked against the tenant only when it is valid.
        scope = {k: data[k] for k in ("solution_area", "activity", "products")}
        if tenant_ok and data["customer_tenant_id"]:
            scope["customer_tenant_id"] = data["customer_tenant_id"]
        lines, line_errors = self._check(scope)
        mpn, mpn_errors = self._check({"mpn_id": data["mpn_id"]})
        errors = [*customer_errors, *line_errors, *mpn_errors]
        if errors:
            return None, errors
        values = {**customer.values, **lines.values, **mpn.values}
        return CleanClaim(values=values, products=lines.products), []


def check_row(
    cells: dict[str, tuple[str, bool]], company, cache: DirectoryCache | None = None
) -> tuple[dict, list[dict], object]:
    """(claim input, errors, validated directory values or None) for one row. Both halves go
    through claims.validation.validate_claim_input: the directory fields (cached per file)
    and the row's own fields (name, contacts: no database)."""
    data, columns = row_input(cells)
    cache = cache or DirectoryCache(company)
    errors: list[dict] = []
    formula_columns = {k for k, (_t, is_formula) in cells.items() if is_formula}
    for column in sorted(formula_columns):
        errors.append({"code": "formula_not_allowed", "field": None, "column": column, "params": {}})
    clean = None
    if not formula_columns:
        clean, items = cache.check(data)
        try:
            validate_claim_input({k: data[k] for k in ("name", "customer_contact", "partner_contact")}, company=company)
        except DomainError as exc:
            items = [*items, *exc.errors]
        errors += [_error(item, columns) for item in items]
    flagged = {e["field"] for e in errors}
    for field in REQUIRED_FIELDS:
        who, _dot, key = field.partition(".")
        present = data[who][key] if key else data[field]
        if not present and field not in flagged:
            errors.append({"code": "required", "field": field, "column": columns[field], "params": {}})
    if not data["products"] and "products" not in flagged:
        errors.append({"code": "required", "field": "products", "column": columns["products"], "params": {}})
    return data, errors, clean if not errors else None


def message_of(error: dict) -> str:
    return ErrorItem(error["code"], error.get("field"), tuple((error.get("params") or {}).items())).message


# --- the import -----------------------------------------------------------------------------


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
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
    file_format = detect_format(name, head)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if poe_zip is not None and poe_zip.size and poe_zip.size > settings.CPOR_IMPORT_MAX_ZIP_BYTES:
        raise DomainError.of("import_too_large", "poe_zip", max_mb=settings.CPOR_IMPORT_MAX_ZIP_BYTES // (1024 * 1024))
    inline = upload.size <= settings.CPOR_IMPORT_INLINE_BYTES and (poe_zip is None or poe_zip.size <= 10 * 1024 * 1024)
    with transaction.atomic():
        batch = ClaimImport(
            company_id=actor.company_id, created_by=actor, original_name=name, file_format=file_format,
            sha256=digest.hexdigest(), created_at=timezone.now(),
        )  # fmt: skip
        batch.file.save(name, upload, save=False)
        if poe_zip is not None:
            batch.poe_zip.save("poe.zip", poe_zip, save=False)
        batch.save()
        if inline:
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
    from . import tasks

    getattr(tasks, task).delay(*args)


def earlier_upload(batch: ClaimImport) -> ClaimImport | None:
    """An earlier import of the same file by the company (same hash), to warn about."""
    return ClaimImport.objects.filter(company_id=batch.company_id, sha256=batch.sha256, pk__lt=batch.pk).order_by("-pk").first()


def validate_file(import_id: int, *, raise_refusal: bool = False) -> None:
    """Validates every row, streaming, CHUNK rows at a time (flat memory), writing the preview
    and the progress. A refusal of the whole file removes the rows and marks the import failed."""
    batch = ClaimImport.objects.select_related("company").get(pk=import_id)
    if batch.status != ImportStatus.VALIDATING:
        return
    ImportRow.objects.filter(batch=batch).delete()  # a retried task starts over
    try:
        with batch.file.open("rb") as handle:
            _validate_stream(batch, handle)
    except DomainError as exc:
        if raise_refusal:
            raise
        ImportRow.objects.filter(batch=batch).delete()
        item = exc.errors[0]
        ClaimImport.objects.filter(pk=batch.pk).update(
            status=ImportStatus.FAILED, error_code=item.code, error_params=dict(item.params), finished_at=timezone.now()
        )


def _validate_stream(batch: ClaimImport, handle) -> None:
    if batch.file_format == "csv":
        total = _count_csv_rows(handle)
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


def _count_csv_rows(handle) -> int:
    rows = 0
    for cells in _csv_rows(handle):
        if any(text for text, _f in cells):
            rows += 1
    return max(0, rows - 1)


def _write_chunk(batch: ClaimImport, chunk: list[tuple[int, dict]], seen: dict[str, int], counts: dict, cache) -> None:
    company = batch.company
    rows: list[ImportRow] = []
    pairs: dict[int, list[tuple[int, int]]] = {}
    for number, cells in chunk:
        data, errors, clean = check_row(cells, company, cache)
        poe = _poe_errors({k: t for k, (t, _f) in cells.items()}, cache.poe_index)
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
    _flag(batch, rows, pairs)
    ImportRow.objects.bulk_create(rows)
    counts["valid"] += sum(1 for r in rows if r.ok)
    counts["invalid"] += sum(1 for r in rows if not r.ok)
    ClaimImport.objects.filter(pk=batch.pk).update(processed_rows=counts["rows"])


def _flag(batch: ClaimImport, rows: list[ImportRow], pairs: dict[int, list[tuple[int, int]]]) -> None:
    """Competing (another partner holds or claims the customer and product: nothing about
    who) and duplicate (the company's own live claim, or a claim imported before), in a
    fixed number of queries per chunk."""
    tenants = {t for lines in pairs.values() for t, _p in lines}
    products = {p for lines in pairs.values() for _t, p in lines}
    contested: set[tuple[int, int]] = set()
    own: dict[tuple[int, int], int] = {}
    if tenants:
        contested |= set(
            Association.objects.filter(tenant_id__in=tenants, product_id__in=products, ended_at__isnull=True)
            .exclude(company_id=batch.company_id)
            .values_list("tenant_id", "product_id")
        )
        contested |= set(
            ClaimProduct.objects.filter(claim__tenant_id__in=tenants, product_id__in=products, claim__state__in=OPEN_STATES)
            .exclude(claim__company_id=batch.company_id)
            .values_list("claim__tenant_id", "product_id")
        )
        for tenant_id, product_id, claim_id in ClaimProduct.objects.filter(
            claim__company_id=batch.company_id,
            claim__tenant_id__in=tenants,
            product_id__in=products,
            claim__state__in=HOLDING_STATES,
        ).values_list("claim__tenant_id", "product_id", "claim_id"):
            own[(tenant_id, product_id)] = claim_id
    imported = dict(
        ImportedClaim.objects.filter(company_id=batch.company_id, row_key__in=[r.row_key for r in rows]).values_list(
            "row_key", "claim_id"
        )
    )
    for row in rows:
        lines = pairs.get(row.row_number, [])
        row.competing = any(line in contested for line in lines)
        row.duplicate_of = imported.get(row.row_key) or next((own[line] for line in lines if line in own), None)


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
    claim, or whose content was imported before (ImportedClaim), is skipped."""
    batch = ClaimImport.objects.get(pk=import_id)
    if batch.status != ImportStatus.IMPORTING:
        return
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
                ImportRow.objects.filter(pk=row.pk).update(ok=False, errors=[_error(i, columns) for i in exc.errors])
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


# --- rejected rows ----------------------------------------------------------------------------


def safe_cell(value: str) -> str:
    """Spreadsheet apps run a cell starting with = + - @ as a formula: never from our CSV."""
    return "'" + value if value and value.startswith(FORMULA_PREFIXES) else value


def rejected_csv(batch: ClaimImport) -> Iterator[str]:
    """The rejected rows, as uploaded, plus an `errors` column ("column: message"), to fix and
    upload again. Streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header: list[str] | None = None
    yield "\ufeff"
    for row in batch.rows.filter(ok=False).order_by("row_number").iterator(chunk_size=CHUNK):
        if header is None:
            header = [k for k in row.raw if k != "errors"] or template_columns()
            writer.writerow([*header, "errors"])
        text = "; ".join(f"{e['column'] or '-'}: {message_of(e)} [{e['code']}]" for e in row.errors)
        writer.writerow([*(safe_cell(row.raw.get(k, "")) for k in header), safe_cell(text)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if header is None:
        writer.writerow([*template_columns(), "errors"])
        yield buffer.getvalue()
