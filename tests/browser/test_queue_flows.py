"""The reviewer's queue and SLA dashboard in the browser."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from claims import deadlines, demo
from claims.models import Claim
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import Builder, another_customer, m365_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def test_search_sort_and_bulk_assign_then_the_sla_dashboard_counts_a_pickup_breach(live_server, page, screenshot, people):
    partner = people["fabrikam-global"]
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
    with time_machine.travel(start, tick=False):
        ignored = Builder(partner, None).submitted(m365_data(name="Nobody picked this up"))
    with time_machine.travel(start + timedelta(days=14), tick=False):
        deadlines.run_sweep()  # 14 days unpicked: moved to review, a pickup breach
    fresh = [Builder(partner, None).submitted(m365_data(name=f"Branch {i}", **another_customer(i))) for i in range(3)]

    sign_in(page, live_server.url, "reviewer-ana")
    page.get_by_role("heading", name="Review queue").wait_for()
    page.get_by_role("searchbox", name="Search").fill("branch")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.claims tbody tr")
    assert rows.count() == 3
    page.get_by_role("link", name="Claim", exact=True).click()  # sort by claim number
    page.get_by_role("link", name="Claim ▲").click()  # and back, descending
    assert "Branch 2" in rows.first.inner_text()
    for claim in fresh[:2]:
        page.get_by_label(f"Select #{claim.pk}").check()
    page.get_by_label("Assign to").select_option(label="reviewer-ben")
    page.get_by_role("button", name="Assign selected").click()
    page.get_by_text(f"Assigned to reviewer-ben: #{fresh[0].pk}, #{fresh[1].pk}.").wait_for()
    assert [c.assigned_reviewer.username for c in Claim.objects.filter(pk__in=[c.pk for c in fresh[:2]])] == ["reviewer-ben"] * 2

    page.goto(f"{live_server.url}/review/overview/?from=2026-11-01&to=2026-11-30")
    sla = page.locator("#sla")
    assert "0%" in sla.inner_text() and "Review pickup" in sla.inner_text()
    # Its pickup breach is listed (once the review clock that followed has passed too, as it
    # has after 23 November, the claim is listed a second time for that one).
    pickup = page.locator("#late").get_by_role("row").filter(has_text="Review pickup")
    assert pickup.get_by_role("link", name=f"#{ignored.pk} Nobody picked this up").is_visible()
    screenshot(page, "sla-dashboard")


def test_select_all_ticks_every_claim_on_the_page_and_nothing_selected_is_said(live_server, page, people):
    partner = people["fabrikam-global"]
    fresh = [Builder(partner, None).submitted(m365_data(name=f"Branch {i}", **another_customer(i))) for i in range(3)]

    sign_in(page, live_server.url, "reviewer-ana")
    page.get_by_role("heading", name="Review queue").wait_for()
    every = page.get_by_label("Select every claim on this page")
    rows = [page.get_by_label(f"Select #{claim.pk}") for claim in fresh]
    every.check()
    assert all(row.is_checked() for row in rows)
    rows[0].uncheck()  # one row cleared: the header box is neither ticked nor clear
    assert not every.is_checked() and every.evaluate("box => box.indeterminate")
    every.check()  # from mixed, the header box ticks every row again
    assert all(row.is_checked() for row in rows) and not every.evaluate("box => box.indeterminate")
    every.uncheck()
    assert not any(row.is_checked() for row in rows)

    page.get_by_label("Assign to").select_option(label="reviewer-ben")
    page.get_by_role("button", name="Assign selected").click()
    page.get_by_text("No claim was selected. Tick the claims to assign, then choose Assign selected again.").wait_for()
    assert not Claim.objects.filter(assigned_reviewer__username="reviewer-ben").exists()

    page.get_by_label("Select every claim on this page").check()
    page.get_by_label("Assign to").select_option(label="reviewer-ben")
    page.get_by_role("button", name="Assign selected").click()
    page.get_by_text("Assigned to reviewer-ben:").wait_for()
    assert sorted(Claim.objects.filter(assigned_reviewer__username="reviewer-ben").values_list("pk", flat=True)) == sorted(
        c.pk for c in fresh
    )
