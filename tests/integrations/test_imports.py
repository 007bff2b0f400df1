"""Bulk claims from CSV/XLSX: template round trip, preview with the form's codes, flags,
refusals (nothing written), formulas never evaluated, idempotent commit, rejected rows."""

import codecs
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from claims.models import Claim
from integrations import imports
from integrations.models import ClaimImport, ImportedClaim, ImportRow
from tests.api.test_api import client_for, codes
from tests.conftest import Builder, claim_data, m365_data

from .files import csv_bytes, good_row, rows, xlsx_bytes, xlsx_with_shared_string

API = "/api/v1/imports/"


@pytest.fixture
def fab(fabrikam):
    return client_for(fabrikam)


def upload(client, name: str, content: bytes):
    return client.post(API, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def rejected(batch_id: int) -> dict[int, list[tuple[str, str]]]:
    return {
        r.row_number: [(e["code"], e["column"]) for e in r.errors] for r in ImportRow.objects.filter(batch_id=batch_id, ok=False)
    }


def nothing_written() -> bool:
    return not ClaimImport.objects.exists() and not ImportRow.objects.exists()


def test_the_xlsx_template_round_trips_and_explains_every_column_in_every_language(fab, settings):
    response = fab.get(f"{API}template.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb["claims"]["A1"].value == "name"
    help_rows = list(wb["help"].values)
    assert help_rows[0] == ("column", *[code for code, _n in settings.LANGUAGES])
    assert {r[0] for r in help_rows[1:]} >= {"name", "customer_tenant_id", "product_N", "subscription_id_N"}
    assert ("solution_area", "microsoft_365") in {r[:2] for r in wb["codes"].values}
    assert ("product", "d365_sales") in {r[:2] for r in wb["codes"].values}
    sheet = wb["claims"]
    columns = [c.value for c in sheet[1]]
    for i in range(3):
        sheet.append([good_row(i).get(c, "") for c in columns])
    out = io.BytesIO()
    wb.save(out)
    created = upload(fab, "filled.xlsx", out.getvalue())
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["valid_rows"], body["invalid_rows"]) == ("preview", 3, 0)


def test_the_csv_template_round_trips(fab):
    template = fab.get(f"{API}template.csv").content
    assert template.startswith(codecs.BOM_UTF8)
    content = template + csv_bytes([good_row(1), good_row(2)])[csv_bytes([]).__len__() :]
    body = upload(fab, "filled.csv", content).json()
    assert (body["status"], body["valid_rows"]) == ("preview", 2)


def test_10000_rows_with_100_bad_ones_give_exactly_those_with_their_codes(fab, settings, django_capture_on_commit_callbacks):
    data, expected = rows(10_000, bad_every=100)
    with django_capture_on_commit_callbacks(execute=True):  # a large file: the worker validates it
        created = upload(fab, "claims.csv", csv_bytes(data))
    batch = ClaimImport.objects.get(pk=created.json()["id"])
    assert created.json()["status"] == "validating"
    assert (batch.status, batch.total_rows, batch.valid_rows, batch.invalid_rows, batch.progress) == (
        "preview",
        10_000,
        9_900,
        100,
        100,
    )
    got = rejected(batch.pk)
    assert {n: errs[0] for n, errs in got.items()} == expected
    assert all(len(errs) == 1 for errs in got.values()), {n: e for n, e in got.items() if len(e) > 1}
    assert len({code for code, _c in expected.values()}) >= 8
    assert not Claim.objects.exists()  # a preview writes no claim


def test_codes_are_the_forms(fab):
    data = [good_row(0)]
    data[0].update({"customer_domain": "litware.com", "subscription_id_1": "33333333-3333-4333-8333-333333333333"})
    batch = ClaimImport.objects.get(pk=upload(fab, "x.csv", csv_bytes(data)).json()["id"])
    form_like = fab.post("/api/v1/claims/", claim_data(customer_domain="litware.com", products=[{"product": "d365_sales", "subscription_id": "33333333-3333-4333-8333-333333333333"}]), format="json")  # fmt: skip
    assert sorted(c for c, _col in rejected(batch.pk)[2]) == sorted(codes(form_like))
    row = fab.get(f"{API}{batch.pk}/rows/?rows=rejected").json()["results"][0]
    assert {e["column"] for e in row["errors"]} == {"customer_domain", "subscription_id_1"}
    assert all(e["message"] for e in row["errors"])


def test_an_xlsx_with_formulas_is_not_evaluated(fab):
    data = [good_row(0), good_row(1), good_row(2)]
    content = xlsx_bytes(data, formulas={(0, "name"): "=1+1", (1, "mpn_id"): '=HYPERLINK("http://evil.example","4567890")'})
    batch = ClaimImport.objects.get(pk=upload(fab, "f.xlsx", content).json()["id"])
    assert rejected(batch.pk) == {2: [("formula_not_allowed", "name")], 3: [("formula_not_allowed", "mpn_id")]}
    assert ImportRow.objects.get(batch=batch, row_number=2).raw["name"] == "=1+1"  # the formula, not 2
    assert batch.valid_rows == 1


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be"],
)
def test_csv_encodings_that_are_accepted(fab, encoding):
    row = good_row(0) | {"name": "Café São Paulo 客户", "customer_contact_name": "Zoë Ólafsdóttir"}
    body = upload(fab, "enc.csv", csv_bytes([row], encoding=encoding)).json()
    assert (body["status"], body["valid_rows"]) == ("preview", 1), body
    assert ImportRow.objects.get().data["name"] == "Café São Paulo 客户"


def test_a_semicolon_csv_and_a_products_list_column(fab):
    row = good_row(0)
    row["products"] = "d365_sales:11111111-1111-4111-8111-111111111111"
    columns = [c for c in imports.template_columns() if not c.startswith(("product_", "subscription_id_"))] + ["products"]
    body = upload(fab, "semi.csv", csv_bytes([row], columns=columns, delimiter=";")).json()
    assert (body["status"], body["valid_rows"]) == ("preview", 1), body


def _broken_xlsx() -> bytes:
    import zipfile

    good = io.BytesIO(xlsx_bytes([good_row(0)]))
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"<worksheet><sheetData><row><c" if item.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "code", "says"),
    [
        ("claims.csv", "name,é\n".encode("latin-1") + "Caf\xe9,x\n".encode("latin-1"), "import_bad_encoding", "0xe9"),
        ("claims.pdf", b"%PDF-1.4 whatever", "import_not_a_spreadsheet", "CSV"),
        ("claims.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "import_not_a_spreadsheet", "xlsx"),
        ("claims.csv", b"", "import_empty", "no claim rows"),
        ("claims.csv", csv_bytes([]), "import_empty", "no claim rows"),
        ("claims.csv", b"name,mpn_id\nA,1\n", "import_missing_columns", "customer_tenant_id"),
        ("claims.xlsx", b"PK\x03\x04 not really a workbook", "import_unreadable", "cannot be read"),
        ("claims.xlsx", _broken_xlsx(), "import_unreadable", "cannot be read"),
        ("claims.csv", csv_bytes([good_row(0)])[:-2] + b'"x' * 200_000 + b"\n", "import_row_too_long", "Row 2 "),
        ("claims.csv", csv_bytes([good_row(0), good_row(1) | {"name": "x" * 32_768}]), "import_cell_too_long", "Row 3 "),
        ("claims.csv", csv_bytes([good_row(0)])[:-2] + b',"' + b"x\n" * 20_000 + b'"\n', "import_cell_too_long", "Row 2 "),
        ("claims.xlsx", xlsx_with_shared_string(32_768), "import_cell_too_long", "Row 2 "),
        ("claims.xlsx", xlsx_with_shared_string(40 * 1024 * 1024), "import_workbook_too_large", "32 MB"),
        ("claims.xlsx", xlsx_with_shared_string(2 * 1024 * 1024), "import_workbook_too_compressed", "200 times"),
    ],
)
def test_refusals_say_why_and_write_nothing(fab, settings, name, content, code, says):
    settings.CPOR_IMPORT_INLINE_BYTES = 10**7  # validated in the request, so the refusal is the answer
    response = upload(fab, name, content)
    assert response.status_code == 400 and codes(response) == [code], response.content
    assert says in response.json()["errors"][0]["message"]
    assert nothing_written()


def test_more_than_the_row_limit_is_refused(fab, settings, django_capture_on_commit_callbacks):
    settings.CPOR_IMPORT_MAX_ROWS = 5
    response = upload(fab, "big.csv", csv_bytes(rows(6)[0]))
    assert response.status_code == 400 and codes(response) == ["import_too_many_rows"] and nothing_written()
    settings.CPOR_IMPORT_INLINE_BYTES = 0  # in the worker: the import fails with the reason, no rows kept
    with django_capture_on_commit_callbacks(execute=True):
        created = upload(fab, "big.xlsx", xlsx_bytes(rows(6)[0]))
    body = fab.get(f"{API}{created.json()['id']}/").json()
    assert body["status"] == "failed" and body["error"]["code"] == "import_too_many_rows"
    assert not ImportRow.objects.exists()


def test_commit_creates_drafts_once_and_a_second_upload_of_the_file_warns_and_duplicates_nothing(fab, fabrikam):
    data, _expected = rows(6, bad_every=3)
    first = upload(fab, "claims.csv", csv_bytes(data)).json()
    committed = fab.post(f"{API}{first['id']}/commit/")
    assert committed.status_code == 202 and committed.json()["status"] == "done" and committed.json()["imported_rows"] == 4
    claims = Claim.objects.filter(company=fabrikam.company)
    assert claims.count() == 4 and {c.state for c in claims} == {"editing"}
    assert {c.imported.batch_id for c in claims} == {first["id"]}
    again = fab.post(f"{API}{first['id']}/commit/")
    assert again.status_code == 409 and codes(again) == ["import_already_committed"]
    second = upload(fab, "claims.csv", csv_bytes(data)).json()
    assert second["earlier_upload"] == first["id"]
    assert fab.post(f"{API}{second['id']}/commit/").json()["skipped_rows"] == 4
    assert Claim.objects.count() == 4 and ImportedClaim.objects.count() == 4


def test_competing_and_duplicate_rows_are_flagged_without_naming_the_other_partner(fab, fabrikam, northwind, ana):
    service = [{"product": "d365_customer_service", "subscription_id": "22222222-2222-4222-8222-222222222222"}]
    Builder(northwind, ana).submitted(claim_data(mpn_id="5678901", products=service))  # Northwind: Contoso / Customer Service
    own = Builder(fabrikam, ana).submitted(m365_data())  # our own live claim for Contoso / Teams
    # Row 2: Customer Service (subscription left for later), Northwind claims it; row 3: Teams, ours already.
    data = [good_row(0) | {"product_1": "d365_customer_service", "subscription_id_1": ""}, good_row(1)]
    batch = upload(fab, "c.csv", csv_bytes(data)).json()
    got = {r["row_number"]: r for r in fab.get(f"{API}{batch['id']}/rows/").json()["results"]}
    assert got[2]["competing"] is True and got[2]["duplicate_of_claim"] is None and got[2]["ok"]
    assert got[3]["duplicate_of_claim"] == own.pk and got[3]["competing"] is False
    raw = fab.get(f"{API}{batch['id']}/rows/").content.decode()
    assert "Northwind" not in raw and "5678901" not in raw


def test_the_rejected_rows_csv_has_an_errors_column_escapes_formulas_and_uploads_again(fab):
    data = [good_row(0), good_row(1) | {"customer_tenant_id": "nope"}, good_row(2) | {"name": "=cmd|' /C calc'!A0"}]
    batch = upload(fab, "r.csv", csv_bytes(data)).json()
    response = fab.get(f"{API}{batch['id']}/rejected.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in table] == ["Imported claim 1", "'=cmd|' /C calc'!A0"]
    assert (
        "customer_tenant_id: Enter the tenant ID as a GUID" in table[0]["errors"] and "[invalid_tenant_id]" in table[0]["errors"]
    )
    assert table[0]["customer_contact_phone"] == "'+1 425 555 0100"  # escaped, and undone on upload
    assert all(not v.startswith(("=", "+", "-", "@")) for r in table for v in r.values())
    table[0]["customer_tenant_id"] = "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d"
    fixed = io.StringIO()
    writer = csv.DictWriter(fixed, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerow(table[0])
    again = upload(fab, "fixed.csv", fixed.getvalue().encode()).json()
    assert (again["valid_rows"], again["invalid_rows"]) == (1, 0)
    assert ImportRow.objects.get(batch_id=again["id"]).data["customer_contact"]["phone"] == "+1 425 555 0100"


def test_a_large_file_runs_in_the_worker_with_progress_and_commits_there(fab, settings, django_capture_on_commit_callbacks):
    settings.CPOR_IMPORT_INLINE_BYTES = 0
    settings.CPOR_IMPORT_INLINE_COMMIT_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        created = upload(fab, "big.csv", csv_bytes(rows(30)[0]))
    assert created.json()["status"] == "validating" and created.json()["progress"] == 0
    status = fab.get(f"{API}{created.json()['id']}/").json()
    assert (status["status"], status["progress"], status["processed_rows"]) == ("preview", 100, 30)
    with django_capture_on_commit_callbacks(execute=True):
        committed = fab.post(f"{API}{created.json()['id']}/commit/")
    assert committed.json()["status"] == "importing"
    assert fab.get(f"{API}{created.json()['id']}/").json()["imported_rows"] == 30


def test_access(fab, fabrikam_viewer, northwind):
    batch = upload(fab, "a.csv", csv_bytes([good_row(0)])).json()
    nw = client_for(northwind)
    for method, path in [("get", ""), ("get", "rows/"), ("post", "commit/"), ("get", "rejected.csv")]:
        response = getattr(nw, method)(f"{API}{batch['id']}/{path}")
        assert response.status_code == 404 and codes(response) == ["import_not_found"], path
    assert nw.get(API).json() == {"count": 0, "next": None, "previous": None, "results": []}
    viewer = client_for(fabrikam_viewer)
    assert viewer.get(API).status_code == 403 and upload(viewer, "a.csv", b"x").status_code == 403
    assert APIClient().get(API).status_code == 401


def test_the_schema_has_the_import_endpoints(fab):
    paths = fab.get("/api/schema/?format=json").json()["paths"]
    for path in ["/api/v1/imports/", "/api/v1/imports/{id}/", "/api/v1/imports/{id}/rows/", "/api/v1/imports/{id}/commit/",
                 "/api/v1/imports/{id}/rejected.csv", "/api/v1/imports/template.csv", "/api/v1/imports/template.xlsx"]:  # fmt: skip
        assert path in paths, path


def _zip(files: dict[str, bytes]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"poe/{name}", content)
    return out.getvalue()


def test_poe_files_from_a_zip_are_checked_in_the_preview_and_attached_on_import(fab, fabrikam):
    from claims.demo import demo_pdf

    data = [
        good_row(0) | {"poe_files": "signed-poe.pdf"},
        good_row(1) | {"poe_files": "missing.pdf"},
        good_row(2) | {"poe_files": "notes.exe"},
        good_row(3),
    ]
    archive = _zip({"signed-poe.pdf": demo_pdf("import"), "notes.exe": b"MZ\x90\x00"})
    response = fab.post(
        API,
        {"file": SimpleUploadedFile("c.csv", csv_bytes(data)), "poe_zip": SimpleUploadedFile("poe.zip", archive)},
        format="multipart",
    )
    batch = response.json()
    assert (batch["valid_rows"], batch["invalid_rows"]) == (2, 2), response.content
    assert rejected(batch["id"]) == {3: [("poe_file_not_in_zip", "poe_files")], 4: [("evidence_type_not_allowed", "poe_files")]}
    assert fab.post(f"{API}{batch['id']}/commit/").json()["imported_rows"] == 2
    with_poe = Claim.objects.get(name="Imported claim 0")
    assert [e.original_name for e in with_poe.evidence.all()] == ["signed-poe.pdf"]
    assert not Claim.objects.get(name="Imported claim 3").evidence.exists()
    without_zip = upload(fab, "d.csv", csv_bytes([good_row(5) | {"poe_files": "signed-poe.pdf"}])).json()
    assert rejected(without_zip["id"]) == {2: [("poe_zip_missing", "poe_files")]}
    bad_zip = fab.post(
        API, {"file": SimpleUploadedFile("e.csv", csv_bytes([good_row(6)])), "poe_zip": SimpleUploadedFile("p.zip", b"PK\x03\x04 no")}, format="multipart"
    )  # fmt: skip
    assert bad_zip.status_code == 400 and codes(bad_zip) == ["poe_zip_unreadable"]


def test_every_code_has_a_message_and_an_http_status():
    from claims.errors import MESSAGES, STATUS
    from integrations.errors import INTEGRATION_MESSAGES

    assert set(INTEGRATION_MESSAGES) <= set(MESSAGES)
    assert all(isinstance(code, int) for code in STATUS.values())


PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("prefix", PREFIXES, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_every_cell_of_the_rejected_rows_csv_is_spreadsheet_safe_its_header_too(fabrikam, prefix):
    batch = ClaimImport.objects.create(
        company=fabrikam.company, created_by=fabrikam, original_name="r.csv", file_format="csv", sha256="0" * 64,
        created_at=timezone.now(), status="preview",
    )  # fmt: skip
    error = {"code": "required", "field": "name", "column": "name", "params": {}}
    ImportRow.objects.create(batch=batch, row_number=2, raw={f"{prefix}column": f"{prefix}value", "name": ""}, errors=[error])
    header, row = list(csv.reader(io.StringIO("".join(imports.rejected_csv(batch)).lstrip("\ufeff"))))
    assert sorted(header) == sorted([f"'{prefix}column", "name", "errors"])  # PostgreSQL's jsonb keeps no key order
    cells = dict(zip(header, row, strict=True))
    assert cells[f"'{prefix}column"] == f"'{prefix}value" and cells["errors"].startswith("name: ")


def test_a_formula_in_a_column_name_comes_back_escaped_and_the_file_uploads_again(fab):
    data = [good_row(0) | {"customer_tenant_id": "nope", "=cmd|' /C calc'!A0": "=1+1", "+x": "+1", "@x": "@SUM(A1)"}]
    columns = [*imports.template_columns(), "=cmd|' /C calc'!A0", "+x", "@x"]
    batch = upload(fab, "r.csv", csv_bytes(data, columns=columns)).json()
    text = b"".join(fab.get(f"{API}{batch['id']}/rejected.csv").streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert (cells["'=cmd|'_/c_calc'!a0"], cells["'+x"], cells["'@x"]) == ("'=1+1", "'+1", "'@SUM(A1)")
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in header + row)
    again = upload(fab, "fixed.csv", text.encode()).json()  # our escaping is undone on upload
    raw = ImportRow.objects.get(batch_id=again["id"]).raw
    assert (raw["=cmd|'_/c_calc'!a0"], raw["+x"], raw["@x"]) == ("=1+1", "+1", "@SUM(A1)")


def test_no_cell_of_the_xlsx_template_is_a_formula(fab):
    from claims.models import Product

    Product.objects.create(code="formula", name='=HYPERLINK("http://evil.example","Teams")', solution_area="microsoft_365")
    wb = load_workbook(io.BytesIO(fab.get(f"{API}template.xlsx").content))
    cells = [cell for sheet in wb.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    planted = [cell.value for cell in cells if isinstance(cell.value, str) and "evil.example" in cell.value]
    assert planted and all(value.startswith("'=HYPERLINK(") for value in planted)  # one per language


def _with_nul(n: int = 3) -> bytes:
    data = [good_row(i) for i in range(n)]
    data[1]["name"] = "Contoso\x00 Sales"  # row 3 of the sheet (the header is row 1)
    return csv_bytes(data)


def test_a_nul_character_in_a_csv_is_refused_naming_the_row(fab):
    response = upload(fab, "nul.csv", _with_nul())
    assert response.status_code == 400 and codes(response) == ["null_characters_not_allowed"], response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "file" and "Row 3" in error["message"]
    assert nothing_written()


def test_a_nul_character_in_a_large_csv_fails_the_import_in_the_worker_naming_the_row(
    fab, settings, django_capture_on_commit_callbacks
):
    settings.CPOR_IMPORT_INLINE_BYTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        created = upload(fab, "nul.csv", _with_nul())
    body = fab.get(f"{API}{created.json()['id']}/").json()
    assert (body["status"], body["error"]["code"]) == ("failed", "null_characters_not_allowed")
    assert "Row 3" in body["error"]["message"] and not ImportRow.objects.exists()


def test_a_cell_as_long_as_excel_allows_is_read(fab, settings):
    settings.CPOR_IMPORT_INLINE_BYTES = 10**7
    body = upload(fab, "long.csv", csv_bytes([good_row(0) | {"customer_contact_name": "x" * 32_767}])).json()
    assert body["status"] == "preview"
    assert len(ImportRow.objects.get(batch_id=body["id"]).raw["customer_contact_name"]) == 32_767


def test_a_workbook_is_refused_by_its_unpacked_size_before_openpyxl_parses_it(fab, settings, monkeypatch):
    import openpyxl

    def not_called(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", not_called)
    settings.CPOR_IMPORT_INLINE_BYTES = 10**7
    settings.CPOR_IMPORT_MAX_UNZIPPED_BYTES = 1024 * 1024
    response = upload(
        fab, "big.xlsx", xlsx_with_shared_string(1024 * 1024, char=b"\xc3\xa9")
    )  # é: poorly compressed? no, a ratio under the limit
    assert response.status_code == 400 and codes(response) == ["import_workbook_too_large"], response.content
    assert nothing_written()


def test_a_workbook_that_lies_about_its_sizes_is_refused_by_what_it_really_unpacks_to(fab, settings):
    import zipfile

    settings.CPOR_IMPORT_INLINE_BYTES = 10**7
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_with_shared_string(1024 * 1024))) as src:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item.filename, src.read(item))
            dst.getinfo("xl/sharedStrings.xml").file_size = 1000  # what its central directory says
    lying = zipfile.ZipFile(io.BytesIO(out.getvalue())).getinfo("xl/sharedStrings.xml")
    assert lying.file_size == 1000 and lying.compress_size < 1000 * 200  # within every declared limit
    response = upload(fab, "lying.xlsx", out.getvalue())
    assert response.status_code == 400 and codes(response) == ["import_unreadable"], response.content
    assert nothing_written()


def test_an_unexpected_error_in_the_worker_fails_the_import_with_a_code(
    fab, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import DatabaseError

    from integrations.imports import service

    def broken(*args, **kwargs):
        raise DatabaseError("value too long for type character varying(64)")

    monkeypatch.setattr(service, "_write_chunk", broken)
    settings.CPOR_IMPORT_INLINE_BYTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        created = upload(fab, "c.csv", csv_bytes([good_row(0)]))
    body = fab.get(f"{API}{created.json()['id']}/").json()
    assert (body["status"], body["error"]["code"]) == ("failed", "import_failed") and body["error"]["message"]
    assert not ImportRow.objects.exists()


def test_an_unexpected_error_while_importing_fails_the_import_and_keeps_the_drafts_made(fab, monkeypatch):
    from claims import services as claim_services

    created = upload(fab, "c.csv", csv_bytes([good_row(0), good_row(1), good_row(2)])).json()
    real = claim_services.claim_create

    def fails_on_the_third(*, actor, data):
        if data["name"] == "Imported claim 2":
            raise RuntimeError("the directory went away")
        return real(actor=actor, data=data)

    monkeypatch.setattr(claim_services, "claim_create", fails_on_the_third)
    body = fab.post(f"{API}{created['id']}/commit/").json()
    assert (body["status"], body["error"]["code"], body["imported_rows"]) == ("failed", "import_failed", 2)
    assert Claim.objects.count() == 2


def test_a_row_numbered_past_excels_last_row_is_refused(fab, settings):
    import zipfile

    settings.CPOR_IMPORT_INLINE_BYTES = 10**7
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_with_shared_string(10))) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("sheet1.xml"):  # row 2 says it is row 2,000,000,000
                data = data.replace(b'<row r="2"><c r="A2"', b'<row r="2000000000"><c r="A2000000000"')
            dst.writestr(item.filename, data)
    response = upload(fab, "far.xlsx", out.getvalue())
    assert response.status_code == 400 and codes(response) == ["import_unreadable"], response.content


def test_a_csv_starting_with_an_escaped_cell_reads_as_a_spreadsheet_wrote_it(fab):
    # Our rejected-rows CSV on PostgreSQL (jsonb orders keys) can start with an escaped column;
    # the apostrophe is no quote character, and "" inside a quoted cell is one quote.
    columns = ["+x", *imports.template_columns()]
    content = csv_bytes([good_row(0) | {"+x": "'+1", "name": 'Contoso "Sales"'}], columns=columns).decode()
    content = "'" + content  # the header's '+x
    created = upload(fab, "escaped.csv", content.encode()).json()
    assert (created["status"], created["valid_rows"]) == ("preview", 1), created
    raw = ImportRow.objects.get(batch_id=created["id"]).raw
    assert (raw["+x"], raw["name"]) == ("+1", 'Contoso "Sales"')


def test_the_list_is_one_page_like_every_other_list(fab):
    ids = [upload(fab, f"{i}.csv", csv_bytes([good_row(i)])).json()["id"] for i in range(3)]
    first = fab.get(API, {"page_size": 2}).json()
    assert (first["count"], first["previous"]) == (3, None) and first["next"] is not None
    assert [b["id"] for b in first["results"]] == ids[::-1][:2]  # newest first
    second = fab.get(API, {"page_size": 2, "page": 2}).json()
    assert [b["id"] for b in second["results"]] == ids[:1] and second["next"] is None
    assert codes(fab.get(API, {"page_size": 0})) == ["invalid_page_size"]
    assert codes(fab.get(API, {"page": 3})) == ["page_not_found"]


def test_the_schema_says_the_list_is_a_page(fab):
    operation = fab.get("/api/schema/?format=json").json()["paths"]["/api/v1/imports/"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PaginatedImportList"}
    assert {"page", "page_size"} <= {p.get("name") for p in operation["parameters"]}


def test_the_list_has_a_constant_query_count_and_names_earlier_uploads(fab, django_assert_num_queries):
    same = csv_bytes([good_row(0)])
    first = upload(fab, "a.csv", same).json()["id"]
    with CaptureQueriesContext(connection) as few:
        fab.get(API)
    baseline = len(few)  # read now: each later request clears the connection's query log
    for i in range(8):
        upload(fab, f"{i}.csv", same if i % 2 else csv_bytes([good_row(i + 1)]))
    with django_assert_num_queries(baseline):
        listed = fab.get(API).json()
    assert listed["count"] == 9
    earlier = {b["original_name"]: b["earlier_upload"] for b in listed["results"]}
    assert earlier["1.csv"] == first and earlier["0.csv"] is None
    assert earlier["7.csv"] == next(b["id"] for b in listed["results"] if b["original_name"] == "5.csv")
