"""One row of an import: its claim input, its checks (the form's codes, through
claims.validation), its proof-of-execution files, and its competing / duplicate flags."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

from django.conf import settings

from claims import competition
from claims.errors import DomainError, ErrorItem
from claims.services.evidence import check_upload
from claims.validation import CleanClaim, validate_claim_input

from ..models import ClaimImport, ImportedClaim, ImportRow
from .templates import BASE_COLUMNS, CONTACT_COLUMNS

# What a row needs besides its proof of execution, which is attached per claim afterwards.
REQUIRED_FIELDS = [
    *BASE_COLUMNS,
    "customer_contact.name",
    "customer_contact.email",
    "partner_contact.name",
    "partner_contact.email",
]


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


def poe_errors(raw: dict, index: dict[str, str | None] | None) -> list[dict]:
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


def error_dict(item: ErrorItem, columns: dict[str, str]) -> dict:
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
        errors += [error_dict(item, columns) for item in items]
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


def flag_rows(batch: ClaimImport, rows: list[ImportRow], pairs: dict[int, list[tuple[int, int]]]) -> None:
    """Competing (another partner holds or claims the customer and product: nothing about
    who) and duplicate (the company's own live claim, or a claim imported before), by
    claims.competition's rules, in a fixed number of queries per chunk."""
    # The rules of a submission's duplicate refusal and arbitration warning, for the whole chunk.
    wanted = {line for lines in pairs.values() for line in lines}
    contested, own = competition.competition_for(batch.company_id, wanted)
    imported = dict(
        ImportedClaim.objects.filter(company_id=batch.company_id, row_key__in=[r.row_key for r in rows]).values_list(
            "row_key", "claim_id"
        )
    )
    for row in rows:
        lines = pairs.get(row.row_number, [])
        row.competing = any(line in contested for line in lines)
        row.duplicate_of = imported.get(row.row_key) or min((own[line] for line in lines if line in own), default=None)
