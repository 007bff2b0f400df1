"""Each insight series on known data (states built through the services, time pinned)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from claims import insights
from claims.insights import Filters
from reviews import insights as review_insights
from reviews import services as review
from tests.conftest import another_customer, m365_data

NOV = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
PERIOD = Filters(start=date(2026, 11, 1), end=date(2026, 12, 31))


def points(chart, key):
    return {p["period"]: p["value"] for s in chart.series if s.key == key for p in s.points}


@pytest.fixture
def known(build, ana, fabrikam):
    """November: one approved (decided 2 days after submission), one rejected, one asked for
    information; December: one submitted and waiting."""
    with time_machine.travel(NOV, tick=False):
        approved = build.submitted(m365_data(**another_customer(1)))
        rejected = build.submitted(m365_data(**another_customer(2)))
        asked = build.under_review(m365_data(**another_customer(3)))
        review.review_request_info(
            claim=asked, reviewer=ana, reasons=["missing_poe", "missing_products"], message="Please add the PoE."
        )
    with time_machine.travel(NOV + timedelta(days=2), tick=False):
        review.review_start(claim=approved, reviewer=ana)
        review.review_approve(claim=approved, reviewer=ana)
    with time_machine.travel(NOV + timedelta(days=4), tick=False):
        review.review_start(claim=rejected, reviewer=ana)
        review.review_reject(claim=rejected, reviewer=ana, reason="insufficient_poe", message="No signature.")
    with time_machine.travel(DEC, tick=False):
        waiting = build.submitted(m365_data(**another_customer(4)))
    return {"approved": approved, "rejected": rejected, "asked": asked, "waiting": waiting}


def test_claims_by_status_counts_each_month_by_status(known, fabrikam):
    chart = insights.claims_by_status(fabrikam.company_id, PERIOD)
    assert points(chart, "approved") == {"2026-11-01": 1, "2026-12-01": 0}
    assert points(chart, "rejected") == {"2026-11-01": 1, "2026-12-01": 0}
    assert points(chart, "partner_action_required") == {"2026-11-01": 1, "2026-12-01": 0}
    assert points(chart, "submitted") == {"2026-11-01": 0, "2026-12-01": 1}


def test_another_companys_claims_are_not_counted(known, northwind):
    chart = insights.claims_by_status(northwind.company_id, PERIOD)
    assert all(p["value"] == 0 for s in chart.series for p in s.points)


def test_approval_rate_is_approvals_over_decisions_per_month(known, fabrikam):
    chart = insights.approval_rate(fabrikam.company_id, PERIOD)
    assert points(chart, "approval_rate") == {"2026-11-01": 50.0, "2026-12-01": None}


def test_median_days_to_decision(known, fabrikam):
    chart = insights.median_days_to_decision(fabrikam.company_id, PERIOD)
    # Decided 2 and 4 days after submission: the median is 3.
    assert points(chart, "median_days") == {"2026-11-01": 3.0, "2026-12-01": None}


def test_reasons_of_information_requests_and_rejections(known, fabrikam):
    asked = insights.info_request_reasons(fabrikam.company_id, PERIOD)
    assert points(asked, "missing_poe")["2026-11-01"] == 1
    assert points(asked, "missing_products")["2026-11-01"] == 1
    assert points(asked, "missing_customer_signature")["2026-11-01"] == 0
    rejected = insights.rejection_reasons(fabrikam.company_id, PERIOD)
    assert points(rejected, "insufficient_poe") == {"2026-11-01": 1, "2026-12-01": 0}
    assert points(rejected, "missing_products") == {"2026-11-01": 0, "2026-12-01": 0}


def test_active_associations_at_each_month_end(known, fabrikam):
    chart = insights.active_associations(fabrikam.company_id, PERIOD)
    assert points(chart, "active") == {"2026-11-01": 1, "2026-12-01": 1}
    before = Filters(start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert points(insights.active_associations(fabrikam.company_id, before), "active") == {"2026-10-01": 0}


def test_deadlines_in_the_next_14_days(known, fabrikam):
    chart = insights.upcoming_deadlines(fabrikam.company_id, PERIOD, now=DEC)
    # The waiting claim's pickup clock, the asked claim's answer clock (if still ahead), the
    # approved claim's consent window and the rejected claim's dispute window.
    total = sum(p["value"] for s in chart.series for p in s.points)
    assert len(chart.series[0].points) == 14
    assert points(chart, "review_pickup")[str(known["waiting"].deadline_at.date())] == 1
    assert total == sum(
        1
        for c in known.values()
        if c.__class__.objects.get(pk=c.pk).deadline_at
        and DEC <= c.__class__.objects.get(pk=c.pk).deadline_at < DEC + timedelta(days=14)
    )


def test_filters_keep_only_the_solution_area_and_product(known, fabrikam):
    apps = Filters(start=PERIOD.start, end=PERIOD.end, solution_area="business_applications")
    chart = insights.claims_by_status(fabrikam.company_id, apps)
    assert all(p["value"] == 0 for s in chart.series for p in s.points)
    sales = Filters(start=PERIOD.start, end=PERIOD.end, product="d365_sales")
    assert all(p["value"] == 0 for s in insights.claims_by_status(fabrikam.company_id, sales).series for p in s.points)
    teams = Filters(start=PERIOD.start, end=PERIOD.end, product="teams")
    assert points(insights.claims_by_status(fabrikam.company_id, teams), "approved")["2026-11-01"] == 1


def test_backlog_by_age(known):
    chart = review_insights.backlog_by_age(PERIOD, now=DEC + timedelta(days=2))
    assert points(chart, "claims") == {"0-1": 0, "1-3": 1, "3-7": 0, "7-14": 0, "14-30": 0, "30+": 0}


def test_time_to_pickup(known):
    chart = review_insights.time_to_pickup(PERIOD)
    # Started at once (the asked claim), after 2 days, after 4 days.
    assert points(chart, "claims") == {"0-4h": 1, "4-8h": 0, "8-24h": 0, "1-2d": 0, "2-3d": 1, "3d+": 1}


def test_decisions_per_reviewer_per_week(known):
    chart = review_insights.decisions_per_reviewer(PERIOD)
    ana = points(chart, "reviewer-ana")
    assert ana["2026-11-09"] == 2  # approved on the 12th, rejected on the 14th (Monday the 9th)
    assert sum(ana.values()) == 2


def test_sla_met_per_clock_per_week_calls_the_sla_rule(known):
    chart = review_insights.sla_met(PERIOD, now=DEC)
    pickup = points(chart, "pickup")
    from reviews.sla import sla_report

    report = sla_report(since=PERIOD.since, until=PERIOD.until, now=DEC)
    assert sum(t.total for (c, _w), t in report.weeks.items() if c == "pickup") == report.clocks["pickup"].total
    assert pickup["2026-11-09"] == report.weeks[("pickup", date(2026, 11, 9))].percent


def test_arbitrations_and_disputes_per_month(known, fabrikam):
    from claims import services

    with time_machine.travel(DEC, tick=False):
        services.claim_dispute(claim=known["rejected"], actor=fabrikam, justification="The PoE was signed.")
    chart = review_insights.arbitrations_and_disputes(PERIOD)
    assert points(chart, "disputes") == {"2026-11-01": 0, "2026-12-01": 1}
    assert points(chart, "arbitrations") == {"2026-11-01": 0, "2026-12-01": 0}


def test_the_sla_tallies_are_the_same_with_and_without_the_late_list(known, build):
    from reviews.sla import sla_report

    with time_machine.travel(DEC, tick=False):
        build.under_review(m365_data(**another_customer(5)))  # its decision clock runs out undecided

    # Long after November: the December claim's pickup clock ran out in the sweep's absence,
    # and the decisions are counted; both ways of counting must agree.
    later = DEC + timedelta(days=20)
    full = sla_report(since=PERIOD.since, until=PERIOD.until, now=later)
    tallies = sla_report(since=PERIOD.since, until=PERIOD.until, now=later, late_rows=False)
    assert tallies.late == []
    assert any(row["at"] is None for row in full.late)  # an open late decision clock is counted
    assert (tallies.overall, tallies.clocks, tallies.reviewers) == (full.overall, full.clocks, full.reviewers)
    assert {k: (t.on_time, t.late) for k, t in tallies.weeks.items()} == {k: (t.on_time, t.late) for k, t in full.weeks.items()}
