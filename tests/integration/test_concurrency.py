"""Races on PostgreSQL: real connections in threads, released together by a barrier."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from claims import deadlines, services
from claims.errors import DomainError
from claims.models import Claim, ClaimEvent, Notification
from reviews import services as review
from tests.conftest import Builder, another_customer, claim_data, m365_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MON = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)


def race(*calls):
    """Runs the calls at the same moment on separate connections; returns results or errors."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_reviewer_reject_and_partner_withdraw_at_once_leave_exactly_one_decision(build, fabrikam, ana):
    # Either order of these two is exclusive: each leaves the claim Rejected, where
    # neither may run again. (Approve then withdraw would both be allowed in turn.)
    claim = build.under_review()
    results = race(
        lambda: review.review_reject(claim=claim, reviewer=ana, reason="insufficient_poe", message="no"),
        lambda: services.claim_withdraw(claim=claim, actor=fabrikam, reason="wrong_mpn"),
    )
    wins = [r for r in results if isinstance(r, Claim)]
    losses = [r for r in results if isinstance(r, DomainError)]
    assert len(wins) == 1 and len(losses) == 1 and losses[0].code == "invalid_transition"
    decisions = ClaimEvent.objects.filter(claim=claim, action__in=["rejected", "withdrawn"])
    assert decisions.count() == 1


def test_two_reviewers_approving_and_rejecting_at_once_leave_one_decision(build, ana, ben):
    claim = build.under_review()
    results = race(
        lambda: review.review_approve(claim=claim, reviewer=ana),
        lambda: review.review_reject(claim=claim, reviewer=ben, reason="insufficient_poe", message="no"),
    )
    assert sum(isinstance(r, Claim) for r in results) == 1
    assert [r.code for r in results if isinstance(r, DomainError)] == ["invalid_transition"]
    claim.refresh_from_db()
    assert ClaimEvent.objects.filter(claim=claim, action__in=["approved", "rejected"]).count() == 1
    assert claim.state in ("approved", "rejected")


def test_two_claims_submitting_the_same_subscription_at_once_one_wins(build, fabrikam_incentives):
    first = build.editing()
    second = Builder(fabrikam_incentives, None).editing(claim_data(name="same subscription"))
    results = race(
        lambda: services.claim_submit(claim=first, actor=build.partner),
        lambda: services.claim_submit(claim=second, actor=fabrikam_incentives),
    )
    assert sum(isinstance(r, Claim) for r in results) == 1
    (loss,) = [r for r in results if isinstance(r, DomainError)]
    assert loss.codes == ["subscription_already_claimed"]


@override_settings(CPOR_SWEEP_BATCH_SIZE=3)
def test_the_sweep_run_twice_at_once_changes_each_claim_once(build, ana):
    with time_machine.travel(MON, tick=False):
        claims = [build.par(m365_data(name=f"par {i}", **another_customer(i))) for i in range(6)]
        claims += [build.submitted(m365_data(name=f"sub {i}", **another_customer(10 + i))) for i in range(6)]
    with time_machine.travel(MON + timedelta(days=20), tick=False):
        results = race(deadlines.run_sweep, deadlines.run_sweep)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 12  # every due claim handled, by one worker or the other
    for claim in claims:
        assert ClaimEvent.objects.filter(claim=claim, actor_role="system").count() == 1
    assert Notification.objects.filter(kind="claim_rejected").count() == 6
    assert Claim.objects.filter(state="rejected", rejection_reason="no_partner_response").count() == 6


def test_two_reviewers_approving_competing_claims_at_once_one_wins_the_other_gets_409(build, northwind, ana, ben):
    """Issue 9 point 3: the decision depends on the tenant's associations, so it locks them
    (the tenant row); the loser is a 409, never an IntegrityError."""
    from claims.models import Association

    for round_ in range(20):
        customer = another_customer(100 + round_)
        fabrikam_claim = build.under_review(m365_data(name=f"F {round_}", **customer))
        northwind_claim = Builder(northwind, ana).under_review(m365_data(name=f"N {round_}", mpn_id="5678901", **customer))
        results = race(
            lambda f=fabrikam_claim: review.review_approve(claim=f, reviewer=ana),
            lambda n=northwind_claim: review.review_approve(claim=n, reviewer=ben),
        )
        wins = [r for r in results if isinstance(r, Claim)]
        losses = [r for r in results if isinstance(r, DomainError)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert losses[0].http_status == 409 and losses[0].code in ("rationale_required", "concurrent_change")
        active = Association.objects.filter(tenant__tenant_id=customer["customer_tenant_id"], ended_at__isnull=True)
        assert [a.claim_id for a in active] == [wins[0].pk]
        loser = Claim.objects.get(pk=({fabrikam_claim.pk, northwind_claim.pk} - {wins[0].pk}).pop())
        assert loser.state == "under_review"
