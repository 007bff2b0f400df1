"""Words of issue 23, point 4 ("Layout") that need no browser: an overdue claim never reads
"due in 5 business days"; month and day names in lower case mid-sentence in Portuguese and
Italian; import row counts that agree with "rows" in number and gender."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from claims import deadlines
from claims.templatetags.claims_tags import day, deadline_words, when
from tests.api.test_api import client_for
from tests.integrations.files import csv_bytes, good_row

MON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FIVE_BUSINESS_DAYS_LATER = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_a_claim_picked_up_late_reads_overdue_since_not_due_in_five_business_days(build):
    with time_machine.travel(MON, tick=False):
        claim = build.submitted()
    with time_machine.travel(FIVE_BUSINESS_DAYS_LATER, tick=False):
        deadlines.run_sweep()
        claim.refresh_from_db()
        assert claim.is_overdue and claim.state == "under_review" and claim.deadline_kind == "review_decision"
        words = deadline_words(claim)
    assert "due in" not in words
    assert words.startswith("review overdue since ") and "Dec" in words


@pytest.mark.parametrize(
    "lang, date_text, moment_text",
    [
        # Needs the catalogue merged from /work/i18n/a11y.json (Django's own names are capitalised).
        ("pt-br", "7 de dezembro de 2026", "seg, 7 de dezembro de 2026"),
        ("it", "7 dicembre 2026", "lun 7 dicembre 2026"),
    ],
)
def test_month_and_day_names_are_lower_case_mid_sentence(lang, date_text, moment_text):
    with translation.override(lang):
        assert day(date(2026, 12, 7)) == date_text
        assert when(datetime(2026, 12, 7, 15, 0, tzinfo=UTC)).startswith(moment_text)


def test_import_row_counts_are_words_that_agree_with_rows_not_a_label_beside_a_number(client, fabrikam):
    api = client_for(fabrikam)
    bad = good_row(1) | {"customer_tenant_id": "not-a-guid"}
    content = csv_bytes([good_row(0), bad, good_row(2) | {"customer_tenant_id": "nope"}])
    batch = api.post("/api/v1/imports/", {"file": SimpleUploadedFile("c.csv", content)}, format="multipart").json()
    assert (batch["valid_rows"], batch["invalid_rows"]) == (1, 2), batch
    client.force_login(fabrikam)
    html = client.get(f"/integrations/imports/{batch['id']}/").content.decode()
    tabs = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('<nav class="tabs"', 1)[1].split("</nav>", 1)[0]))
    assert "2 rejected" in tabs and "1 valid" in tabs, tabs
