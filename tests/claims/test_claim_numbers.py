"""Messages and reviewers cite a claim as "#16": the partner sees that number on its list and
on the claim's page, and finds the claim by "#16" or "16" in the one search (the dashboard's
and the API's), never another company's claim."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.selectors import claims_for_company
from tests.conftest import Builder, m365_data

API = "/api/v1"


@pytest.fixture
def partner(client, fabrikam):
    client.force_login(fabrikam)
    return client


def test_the_dashboard_shows_each_claims_number(partner, build):
    claim = build.submitted()
    html = partner.get("/claims/").content.decode()
    assert f">#{claim.pk} Contoso Sales adoption</a>" in html


def test_the_claim_page_shows_its_number_in_the_title(partner, build):
    claim = build.submitted()
    html = partner.get(f"/claims/{claim.pk}/").content.decode()
    heading = html[html.index("<h1>") : html.index("</h1>")]
    assert f"#{claim.pk} Contoso Sales adoption" in heading
    assert f"<title>#{claim.pk} Contoso Sales adoption" in html


@pytest.mark.parametrize("form", ["#{}", " #{} "])
def test_search_finds_a_claim_by_its_number_with_the_hash(partner, build, form):
    build.submitted()
    teams = build.editing(m365_data(name="Teams"))
    q = form.format(teams.pk)
    assert [c.name for c in claims_for_company(build.partner.company_id, q=q)] == ["Teams"]
    html = partner.get("/claims/", {"q": q}).content.decode()
    assert f">#{teams.pk} Teams</a>" in html and "Contoso Sales adoption" not in html


def test_search_finds_a_claim_by_its_bare_number(build):
    first = build.submitted()
    teams = build.editing(m365_data(name="Teams"))
    assert "Teams" in [c.name for c in claims_for_company(build.partner.company_id, q=str(teams.pk))]
    assert "Contoso Sales adoption" in [c.name for c in claims_for_company(build.partner.company_id, q=str(first.pk))]


def test_a_number_never_finds_another_companys_claim(partner, build, northwind, ana):
    build.submitted()
    theirs = Builder(northwind, ana).editing(m365_data(name="Northwind secret", mpn_id="5678901"))
    assert list(claims_for_company(build.partner.company_id, q=f"#{theirs.pk}")) == []
    assert "Northwind secret" not in partner.get("/claims/", {"q": f"#{theirs.pk}"}).content.decode()


def test_the_api_search_finds_a_claim_by_its_number(build, northwind, ana):
    from tests.api.test_api import client_for

    build.submitted()
    teams = build.editing(m365_data(name="Teams"))
    theirs = Builder(northwind, ana).editing(m365_data(name="Northwind secret", mpn_id="5678901"))
    fab = client_for(build.partner)
    assert [c["name"] for c in fab.get(f"{API}/claims/", {"search": f"#{teams.pk}"}).json()["results"]] == ["Teams"]
    assert fab.get(f"{API}/claims/", {"search": f"#{theirs.pk}"}).json()["count"] == 0


def test_a_number_search_keeps_the_query_count_flat(partner, build, django_assert_num_queries):
    target = build.editing(m365_data(name="x0"), poe=False)
    with CaptureQueriesContext(connection) as few:
        partner.get("/claims/", {"q": f"#{target.pk}"})
    for i in range(15):
        build.editing(m365_data(name=f"x{i + 1}", products=[{"product": "teams"}, {"product": "intune"}]), poe=False)
    with django_assert_num_queries(len(few)):
        assert f">#{target.pk} x0</a>" in partner.get("/claims/", {"q": f"#{target.pk}"}).content.decode()


def test_a_number_too_long_for_an_id_is_searched_as_text(partner, build):
    build.submitted()
    assert partner.get("/claims/", {"q": "#99999999999999999999999"}).status_code == 200
    assert list(claims_for_company(build.partner.company_id, q="99999999999999999999999")) == []


@pytest.mark.parametrize("q", ["#²", "²", "١٦"])
def test_a_digit_that_is_no_ascii_number_is_searched_as_text_not_an_error(client, build, ana, q):
    build.submitted()
    client.force_login(ana)
    assert client.get("/review/", {"q": q}).status_code == 200
    client.force_login(build.partner)
    assert client.get("/claims/", {"q": q}).status_code == 200
