"""Spreadsheets for the import tests and bench/import_bench.py: good rows, and bad rows
whose expected (code, column) is known."""

from __future__ import annotations

import csv
import io

from integrations.imports import template_columns

CONTOSO = "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d"
SALES = "11111111-1111-4111-8111-111111111111"


def good_row(i: int) -> dict:
    row = {
        "name": f"Imported claim {i}",
        "customer_tenant_id": CONTOSO,
        "customer_domain": "contoso.com",
        "solution_area": "business_applications",
        "activity": "usage",
        "mpn_id": "4567890",
        "product_1": "d365_sales",
        "subscription_id_1": SALES,
        "customer_contact_name": "Megan Bowen",
        "customer_contact_email": "megan.bowen@contoso.com",
        "customer_contact_phone": "+1 425 555 0100",
        "partner_contact_name": "Alex Wilber",
        "partner_contact_email": "alex.wilber@fabrikam.example",
    }
    if i % 2:
        row.update({"solution_area": "microsoft_365", "product_1": "teams", "subscription_id_1": ""})
    return row


# Each bad row: what to change, and the (code, column) the preview must report.
BAD = [
    ({"customer_tenant_id": "not-a-guid"}, ("invalid_tenant_id", "customer_tenant_id")),
    ({"customer_domain": "litware.com"}, ("domain_tenant_mismatch", "customer_domain")),
    ({"subscription_id_1": "33333333-3333-4333-8333-333333333333", "solution_area": "business_applications", "product_1": "d365_sales"}, ("subscription_is_csp", "subscription_id_1")),
    ({"product_1": "no_such_product"}, ("unknown_product", "product_1")),
    ({"customer_contact_email": "megan at contoso"}, ("invalid_email", "customer_contact_email")),
    ({"mpn_id": "5678901"}, ("mpn_not_in_company", "mpn_id")),
    ({"name": ""}, ("required", "name")),
    ({"activity": "presales", "solution_area": "microsoft_365", "product_1": "teams", "subscription_id_1": ""}, ("activity_not_in_solution_area", "activity")),
]  # fmt: skip


def rows(n: int, *, bad_every: int = 0) -> tuple[list[dict], dict[int, tuple[str, str]]]:
    """n rows; every bad_every-th is bad. Returns the rows and {sheet row number: (code, column)}."""
    out, expected = [], {}
    for i in range(n):
        row = good_row(i)
        if bad_every and i % bad_every == bad_every - 1:
            change, outcome = BAD[(i // bad_every) % len(BAD)]
            row.update(change)
            row["partner_contact_phone"] = f"+1 425 555 {i:04d}"  # keeps nameless rows distinct
            expected[i + 2] = outcome  # the header is row 1
        out.append(row)
    return out, expected


def csv_bytes(data: list[dict], *, encoding: str = "utf-8", columns: list[str] | None = None, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns or template_columns(), delimiter=delimiter, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(data)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(data: list[dict], *, formulas: dict[tuple[int, str], str] | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("claims")
    columns = template_columns()
    sheet.append(columns)
    for i, row in enumerate(data):
        values = [row.get(c, "") for c in columns]
        for (index, column), formula in (formulas or {}).items():
            if index == i:
                values[columns.index(column)] = formula
        sheet.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_with_shared_string(text_bytes: int, *, char: bytes = b"A") -> bytes:
    """A valid workbook (the template's header, one row) whose row's name is one shared
    string of `text_bytes` characters: a few hundred KB that unpack to `text_bytes`. Written
    a chunk at a time, so the test itself never holds the unpacked text."""
    import zipfile

    columns = template_columns()
    header = "".join(f'<c r="{_column(i)}1" t="inlineStr"><is><t>{name}</t></is></c>' for i, name in enumerate(columns))
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="claims" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1">{header}</row><row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>',
    }  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
            )
            chunk = char * (1024 * 1024)
            for _ in range(text_bytes // len(chunk)):
                member.write(chunk)
            member.write(char * (text_bytes % len(chunk)))
            member.write(b"</t></si></sst>")
    return out.getvalue()


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
