"""Every deadline on both sides of its moment, and the sweep's guarantees."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from claims import deadlines, services
from claims.errors import DomainError
from claims.models import Claim, ClaimEvent, Notification
from tests.conftest import SUB_SERVICE, claim_data, m365_data

MON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Thanksgiving is Thu 26 Nov 2026
FIVE_BUSINESS_DAYS_LATER = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def sweep_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return deadlines.run_sweep()


def system_events(claim):
    return list(ClaimEvent.objects.filter(claim=claim, actor_role="system").values_list("action", flat=True))


@pytest.fixture
def at_monday():
    with time_machine.travel(MON, tick=False):
        yield


def test_unpicked_submission_moves_to_review_flagged_overdue(build, at_monday):
    claim = build.submitted()
    assert claim.deadline_at == FIVE_BUSINESS_DAYS_LATER
    assert sweep_at(FIVE_BUSINESS_DAYS_LATER - SECOND) == 0
    claim.refresh_from_db()
    assert claim.state == "submitted"
    assert sweep_at(FIVE_BUSINESS_DAYS_LATER) == 1
    claim.refresh_from_db()
    assert claim.state == "under_review" and claim.is_overdue and claim.assigned_reviewer is None
    assert claim.deadline_kind == "review_decision" and claim.deadline_at == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert system_events(claim) == ["review_auto_started"]


def test_late_review_decision_is_flagged_and_the_reviewer_told(build, at_monday, mailoutbox, django_capture_on_commit_callbacks):
    claim = build.under_review()
    assert sweep_at(FIVE_BUSINESS_DAYS_LATER - SECOND) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(FIVE_BUSINESS_DAYS_LATER) == 1
    claim.refresh_from_db()
    assert claim.state == "under_review" and claim.is_overdue and claim.deadline_expired
    assert [m.to for m in mailoutbox] == [["ana@reviews.cpor.example"]]
    assert system_events(claim) == ["review_overdue"]
    assert sweep_at(FIVE_BUSINESS_DAYS_LATER + timedelta(days=3)) == 0  # acted on once


def test_no_answer_in_five_business_days_rejects_for_no_partner_response(
    build, fabrikam, at_monday, mailoutbox, django_capture_on_commit_callbacks
):
    claim = build.par()
    assert sweep_at(FIVE_BUSINESS_DAYS_LATER - SECOND) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(FIVE_BUSINESS_DAYS_LATER) == 1
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.rejection_reason == "no_partner_response"
    assert claim.deadline_kind == "dispute_window" and claim.deadline_at == FIVE_BUSINESS_DAYS_LATER + timedelta(days=30)
    assert "No partner response" in mailoutbox[-1].body
    # and it can be disputed
    with time_machine.travel(FIVE_BUSINESS_DAYS_LATER + timedelta(days=1), tick=False):
        assert services.claim_dispute(claim=claim, actor=fabrikam, justification="We answered by phone.").is_dispute


def test_an_answer_is_accepted_until_the_deadline_and_refused_from_it(build, fabrikam, at_monday):
    early = build.par()
    late = build.par(claim_data(name="late", products=[{"product": "d365_customer_service", "subscription_id": SUB_SERVICE}]))
    with time_machine.travel(FIVE_BUSINESS_DAYS_LATER - SECOND, tick=False):
        assert services.claim_respond(claim=early, actor=fabrikam, message="Here.").state == "under_review"
    with time_machine.travel(FIVE_BUSINESS_DAYS_LATER, tick=False):
        with pytest.raises(DomainError) as info:
            services.claim_respond(claim=late, actor=fabrikam, message="Too late.")
    assert info.value.code == "answer_deadline_passed"


def test_late_dispute_decision_is_flagged(build, fabrikam, at_monday):
    claim = services.claim_dispute(claim=build.rejected(), actor=fabrikam, justification="Signed now.")
    assert claim.deadline_kind == "dispute_decision" and claim.deadline_at == FIVE_BUSINESS_DAYS_LATER
    assert sweep_at(FIVE_BUSINESS_DAYS_LATER - SECOND) == 0
    assert sweep_at(FIVE_BUSINESS_DAYS_LATER) == 1
    claim.refresh_from_db()
    assert claim.is_overdue and claim.is_dispute


def test_seven_quiet_days_send_the_claim_to_eligibility_evaluation(
    build, at_monday, mailoutbox, django_capture_on_commit_callbacks
):
    claim = build.approved()
    end = MON + timedelta(days=7)
    assert claim.deadline_at == end
    assert sweep_at(end - SECOND) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(end) == 1
    claim.refresh_from_db()
    assert claim.state == "approved" and claim.eligibility_sent_at == end
    assert "incentive eligibility evaluation" in mailoutbox[-1].body
    with time_machine.travel(end, tick=False):
        with pytest.raises(DomainError) as info:
            services.consent_deny(claim_id=claim.pk, nonce=claim.consent_nonce.hex)
    assert info.value.code == "consent_window_closed"


def test_denial_on_the_last_second_of_the_window_rejects(build, at_monday):
    claim = build.approved()
    with time_machine.travel(MON + timedelta(days=7) - SECOND, tick=False):
        denied = services.consent_deny(claim_id=claim.pk, nonce=claim.consent_nonce.hex, reason="We never worked with them.")
    assert denied.state == "rejected" and denied.rejection_reason == "customer_denial"
    assert denied.associations.get().end_reason == "customer_denial"
    assert denied.events.last().actor_role == "customer"


def test_the_dispute_window_closes_after_thirty_days(build, fabrikam, at_monday):
    claim = build.rejected()
    end = MON + timedelta(days=30)
    assert sweep_at(end - SECOND) == 0
    assert sweep_at(end) == 1
    claim.refresh_from_db()
    assert claim.deadline_expired and system_events(claim) == ["dispute_window_closed"]
    with time_machine.travel(end + timedelta(days=1), tick=False):
        with pytest.raises(DomainError) as info:
            services.claim_dispute(claim=claim, actor=fabrikam, justification="late")
    assert info.value.code == "dispute_window_closed"


@override_settings(CPOR_REVIEW_PICKUP_BUSINESS_DAYS=14)
def test_clock_lengths_are_settings(build, at_monday):
    claim = build.submitted()
    assert claim.deadline_at == datetime(2026, 12, 14, 10, 0, tzinfo=UTC)


def _due_mix(build, ana):
    """One claim due for each action that changes or flags something."""
    with time_machine.travel(MON, tick=False):
        return [
            build.submitted(),
            build.par(m365_data(name="par")),
            build.approved(m365_data(name="approved", products=[{"product": "intune"}])),
            build.rejected(m365_data(name="rejected", products=[{"product": "onedrive"}])),
        ]


def test_the_sweep_run_twice_changes_each_claim_once(build, ana, django_capture_on_commit_callbacks, mailoutbox):
    claims = _due_mix(build, ana)
    later = MON + timedelta(days=31)
    with django_capture_on_commit_callbacks(execute=True):
        first = sweep_at(later)
        second = sweep_at(later)
    assert (first, second) == (4, 0)
    for claim in claims:
        assert len(system_events(claim)) == 1
    kinds = sorted(Notification.objects.filter(created_at__gte=later).values_list("kind", flat=True))
    assert kinds == ["claim_rejected", "consent_period_passed"]
    assert len([m for m in mailoutbox if "rejected" in m.subject or "eligibility" in m.subject]) == 2


@override_settings(CPOR_SWEEP_BATCH_SIZE=2)
def test_the_sweep_works_in_batches(build, ana):
    claims = _due_mix(build, ana)
    with time_machine.travel(MON + timedelta(days=31), tick=False):
        assert deadlines.process_due_batch() == 2
        assert deadlines.process_due_batch() == 2
        assert deadlines.process_due_batch() == 0
    assert all(len(system_events(c)) == 1 for c in claims)


def test_a_sweep_killed_halfway_changes_nothing_and_the_rerun_finishes(build, ana, monkeypatch):
    claims = _due_mix(build, ana)
    original = deadlines._apply

    def crash(outcome, ids, now):
        if outcome.name.startswith("answer_passed"):
            raise RuntimeError("worker killed")
        return original(outcome, ids, now)

    monkeypatch.setattr(deadlines, "_apply", crash)
    emails = Notification.objects.count()
    with pytest.raises(RuntimeError):
        sweep_at(MON + timedelta(days=31))
    assert ClaimEvent.objects.filter(actor_role="system").count() == 0
    assert Notification.objects.count() == emails
    assert Claim.objects.get(pk=claims[0].pk).state == "submitted"
    monkeypatch.setattr(deadlines, "_apply", original)
    assert sweep_at(MON + timedelta(days=31)) == 4
    assert all(len(system_events(c)) == 1 for c in claims)


def test_nothing_not_yet_due_is_read(build, ana, django_assert_num_queries):
    _due_mix(build, ana)
    with time_machine.travel(MON + timedelta(hours=1), tick=False):
        # SAVEPOINT, the one SELECT of due claims, RELEASE: nothing else is read.
        with django_assert_num_queries(3):
            assert deadlines.process_due_batch() == 0


def test_the_due_lookup_uses_the_partial_deadline_index(build, ana):
    _due_mix(build, ana)
    qs = deadlines.due_claims(MON + timedelta(days=31)).order_by("deadline_at")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = qs.explain()
    else:
        plan = qs.explain()
    assert "claim_due_idx" in plan
