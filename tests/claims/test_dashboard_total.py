"""The dashboard's total (claims.selectors.claims_total): a small company's is counted on
every page; a large company's (LARGE_TOTAL claims and up) is kept for TOTAL_SECONDS per
status filter and search, while its rows are always current."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.core.cache import cache

from claims import selectors
from tests.conftest import another_customer, m365_data


@pytest.fixture
def partner(client, fabrikam):
    cache.clear()
    client.force_login(fabrikam)
    return client


def _total(html: str) -> str:
    return html.split('<p class="muted">', 1)[1].split("</p>", 1)[0]


def test_a_small_companys_total_is_counted_on_every_page(partner, build):
    build.submitted()
    assert _total(partner.get("/claims/").content.decode()) == "1 claim"
    build.submitted(m365_data(**another_customer(1)))
    assert _total(partner.get("/claims/").content.decode()) == "2 claims"


def test_a_large_companys_total_is_kept_briefly_and_its_rows_stay_current(partner, build, monkeypatch):
    monkeypatch.setattr(selectors, "LARGE_TOTAL", 2)
    build.submitted()
    build.submitted(m365_data(**another_customer(1)))
    assert _total(partner.get("/claims/").content.decode()) == "2 claims"
    newest = build.editing(m365_data(name="Filed just now", **another_customer(2)))
    html = partner.get("/claims/").content.decode()
    assert _total(html) == "2 claims"  # the kept total
    assert f">#{newest.pk} Filed just now</a>" in html  # the rows: current
    # Each filter and search keeps its own total.
    assert _total(partner.get("/claims/?status=editing").content.decode()) == "1 claim"
    with time_machine.travel(time.time() + selectors.TOTAL_SECONDS + 1, tick=False):
        assert _total(partner.get("/claims/").content.decode()) == "3 claims"
