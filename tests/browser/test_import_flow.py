"""A partner imports claims from a spreadsheet in the browser: upload, preview, import,
rejected rows download."""

import csv
import io

import pytest

from claims import demo
from claims.models import Claim
from tests.browser.test_partner_sign_in import sign_in
from tests.integrations.files import csv_bytes, good_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_preview_import_then_download_the_rejected_rows(live_server, page, tmp_path):
    demo.seed_directory()
    rows = [good_row(0), good_row(1) | {"customer_tenant_id": "not-a-guid"}, good_row(2)]
    sign_in(page, live_server.url, "fabrikam-global")
    page.get_by_role("link", name="Import claims").click()
    page.get_by_role("heading", name="Import claims from a spreadsheet").wait_for()
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "claims.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}]
    )
    page.get_by_role("button", name="Upload and check").click()

    page.get_by_text("3 rows: 2 valid, 1 rejected.").wait_for()
    bad = page.locator("#row-3")
    assert "customer_tenant_id" in bad.inner_text() and "Enter the tenant ID as a GUID" in bad.inner_text()
    assert Claim.objects.count() == 0  # the preview writes nothing

    page.get_by_role("button", name="Import 2 valid rows as drafts").click()
    page.get_by_text("2 drafts created").wait_for()
    assert Claim.objects.filter(state="editing").count() == 2

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows (CSV)").click()
    path = tmp_path / "rejected.csv"
    download.value.save_as(path)
    table = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r["name"] for r in table] == ["Imported claim 1"] and "invalid_tenant_id" in table[0]["errors"]
