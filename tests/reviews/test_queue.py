"""The reviewer's queue: search, sort, the 'waiting on the partner' filter, bulk assign,
and the reviewer emailed when the partner answers or comments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims import demo, services
from claims.models import Claim
from reviews.selectors import queue_counts, review_queue
from tests.conftest import Builder, another_customer, m365_data


@pytest.fixture
def claims(build, northwind, ana):
    fab = build.submitted(m365_data(name="Fabrikam Teams"))
    nw = Builder(northwind, ana).submitted(m365_data(name="Northwind Intune", mpn_id="5678901", products=[{"product": "intune"}]))
    lit = build.submitted(m365_data(name="Litware Teams", customer_tenant_id=demo.LITWARE, customer_domain="litware"))
    par = build.par(m365_data(name="Waiting one", products=[{"product": "onedrive"}]))
    return fab, nw, lit, par


@pytest.mark.parametrize(
    "q, names",
    [
        ("northwind", ["Northwind Intune"]),  # partner
        ("litware", ["Litware Teams"]),  # customer
        ("2f9e8d7c", ["Litware Teams"]),  # tenant ID prefix
        (demo.LITWARE, ["Litware Teams"]),  # whole tenant ID
        ("contoso", ["Fabrikam Teams", "Northwind Intune"]),
    ],
)
def test_search_by_partner_customer_and_tenant(claims, ana, q, names):
    assert sorted(c.name for c in review_queue(me=ana, q=q)) == sorted(names)


def test_search_by_claim_number(claims, ana):
    fab = claims[0]
    assert [c.pk for c in review_queue(me=ana, q=f"#{fab.pk}")] == [fab.pk]
    assert fab.pk in [c.pk for c in review_queue(me=ana, q=str(fab.pk))]


def test_sort_by_partner_both_ways(claims, ana):
    up = [c.company.name for c in review_queue(me=ana, sort="partner")]
    assert up == sorted(up) and review_queue(me=ana, sort="-partner")[0].company.name == "Northwind Solutions"


def test_partner_action_required_claims_wait_under_their_own_filter(claims, ana):
    par = claims[3]
    assert par.pk not in [c.pk for c in review_queue(me=ana)]
    assert [c.pk for c in review_queue(me=ana, show="waiting")] == [par.pk]
    counts = queue_counts(me=ana)
    assert counts["waiting"] == 1 and counts["all"] == 3


def test_the_waiting_filter_shows_the_answer_deadline(client, claims, ana):
    client.force_login(ana)
    html = client.get("/review/?show=waiting").content.decode()
    assert "Waiting one" in html and "answer by" in html and "Fabrikam Teams" not in html


def test_bulk_assign_assigns_the_selected_claims_and_names_the_refused(client, claims, ana, ben, build):
    fab, nw, lit, par = claims
    decided = build.approved(m365_data(name="Decided", products=[{"product": "exchange_online"}]))
    client.force_login(ana)
    response = client.post(
        "/review/assign/", {"claims": [fab.pk, nw.pk, decided.pk], "assignee": ben.pk, "next": "/review/?show=unassigned"}
    )
    assert response.status_code == 302 and response["Location"] == "/review/?show=unassigned"
    fab.refresh_from_db()
    nw.refresh_from_db()
    assert fab.assigned_reviewer == ben and nw.assigned_reviewer == ben
    page = client.get("/review/").content.decode()
    assert f"Assigned to reviewer-ben: #{fab.pk}, #{nw.pk}." in page
    assert f"Not assigned (no longer waiting for a reviewer): #{decided.pk}." in page
    assert fab.events.filter(action="assigned").count() == 1


def test_bulk_assign_with_nothing_selected_says_so_and_assigns_nothing(client, claims, ana, ben):
    client.force_login(ana)
    response = client.post("/review/assign/", {"assignee": ben.pk, "next": "/review/?show=unassigned"}, follow=True)
    assert response.redirect_chain == [("/review/?show=unassigned", 302)]
    html = response.content.decode()
    assert "No claim was selected. Tick the claims to assign, then choose Assign selected again." in html
    assert "Choose a reviewer." not in html
    assert not Claim.objects.filter(assigned_reviewer=ben).exists()


def test_bulk_assign_without_a_reviewer_asks_for_one_and_assigns_nothing(client, claims, ana):
    fab = claims[0]
    client.force_login(ana)
    html = client.post("/review/assign/", {"claims": [fab.pk], "next": "/review/"}, follow=True).content.decode()
    assert "Choose a reviewer." in html and "No claim was selected" not in html
    fab.refresh_from_db()
    assert fab.assigned_reviewer_id is None


def test_the_queue_header_has_a_select_all_box_that_its_script_shows(client, claims, ana):
    client.force_login(ana)
    html = client.get("/review/").content.decode()
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    # Without JavaScript the box would do nothing, so it starts hidden; the script shows it.
    assert 'type="checkbox"' in head and "data-select-all" in head and " hidden" in head
    assert 'aria-label="Select every claim on this page"' in head
    assert '<script src="/static/js/select-all.js" defer></script>' in html
    assert "<script>" not in html


def test_bulk_assign_through_the_api(claims, ana, fabrikam):
    fab, nw, lit, par = claims
    api = APIClient()
    api.force_authenticate(ana)
    body = api.post("/api/v1/review/assign/", {"claims": [fab.pk, 999999], "assignee": "reviewer-ben"}, format="json").json()
    assert body == {"assigned": [fab.pk], "refused": [{"id": 999999, "code": "not_found"}]}
    partner = APIClient()
    partner.force_authenticate(fabrikam)
    assert (
        partner.post("/api/v1/review/assign/", {"claims": [fab.pk], "assignee": "reviewer-ben"}, format="json").status_code == 403
    )


def test_the_api_queue_searches_sorts_and_filters_waiting(claims, ana):
    api = APIClient()
    api.force_authenticate(ana)
    assert [c["name"] for c in api.get("/api/v1/review/queue/", {"search": "northwind"}).json()["results"]] == [
        "Northwind Intune"
    ]
    assert [c["name"] for c in api.get("/api/v1/review/queue/", {"show": "waiting"}).json()["results"]] == ["Waiting one"]
    names = [c["name"] for c in api.get("/api/v1/review/queue/", {"ordering": "-claim"}).json()["results"]]
    assert names == ["Litware Teams", "Northwind Intune", "Fabrikam Teams"]


def test_searched_and_sorted_queue_query_count_is_flat(client, build, ana, django_assert_max_num_queries):
    client.force_login(ana)
    build.submitted(m365_data(name="first"))
    url = "/review/?q=contoso&sort=-partner&show=unassigned"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(12):
        build.submitted(m365_data(name=f"branch {i}", **another_customer(i)))
    with django_assert_max_num_queries(len(few)):
        html = client.get("/review/?q=customer&sort=-partner&show=unassigned").content.decode()
    assert html.count('name="claims"') == 12


def test_the_assigned_reviewer_is_emailed_when_the_partner_answers_or_comments(
    build, fabrikam, ana, mailoutbox, django_capture_on_commit_callbacks
):
    claim = build.par()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(claim=claim, actor=fabrikam, body="Uploading the signed copy today.")
        services.claim_respond(claim=claim, actor=fabrikam, message="Signed PoE uploaded.")
    to_ana = [m for m in mailoutbox if m.to == ["ana@reviews.cpor.example"]]
    assert [m.subject.split(": ", 1)[1] for m in to_ana] == ["the partner commented", "the partner answered your request"]
    assert "Uploading the signed copy today." in to_ana[0].body and f"/review/claims/{claim.pk}/" in to_ana[1].body
