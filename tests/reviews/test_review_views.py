"""Reviewer pages: access, queue filters and counts, actions, arbitration, overview."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import Association, Claim
from reviews import services as review
from reviews.selectors import overview, queue_counts, review_queue
from tests.conftest import SUB_HELD, Builder, another_customer, claim_data, m365_data

REVIEWER_GETS = ["/review/", "/review/overview/", "/review/claims/{pk}/"]
REVIEWER_POSTS = ["start", "assign", "request-info", "approve", "reject"]


@pytest.fixture
def reviewer(client, ana):
    client.force_login(ana)
    return client


@pytest.mark.parametrize("persona", ["fabrikam", "northwind", "fabrikam_viewer"])
def test_non_reviewers_get_403_on_every_reviewer_page_and_action(client, build, request, persona):
    claim = build.submitted()
    client.force_login(request.getfixturevalue(persona))
    for url in REVIEWER_GETS:
        assert client.get(url.format(pk=claim.pk)).status_code == 403, url
    for action in REVIEWER_POSTS:
        response = client.post(
            f"/review/claims/{claim.pk}/{action}/", {"reason": "insufficient_poe", "message": "x", "reasons": ["missing_poe"]}
        )
        assert response.status_code == 403, action
    claim.refresh_from_db()
    assert claim.state == "submitted" and claim.assigned_reviewer is None


def test_anonymous_users_are_sent_to_sign_in(client, build):
    claim = build.submitted()
    assert client.get(f"/review/claims/{claim.pk}/").status_code == 302


def test_start_request_info_approve_through_the_pages(reviewer, build, fabrikam, ana):
    claim = build.submitted()
    assert reviewer.post(f"/review/claims/{claim.pk}/start/").status_code == 302
    response = reviewer.post(
        f"/review/claims/{claim.pk}/request-info/",
        {"reasons": ["missing_customer_signature"], "message": "Please sign.", "remove_products": ["d365_sales"]},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == "partner_action_required" and claim.assigned_reviewer == ana
    services.claim_respond(claim=claim, actor=fabrikam, message="Signed.")
    assert reviewer.post(f"/review/claims/{claim.pk}/approve/", {"message": "Thanks.", "confirmed": "1"}).status_code == 302
    claim.refresh_from_db()
    assert claim.state == "approved"


def test_a_refused_action_is_shown_on_the_page(reviewer, build):
    claim = build.under_review()
    response = reviewer.post(f"/review/claims/{claim.pk}/reject/", {"reason": "insufficient_poe", "message": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == "under_review"


def test_an_action_in_the_wrong_state_says_so(reviewer, build):
    claim = build.approved()
    response = reviewer.post(
        f"/review/claims/{claim.pk}/reject/", {"reason": "insufficient_poe", "message": "late", "confirmed": "1"}
    )
    assert response.status_code == 409 and "not possible in the claim" in response.content.decode()


def test_reassignment_is_recorded_in_history(reviewer, build, ben):
    claim = build.under_review()
    reviewer.post(f"/review/claims/{claim.pk}/assign/", {"assignee": ben.pk})
    claim.refresh_from_db()
    assert claim.assigned_reviewer == ben
    event = claim.events.get(action="assigned")
    assert event.changes["assigned_reviewer"] == ["reviewer-ana", "reviewer-ben"] and event.actor.username == "reviewer-ana"


def test_partners_cannot_be_assigned(build, ana, fabrikam):
    from claims.errors import DomainError

    with pytest.raises(DomainError) as info:
        review.review_assign(claim=build.submitted(), reviewer=ana, assignee=fabrikam)
    assert info.value.code == "not_a_reviewer"


def test_reviewers_opening_a_claim_link_land_on_the_review_page(reviewer, build):
    claim = build.submitted()
    response = reviewer.get(f"/claims/{claim.pk}/")
    assert response.status_code == 302 and response.url == f"/review/claims/{claim.pk}/"


def test_reviewers_can_open_pdf_poe_in_the_browser(reviewer, build):
    claim = build.submitted()
    evidence = claim.evidence.get()
    response = reviewer.get(f"/claims/{claim.pk}/evidence/{evidence.pk}/?inline=1")
    assert response["Content-Disposition"].startswith("inline") and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def _competing(build, northwind, ana):
    held = Builder(northwind, ana).approved(
        claim_data(mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    rival = Builder(northwind, ana).submitted(m365_data(name="Northwind Teams", mpn_id="5678901"))
    mine = build.submitted()  # Contoso + Dynamics 365 Sales: Northwind holds it
    teams = build.submitted(m365_data(name="Fabrikam Teams"))  # Contoso + Teams: Northwind claims it too
    plain = build.submitted(m365_data(name="Fabrikam Intune", products=[{"product": "intune"}]))
    return held, rival, mine, teams, plain


def test_competing_claims_are_flagged_and_every_party_told_without_names(build, northwind, ana):
    held, rival, mine, teams, plain = _competing(build, northwind, ana)
    flagged = {c.pk: c.is_competing for c in review_queue()}
    assert flagged[mine.pk] and flagged[teams.pk] and flagged[rival.pk] and not flagged[plain.pk]
    for claim in (held, rival, mine, teams):
        notices = claim.comments.filter(kind="arbitration")
        assert notices.count() == 1, claim.name  # once, however many competitors
        assert "Fabrikam" not in notices.get().body and "Northwind" not in notices.get().body
    assert not plain.comments.filter(kind="arbitration").exists()


def test_the_review_page_shows_competitors_side_by_side(reviewer, build, northwind, ana):
    held, rival, mine, teams, plain = _competing(build, northwind, ana)
    html = reviewer.get(f"/review/claims/{mine.pk}/").content.decode()
    assert "Current association" in html and "Northwind Solutions" in html and held.evidence.get().original_name in html
    html = reviewer.get(f"/review/claims/{teams.pk}/").content.decode()
    assert "Competing claim" in html and "Northwind Teams" in html


def test_approving_in_arbitration_ends_the_others_hold_and_records_the_rationale(reviewer, build, northwind, ana):
    held, rival, mine, teams, plain = _competing(build, northwind, ana)
    review.review_start(claim=mine, reviewer=ana)
    refused = reviewer.post(f"/review/claims/{mine.pk}/approve/", {"message": ""})
    assert refused.status_code == 409 and "Write the rationale" in refused.content.decode()
    reviewer.post(
        f"/review/claims/{mine.pk}/approve/", {"rationale": "Signed 2026 PoE beats an unsigned 2024 one.", "confirmed": "1"}
    )
    mine.refresh_from_db()
    assert mine.state == "approved"
    active = Association.objects.filter(tenant=mine.tenant, product__code="d365_sales", ended_at__isnull=True)
    assert [a.company.name for a in active] == ["Fabrikam Consulting"]
    assert held.events.filter(action="arbitration_decided").exists()
    assert "Signed 2026 PoE" in mine.events.get(action="approved").details["rationale"]


def test_queue_filters_and_counts(build, northwind, ana, ben):
    held, rival, mine, teams, plain = _competing(build, northwind, ana)
    review.review_start(claim=teams, reviewer=ben)
    disputed = services.claim_dispute(
        claim=build.rejected(m365_data(name="d", products=[{"product": "onedrive"}])), actor=build.partner, justification="x"
    )
    counts = queue_counts(me=ana)
    assert counts["all"] == 5  # rival, mine, teams, plain, disputed
    assert counts["competing"] == 3 and counts["dispute"] == 1 and counts["under_review"] == 2
    assert counts["unassigned"] == 4  # a dispute goes back unassigned
    assert queue_counts(me=ben)["mine"] == 1
    assert [c.pk for c in review_queue(me=ana, show="dispute")] == [disputed.pk]
    assert {c.pk for c in review_queue(me=ana, show="competing")} == {rival.pk, mine.pk, teams.pk}
    assert [c.pk for c in review_queue(me=ben, show="mine")] == [teams.pk]
    assert len(review_queue(me=ana, area="business_applications")) == 1


def test_the_competing_filter_follows_every_change(build, northwind, ana):
    """The filter reads the competing claims cached with the counts: a change that ends the
    competition (the rival withdrawn) shows on the next read, as the claim-by-claim check would."""
    held, rival, mine, teams, plain = _competing(build, northwind, ana)
    assert {c.pk for c in review_queue(me=ana, show="competing")} == {rival.pk, mine.pk, teams.pk}
    services.claim_withdraw(claim=rival, actor=rival.created_by, reason="no_longer_working_with_customer")
    assert {c.pk for c in review_queue(me=ana, show="competing")} == {mine.pk}  # Northwind still holds mine's product
    assert queue_counts(me=ana)["competing"] == 1
    # A search checks claim by claim: the same answer.
    assert {c.pk for c in review_queue(me=ana, show="competing", q="Fabrikam")} == {mine.pk}
    assert {c.pk for c in review_queue(me=ana, show="competing", q=str(mine.pk))} == {mine.pk}


def test_the_competing_filter_pages_read_the_cached_ids_in_the_queue_order(reviewer, build, northwind, ana):
    """Without a search or a sort, the "competing" pages read the competing claims' ids cached
    with the counts: page after page, in the HTML and the API, the same claims in the same
    order as the claim-by-claim check, and a change shows on the next page read."""
    from rest_framework.test import APIClient

    from claims.api.listing import list_values
    from reviews.selectors import CountedPaginator, queue_rows

    held, rival, mine, teams, plain = _competing(build, northwind, ana)
    for i in range(6):
        customer = another_customer(i)
        build.submitted(m365_data(name=f"fk {i}", products=[{"product": "teams"}], **customer))
        Builder(northwind, ana).submitted(
            m365_data(name=f"nw {i}", mpn_id="5678901", products=[{"product": "teams"}], **customer)
        )
    # Overdue claims come first; ties on the deadline break on the claim number.
    Claim.objects.filter(name__in=["nw 2", "fk 4"]).update(is_overdue=True)
    expected = [c.pk for c in review_queue(me=ana, show="competing")]
    overdue = set(Claim.objects.filter(name__in=["nw 2", "fk 4"]).values_list("pk", flat=True))
    assert len(expected) == 15 and set(expected[:2]) == overdue

    def pages(show, area="", shape=None):
        rows = queue_rows(me=ana, show=show, area=area, shape=shape)
        paginator = CountedPaginator(rows, 4, total=len(expected))
        return [r["id"] if isinstance(r, dict) else r.pk for n in paginator.page_range for r in paginator.page(n).object_list]

    assert pages("competing") == expected
    assert pages("competing", shape=list_values) == expected
    area = [c.pk for c in review_queue(me=ana, show="competing", area="microsoft_365")]
    assert pages("competing", area="microsoft_365") == area and len(area) == 14
    html = reviewer.get("/review/?show=competing").content.decode()
    assert html.count("flag-competing") == 15 and html.count('name="claims"') == 15
    api = APIClient()
    api.force_authenticate(ana)
    got = api.get("/api/v1/review/queue/", {"show": "competing", "page_size": 4, "page": 2}).json()
    assert got["count"] == 15 and [r["id"] for r in got["results"]] == expected[4:8]
    services.claim_withdraw(claim=rival, actor=rival.created_by, reason="no_longer_working_with_customer")
    assert rival.pk not in pages("competing") and teams.pk not in pages("competing")
    assert pages("competing") == [c.pk for c in review_queue(me=ana, show="competing")]


def test_queue_pages_flag_competition_from_the_ids_cached_with_the_counts(build, northwind, ana):
    """Without a search, a queue page's competition flags are looked up in the competing ids
    cached with the counts, with no competition query: on every filter the same flags as the
    claim-by-claim check; the Partner Action Required claims (not among those ids) are still
    checked as read; a change shows on the next read."""
    from reviews.selectors import queue_generation, queue_rows

    held, rival, mine, teams, plain = _competing(build, northwind, ana)
    review.review_start(claim=teams, reviewer=ana)
    review.review_request_info(claim=teams, reviewer=ana, reasons=["missing_poe"], message="Upload the PoE.")

    def page(show):
        return {c.pk: c.is_competing for c in list(queue_rows(me=ana, show=show)[:50])}

    def checked(show):
        return {c.pk: c.is_competing for c in review_queue(me=ana, show=show)}

    for show in ("", "competing", "submitted", "under_review", "waiting", "mine", "unassigned", "overdue"):
        assert page(show) == checked(show), show
    assert page("") == {rival.pk: True, mine.pk: True, plain.pk: False}
    assert page("waiting") == {teams.pk: True}  # competes with Northwind's open claim
    queue_counts(me=ana)  # as the page does first: the counts and the ids cached
    with CaptureQueriesContext(connection) as queries:
        rows = list(queue_rows(me=ana, show="", generation=queue_generation())[:50])
    assert len(rows) == 3 and not any("claims_association" in q["sql"] for q in queries.captured_queries)
    services.claim_withdraw(claim=rival, actor=rival.created_by, reason="no_longer_working_with_customer")
    assert page("waiting") == {teams.pk: False} and page("") == {mine.pk: True, plain.pk: False}


def test_queue_page_query_count_is_flat_with_filters(reviewer, build, northwind, ana):
    _competing(build, northwind, ana)
    with CaptureQueriesContext(connection) as few:
        reviewer.get("/review/?show=competing")
    for i in range(12):
        customer = another_customer(i)
        build.submitted(m365_data(name=f"fk {i}", products=[{"product": "teams"}], **customer))
        Builder(northwind, ana).submitted(
            m365_data(name=f"nw {i}", mpn_id="5678901", products=[{"product": "teams"}, {"product": "onedrive"}], **customer)
        )
    with CaptureQueriesContext(connection) as many:
        response = reviewer.get("/review/?show=competing")
    assert len(many) == len(few)
    assert response.content.decode().count("flag-competing") >= 14


def test_overview_counts_and_sla_compliance(build, ana, ben):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday
    with time_machine.travel(start, tick=False):
        on_time = build.under_review(m365_data(name="fast"))  # picked up at once by ana
        late = build.under_review(m365_data(name="slow", products=[{"product": "intune"}]))
    with time_machine.travel(start + timedelta(days=1), tick=False):
        review.review_approve(claim=on_time, reviewer=ana)
    with time_machine.travel(start + timedelta(days=12), tick=False):
        review.review_reject(claim=late, reviewer=ben, reason="insufficient_poe", message="late")
        o = overview(now=start + timedelta(days=12))
    # Two pickups on time (ana), one decision on time (ana), one late (ben).
    assert (o["decisions"], o["on_time"], o["sla_percent"]) == (4, 3, 75)
    assert o["per_reviewer"] == [("reviewer-ana", 3, 3, 100), ("reviewer-ben", 0, 1, 0)]
    assert [row["claim"].pk for row in o["sla"].late] == [late.pk]
    assert dict(o["by_status"])["Approved"] == 1 and dict(o["by_status"])["Rejected"] == 1
    with time_machine.travel(start + timedelta(days=45), tick=False):
        assert overview(now=start + timedelta(days=45))["decisions"] == 0  # only the last 30 days


def test_a_claim_nobody_picked_up_for_14_days_is_a_pickup_breach(client, build, ana):
    from claims import deadlines

    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday
    with time_machine.travel(start, tick=False):
        ignored = build.submitted(m365_data(name="ignored"))
    with time_machine.travel(start + timedelta(days=14), tick=False):
        deadlines.run_sweep()
        o = overview(now=start + timedelta(days=14))
        assert o["sla_percent"] == 0 and o["sla"].clocks["pickup"].late == 1
        client.force_login(ana)
        html = client.get("/review/overview/?days=30").content.decode()
    assert "0%" in html and "100%" not in html
    assert f"#{ignored.pk} ignored" in html and "Review pickup" in html and "Unassigned" in html


def test_the_overview_period_can_be_chosen(client, build, ana):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        build.approved(m365_data())
    with time_machine.travel(start + timedelta(days=60), tick=False):
        client.force_login(ana)
        assert "No clocked reviews in this period." in client.get("/review/overview/?days=30").content.decode()
        html = client.get("/review/overview/?from=2026-11-01&to=2026-11-03").content.decode()
        assert "100%" in html


def test_the_overview_page_renders(reviewer, build):
    build.approved()
    html = reviewer.get("/review/overview/").content.decode()
    assert "SLA compliance" in html and "100%" in html
    assert Claim.objects.count() == 1


def test_the_overview_query_count_does_not_grow_with_late_claims(client, build, ana, django_assert_max_num_queries):
    from claims import deadlines

    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        build.submitted(m365_data(name="late 0"))
    with time_machine.travel(start + timedelta(days=14), tick=False):
        deadlines.run_sweep()
        client.force_login(ana)
        with CaptureQueriesContext(connection) as few:
            client.get("/review/overview/")
    with time_machine.travel(start + timedelta(days=1), tick=False):
        for i in range(10):
            build.under_review(m365_data(name=f"late {i + 1}", **another_customer(i)))
    with time_machine.travel(start + timedelta(days=14), tick=False):
        deadlines.run_sweep()
        client.force_login(ana)
        with django_assert_max_num_queries(len(few)):
            html = client.get("/review/overview/").content.decode()
    assert html.count("still open") == 10


def test_the_sla_api_counts_a_pickup_breach(build, ana, fabrikam):
    from rest_framework.test import APIClient

    from claims import deadlines

    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ignored = build.submitted(m365_data(name="ignored"))
    with time_machine.travel(start + timedelta(days=14), tick=False):
        deadlines.run_sweep()
        api = APIClient()
        api.force_authenticate(ana)
        body = api.get("/api/v1/review/sla/", {"days": 30}).json()
        assert body["overall"] == {"on_time": 0, "late": 1, "total": 1, "percent": 0}
        assert body["clocks"]["pickup"]["late"] == 1 and body["reviewers"]["Unassigned"]["late"] == 1
        assert [row["claim"] for row in body["late"]] == [ignored.pk] and body["late"][0]["clock"] == "Review pickup"
        assert api.get("/api/v1/review/sla/", {"days": 12}).status_code == 400
        partner = APIClient()
        partner.force_authenticate(fabrikam)
        assert partner.get("/api/v1/review/sla/").status_code == 403
