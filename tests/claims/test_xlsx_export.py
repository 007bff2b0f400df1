"""The dashboard's XLSX export: the CSV export's columns and rows (same filter, search, sort
and access), for spreadsheets whose list separator is not a comma (Portuguese, Spanish,
Italian Excel), every cell spreadsheet-safe, written with bounded memory."""

import csv
import io
import tracemalloc

import pytest
from openpyxl import load_workbook

from claims.models import CustomerTenant
from tests.claims.test_export_memory import FLAT, clone_to
from tests.conftest import Builder, claim_data, m365_data

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def partner(client, fabrikam):
    client.force_login(fabrikam)
    return client


def csv_rows(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/claims/export.csv{query}")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def xlsx_sheet(client, query: str = ""):
    response = client.get(f"/claims/export.xlsx{query}")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="cpor-claims-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]


def as_text(sheet) -> list[list[str]]:
    """The sheet's cells as the CSV writes them (numbers as digits, empty cells empty)."""
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_the_xlsx_has_the_csv_header_and_rows_for_a_filtered_search(partner, build, northwind, ana):
    build.submitted()
    build.editing(m365_data(name='Teams, "quoted"; draft'))
    build.editing(m365_data(name="Intune draft", products=[{"product": "intune"}]))
    build.editing(m365_data(name="Elsewhere draft", customer_tenant_id="", customer_domain=""), poe=False)
    Builder(northwind, ana).editing(m365_data(name="Northwind draft", mpn_id="5678901"))
    query = "?status=editing&q=contoso&sort=name"
    want = csv_rows(partner, query)
    sheet = xlsx_sheet(partner, query)
    assert as_text(sheet) == want
    assert [r[1] for r in want[1:]] == ["Intune draft", 'Teams, "quoted"; draft']  # the filter applied
    assert isinstance(sheet["A2"].value, int)  # the claim number stays a number


def test_the_xlsx_never_holds_another_companys_claims(partner, build, northwind, ana):
    build.submitted()
    theirs = Builder(northwind, ana).submitted(m365_data(name="Northwind secret", mpn_id="5678901"))
    cells = [v for row in xlsx_sheet(partner).iter_rows(values_only=True) for v in row]
    assert "Contoso Sales adoption" in cells
    assert "Northwind secret" not in cells and theirs.pk not in [c for c in cells if isinstance(c, int)]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"])
def test_the_xlsx_escapes_formula_cells(partner, build, name):
    build.editing(claim_data(name=name))
    sheet = xlsx_sheet(partner)
    assert sheet["B2"].value == "'" + name and sheet["B2"].data_type == "s"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_every_cell_of_the_xlsx_is_escaped_its_header_too(partner, build, monkeypatch):
    import claims.views

    monkeypatch.setattr(claims.views, "_", lambda text: "=" + text)
    build.editing(claim_data())
    CustomerTenant.objects.filter(subdomain="contoso").update(name="=Contoso")
    sheet = xlsx_sheet(partner)
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["'=ID", "'=Claim name"] and all(h.startswith("'=") for h in header)
    assert sheet["D2"].value == "'=Contoso"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_the_xlsx_export_keeps_the_access_rules(client, fabrikam_viewer, ana, db):
    assert client.get("/claims/export.xlsx").status_code == 302  # signed out: to sign-in
    client.force_login(fabrikam_viewer)
    assert client.get("/claims/export.xlsx").status_code == 403
    client.force_login(ana)
    assert client.get("/claims/export.xlsx").status_code == 403


def test_the_dashboard_links_the_xlsx_beside_the_csv_with_the_same_filters(partner, build):
    build.submitted()
    html = partner.get("/claims/", {"status": "submitted", "q": "contoso"}).content.decode()
    assert 'href="/claims/export.csv?status=submitted&amp;q=contoso&amp;sort=-created"' in html
    assert 'href="/claims/export.xlsx?status=submitted&amp;q=contoso&amp;sort=-created"' in html
    assert html.index("/claims/export.csv") < html.index("/claims/export.xlsx")


def peak_while_writing(client) -> int:
    tracemalloc.start()
    try:
        response = client.get("/claims/export.xlsx")
        for _part in response.streaming_content:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_xlsx_export_holds_about_the_same_memory_for_200_and_2000_claims(partner, build):
    sources = [build.submitted(), build.editing(m365_data(name="Teams draft"), poe=False)]
    clone_to(sources, 200)
    small = peak_while_writing(partner)
    clone_to(sources, 2000)
    large = peak_while_writing(partner)
    assert large - small < 2 * FLAT, (small, large)


def test_the_xlsx_speaks_the_readers_language(partner, build, fabrikam):
    build.submitted()
    fabrikam.language = "pt-br"
    fabrikam.save(update_fields=["language"])
    partner.force_login(fabrikam)
    sheet = xlsx_sheet(partner)
    assert sheet.title == "Declarações" and as_text(sheet) == csv_rows(partner)
    assert sheet["C2"].value == "Enviado"
