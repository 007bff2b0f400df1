"""The import pages: upload, preview with per-column errors, import, rejected rows, access."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from claims.choices import ACTIVITIES_BY_AREA, Activity, SolutionArea
from claims.models import Claim, Product
from integrations.models import ClaimImport

from .files import csv_bytes, good_row, rows
from .test_webhook_pages import signed_in


def test_upload_preview_import_and_download_rejected(fabrikam):
    client = signed_in(fabrikam)
    page = client.get("/integrations/imports/").content.decode()
    assert "Download the Excel template" in page and "customer_tenant_id" in page and "d365_sales" in page
    assert client.get("/integrations/imports/template.xlsx").status_code == 200
    data = [good_row(0), good_row(1) | {"customer_domain": "litware.com"}]
    response = client.post("/integrations/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes(data))})
    batch = ClaimImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/integrations/imports/{batch.pk}/"
    preview = client.get(response["Location"]).content.decode()
    assert "2 rows: 1 valid, 1 rejected." in preview and "customer_domain" in preview and "domain_tenant_mismatch" in preview
    client.post(f"/integrations/imports/{batch.pk}/commit/")
    assert Claim.objects.filter(company=fabrikam.company, state="editing").count() == 1
    done = client.get(f"/integrations/imports/{batch.pk}/?rows=all").content.decode()
    assert "1 drafts created" in done and "Imported" in done
    csv_text = b"".join(client.get(f"/integrations/imports/{batch.pk}/rejected.csv").streaming_content).decode("utf-8-sig")
    assert csv_text.splitlines()[0].endswith(",errors") and "litware.com" in csv_text


def test_a_refused_file_says_why_next_to_the_field(fabrikam):
    page = signed_in(fabrikam).post("/integrations/imports/", {"file": SimpleUploadedFile("c.pdf", b"%PDF-1.4")})
    assert page.status_code == 200 and "Upload a CSV file (.csv) or an Excel workbook (.xlsx)." in page.content.decode()
    assert not ClaimImport.objects.exists()


def test_progress_while_the_worker_validates(fabrikam, settings):
    settings.CPOR_IMPORT_INLINE_BYTES = 0
    client = signed_in(fabrikam)
    client.post("/integrations/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes(rows(3)[0]))})
    batch = ClaimImport.objects.get()
    page = client.get(f"/integrations/imports/{batch.pk}/").content.decode()
    assert "<progress" in page and "import-progress.js" in page  # the task runs after commit, not in this test transaction
    assert client.get(f"/integrations/imports/{batch.pk}/status/").json() == {
        "status": "validating",
        "progress": 0,
        "processed_rows": 0,
    }
    assert batch.original_name in client.get("/integrations/imports/").content.decode()  # resumable from the list


@pytest.mark.parametrize("path", ["", "status/", "rejected.csv"])
def test_another_companys_import_is_not_found(fabrikam, northwind, path):
    signed_in(fabrikam).post("/integrations/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes([good_row(0)]))})
    batch = ClaimImport.objects.get()
    assert signed_in(northwind).get(f"/integrations/imports/{batch.pk}/{path}").status_code == 404
    assert signed_in(northwind).post(f"/integrations/imports/{batch.pk}/commit/").status_code == 404


def test_users_without_a_claims_role_cannot_import(fabrikam_viewer):
    assert signed_in(fabrikam_viewer).get("/integrations/imports/").status_code == 403


def test_the_preview_and_the_list_have_constant_query_counts(fabrikam, django_assert_max_num_queries, settings):
    settings.CPOR_IMPORT_INLINE_BYTES = 10**7
    client = signed_in(fabrikam)
    data, _expected = rows(120, bad_every=3)
    for _i in range(3):
        client.post("/integrations/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes(data))})
    batch = ClaimImport.objects.order_by("pk").first()
    with django_assert_max_num_queries(10):
        page = client.get(f"/integrations/imports/{batch.pk}/?rows=all")
    assert page.content.decode().count('id="row-') == 50
    with django_assert_max_num_queries(8):
        listing = client.get("/integrations/imports/")
    assert listing.content.decode().count("c.csv") == 3


def test_a_nul_character_in_the_file_is_refused_next_to_the_field_naming_the_row(fabrikam):
    data = [good_row(0), good_row(1) | {"customer_contact_name": "Megan\x00Bowen"}]
    page = signed_in(fabrikam).post("/integrations/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes(data))})
    assert page.status_code == 200
    assert "Row 3 of this file contains a null character" in page.content.decode()
    assert not ClaimImport.objects.exists()


@pytest.mark.parametrize("downloader", ["pt-br", "en"])
def test_the_templates_codes_sheet_names_each_code_in_each_columns_language(fabrikam, settings, downloader):
    fabrikam.language = downloader
    fabrikam.save(update_fields=["language"])
    response = signed_in(fabrikam).get("/integrations/imports/template.xlsx")
    assert response.status_code == 200
    header, *codes = load_workbook(io.BytesIO(response.content))["codes"].values
    languages = [code for code, _name in settings.LANGUAGES]
    assert header == ("column", "code", *languages)

    def names(language: str) -> list[tuple[str, str, str]]:
        with translation.override(language):
            found = [("solution_area", area.value, str(area.label)) for area in SolutionArea]
            found += [
                ("activity", act, f"{SolutionArea(area).label}: {Activity(act).label}")
                for area, acts in ACTIVITIES_BY_AREA.items()
                for act in acts
            ]
            for p in Product.objects.order_by("solution_area", "code"):
                note = gettext("needs a subscription ID") if p.is_dynamics else gettext("no subscription ID")
                found.append(("product", p.code, f"{p.name} ({SolutionArea(p.solution_area).label}; {note})"))
            return found

    expected = {lang: names(lang) for lang in languages}
    assert [row[:2] for row in codes] == [row[:2] for row in expected["en"]]
    for i, (_column, code, *cells) in enumerate(codes):
        assert dict(zip(languages, cells, strict=True)) == {lang: expected[lang][i][2] for lang in languages}, code
    activities = [row for row in codes if row[0] == "activity"]
    presales = next(row for row in activities if row[1] == "presales")
    assert len(set(presales[2:])) == len(languages)  # five languages, five different names
