"""Pages: role landing, company isolation (404), constant query counts."""

import pytest
from django.urls import reverse

from tests.conftest import another_customer, m365_data


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get("/claims/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_home_lands_each_role_on_its_page(as_user, fabrikam, ana):
    assert as_user(fabrikam).get("/").url == reverse("claims:list")
    assert as_user(ana).get("/").url == reverse("reviews:queue")


def test_a_user_without_a_claims_role_gets_a_clear_page(as_user, fabrikam_viewer):
    response = as_user(fabrikam_viewer).get("/claims/")
    assert response.status_code == 403
    assert b"Global admin, Billing admin or Incentives admin" in response.content


def test_partners_do_not_get_the_review_queue(as_user, fabrikam):
    assert as_user(fabrikam).get("/review/").status_code == 403


def test_the_list_shows_the_companys_claims_only(as_user, build, northwind, ana):
    from tests.conftest import Builder

    build.submitted()
    Builder(northwind, ana).editing(m365_data(name="Northwind secret", mpn_id="5678901"))
    page = as_user(build.partner).get("/claims/").content.decode()
    assert "Contoso Sales adoption" in page and "Northwind secret" not in page
    assert "review starts by" in page


def test_the_list_filters_by_status(as_user, build):
    build.submitted()
    build.editing(m365_data(name="Draft one"))
    page = as_user(build.partner).get("/claims/?status=editing").content.decode()
    assert "Draft one" in page and "Contoso Sales adoption" not in page


def _fill(build, n):
    for i in range(n):
        build.editing(m365_data(name=f"claim {i}", products=[{"product": "teams"}, {"product": "intune"}]), poe=False)


def test_the_list_query_count_does_not_grow_with_claims(as_user, build, django_assert_num_queries):
    client = as_user(build.partner)
    _fill(build, 2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/claims/")
    _fill(build, 20)
    with django_assert_num_queries(len(few)):
        assert client.get("/claims/").status_code == 200


def test_the_review_queue_query_count_does_not_grow_with_claims(client, build, ana, django_assert_num_queries):
    client.force_login(ana)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build.submitted(m365_data(name="a"))
    with CaptureQueriesContext(connection) as few:
        client.get("/review/")
    for i in range(15):
        build.submitted(m365_data(name=f"q{i}", products=[{"product": "teams"}, {"product": "onedrive"}], **another_customer(i)))
    with django_assert_num_queries(len(few)):
        page = client.get("/review/")
    assert page.content.decode().count("review starts by") == 16


def test_the_review_queue_puts_overdue_first_then_earliest_deadline(build, ana):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from claims import deadlines
    from reviews.selectors import review_queue

    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday; pickup due Mon 9 Nov
    with time_machine.travel(start, tick=False):
        old = build.submitted(m365_data(name="old"))
    with time_machine.travel(start + timedelta(days=2), tick=False):
        newer = build.submitted(m365_data(name="newer", products=[{"product": "intune"}]))
    with time_machine.travel(start + timedelta(days=8), tick=False):
        deadlines.run_sweep()  # "old" was never picked up: overdue
        fresh = build.submitted(m365_data(name="fresh", products=[{"product": "onedrive"}]))
    assert [c.pk for c in review_queue()] == [old.pk, newer.pk, fresh.pk]
    assert review_queue()[0].is_overdue and not review_queue()[1].is_overdue


def test_another_companys_claim_page_and_files_are_404(as_user, build, northwind):
    claim = build.submitted()
    evidence = claim.evidence.get()
    client = as_user(northwind)
    assert client.get(f"/claims/{claim.pk}/").status_code == 404
    assert client.get(f"/claims/{claim.pk}/evidence/{evidence.pk}/").status_code == 404


def test_the_owner_and_reviewers_can_download_poe(as_user, build, ana):
    claim = build.submitted()
    evidence = claim.evidence.get()
    for user in (build.partner, ana):
        response = as_user(user).get(f"/claims/{claim.pk}/evidence/{evidence.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert 'filename="signed-poe.pdf"' in response["Content-Disposition"]


def test_evidence_of_one_claim_is_not_reachable_through_another(as_user, build):
    first = build.submitted()
    second = build.editing(m365_data(name="two"))
    response = as_user(build.partner).get(f"/claims/{second.pk}/evidence/{first.evidence.get().pk}/")
    assert response.status_code == 404


def test_the_claim_page_shows_fields_poe_comments_and_history(as_user, build, ana):
    from claims import services

    claim = build.under_review()
    services.comment_add(claim=claim, actor=ana, body="Checking the signature.")
    page = as_user(build.partner).get(f"/claims/{claim.pk}/").content.decode()
    for text in [
        "Under Review",
        "Contoso",
        "4567890",
        "signed-poe.pdf",
        "Checking the signature.",
        "Review started",
        "Submitted",
    ]:
        assert text in page
