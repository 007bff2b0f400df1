"""Every transition, allowed and refused: by state, by role, by company."""

import pytest
import time_machine
from django.utils import timezone

from claims import services
from claims.errors import DomainError
from claims.models import Association
from reviews import services as review
from tests.conftest import pdf

STATES = ["editing", "submitted", "under_review", "par", "approved", "rejected"]


def make(build, state):
    return getattr(build, {"par": "par"}.get(state, state))()


def actions(fabrikam, ana):
    return {
        "submit": lambda c: services.claim_submit(claim=c, actor=fabrikam),
        "start_review": lambda c: review.review_start(claim=c, reviewer=ana),
        "request_info": lambda c: review.review_request_info(claim=c, reviewer=ana, reasons=["missing_poe"], message="m"),
        "respond": lambda c: services.claim_respond(claim=c, actor=fabrikam, message="Uploaded."),
        "approve": lambda c: review.review_approve(claim=c, reviewer=ana),
        "reject": lambda c: review.review_reject(claim=c, reviewer=ana, reason="insufficient_poe", message="m"),
        "withdraw": lambda c: services.claim_withdraw(claim=c, actor=fabrikam, reason="wrong_mpn"),
        "dispute": lambda c: services.claim_dispute(claim=c, actor=fabrikam, justification="The PoE is signed."),
    }


# (action, state it starts from) -> state it ends in. Every other pair is refused.
ALLOWED = {
    ("submit", "editing"): "submitted",
    ("start_review", "submitted"): "under_review",
    ("request_info", "under_review"): "partner_action_required",
    ("respond", "par"): "under_review",
    ("approve", "under_review"): "approved",
    ("reject", "under_review"): "rejected",
    ("withdraw", "submitted"): "rejected",
    ("withdraw", "under_review"): "rejected",
    ("withdraw", "par"): "rejected",
    ("withdraw", "approved"): "rejected",
    ("dispute", "rejected"): "under_review",
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(
    "action", ["submit", "start_review", "request_info", "respond", "approve", "reject", "withdraw", "dispute"]
)
def test_transition_table(build, fabrikam, ana, action, state):
    claim = make(build, state)
    events_before = claim.events.count()
    run = actions(fabrikam, ana)[action]
    expected = ALLOWED.get((action, state))
    if expected:
        result = run(claim)
        assert result.state == expected
        claim.refresh_from_db()
        assert claim.state == expected
        last = claim.events.order_by("-id").first()
        assert (last.from_state, last.to_state) == ({"par": "partner_action_required"}.get(state, state), expected)
        assert claim.events.count() > events_before
    else:
        with pytest.raises(DomainError) as info:
            run(claim)
        assert info.value.code == "invalid_transition"
        claim.refresh_from_db()
        assert claim.events.count() == events_before


def test_state_field_is_protected(build):
    claim = build.editing()
    with pytest.raises(AttributeError):
        claim.state = "approved"


@pytest.mark.parametrize("persona", ["fabrikam", "fabrikam_incentives", "fabrikam_billing"])
def test_every_claims_role_may_file_and_submit(request, directory, persona):
    user = request.getfixturevalue(persona)
    from tests.conftest import Builder

    assert Builder(user, None).submitted().state == "submitted"


def test_a_user_without_a_claims_role_cannot_create(fabrikam_viewer):
    with pytest.raises(DomainError) as info:
        services.claim_create(actor=fabrikam_viewer, data={"name": "x"})
    assert info.value.code == "permission_denied" and info.value.http_status == 403


def test_a_user_without_a_claims_role_cannot_act_on_own_company_claims(build, fabrikam_viewer):
    claim = build.editing()
    with pytest.raises(DomainError) as info:
        services.claim_submit(claim=claim, actor=fabrikam_viewer)
    assert info.value.code == "permission_denied"


@pytest.mark.parametrize(
    "call",
    [
        lambda c, u: services.claim_submit(claim=c, actor=u),
        lambda c, u: services.claim_update(claim=c, actor=u, data={"name": "mine now"}),
        lambda c, u: services.evidence_add(claim=c, actor=u, file=pdf()),
        lambda c, u: services.comment_add(claim=c, actor=u, body="hello"),
        lambda c, u: services.claim_withdraw(claim=c, actor=u, reason="wrong_mpn"),
        lambda c, u: services.claim_delete(claim=c, actor=u),
    ],
)
def test_another_company_gets_not_found(build, northwind, call):
    claim = build.editing()
    with pytest.raises(DomainError) as info:
        call(claim, northwind)
    assert info.value.code == "not_found" and info.value.http_status == 404
    claim.refresh_from_db()
    assert claim.name == "Contoso Sales adoption" and claim.state == "editing"


@pytest.mark.parametrize(
    "call",
    [
        lambda c, u: review.review_start(claim=c, reviewer=u),
        lambda c, u: review.review_approve(claim=c, reviewer=u),
        lambda c, u: review.review_reject(claim=c, reviewer=u, reason="insufficient_poe", message="m"),
        lambda c, u: review.review_request_info(claim=c, reviewer=u, reasons=["missing_poe"], message="m"),
    ],
)
def test_partners_cannot_take_reviewer_actions(build, fabrikam, call):
    claim = build.submitted()
    with pytest.raises(DomainError) as info:
        call(claim, fabrikam)
    assert info.value.code == "reviewer_only" and info.value.http_status == 403


def test_reviewers_cannot_take_partner_actions(build, ana):
    claim = build.editing()
    with pytest.raises(DomainError) as info:
        services.claim_submit(claim=claim, actor=ana)
    assert info.value.code == "not_found"


def test_submit_starts_the_pickup_clock_and_emails_the_partner(build, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.submitted()
    assert claim.deadline_kind == "review_pickup" and claim.deadline_at > claim.submitted_at
    assert [m.to for m in mailoutbox] == [["alex.wilber@fabrikam.example"]]
    assert "submitted" in mailoutbox[0].subject


def test_start_review_assigns_the_reviewer_and_starts_the_decision_clock(build, ana):
    claim = build.under_review()
    assert claim.assigned_reviewer == ana and claim.deadline_kind == "review_decision"


def test_request_info_posts_a_comment_and_emails_reasons_and_deadline(build, ana, mailoutbox, django_capture_on_commit_callbacks):
    claim = build.under_review()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_request_info(
            claim=claim,
            reviewer=ana,
            reasons=["missing_customer_signature", "missing_products"],
            message="Sign it please.",
            remove_products=["d365_sales"],
        )
    claim.refresh_from_db()
    assert claim.state == "partner_action_required" and claim.deadline_kind == "partner_answer"
    note = claim.comments.get(kind="info_request")
    assert "Sign it please." in note.body and "Dynamics 365 Sales" in note.body
    (mail,) = mailoutbox
    assert "Missing customer confirmation signature" in mail.body and "Answer and resubmit by" in mail.body
    assert claim.events.last().details["remove_products"] == ["d365_sales"]


def test_request_info_needs_a_known_reason_and_a_message(build, ana):
    claim = build.under_review()
    with pytest.raises(DomainError) as info:
        review.review_request_info(claim=claim, reviewer=ana, reasons=["because"], message="")
    assert sorted(info.value.codes) == ["invalid_reason", "message_required"]


def test_answer_returns_to_the_same_reviewer_with_a_fresh_clock(build, fabrikam, ana):
    claim = build.par()
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1), tick=False):
        claim = services.claim_respond(claim=claim, actor=fabrikam, message="Signed PoE uploaded.")
        assert claim.state == "under_review" and claim.assigned_reviewer == ana
        assert claim.deadline_kind == "review_decision" and claim.deadline_at > timezone.now() + timezone.timedelta(days=4)
    assert claim.comments.filter(kind="answer").exists()


def test_approve_creates_associations_starts_consent_and_emails_both(build, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.approved()
    assoc = Association.objects.get(claim=claim)
    assert assoc.company == claim.company and assoc.product.code == "d365_sales" and assoc.ended_at is None
    assert str(assoc.subscription.subscription_id) == "11111111-1111-4111-8111-111111111111"
    assert claim.deadline_kind == "consent_window"
    assert (claim.deadline_at - claim.decided_at).days == 7
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == ["alex.wilber@fabrikam.example", "alex.wilber@fabrikam.example", "megan.bowen@contoso.com"]
    consent = next(m for m in mailoutbox if m.to == ["megan.bowen@contoso.com"])
    assert "Fabrikam Consulting" in consent.body and "/consent/" in consent.body


def test_reject_starts_the_dispute_window_and_says_how_to_dispute(build, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.rejected()
    assert claim.rejection_reason == "insufficient_poe" and claim.deadline_kind == "dispute_window"
    assert (claim.deadline_at - claim.decided_at).days == 30
    rejection = mailoutbox[-1]
    assert "Insufficient proof of execution" in rejection.body and "dispute this decision until" in rejection.body


def test_reviewer_cannot_reject_with_a_system_reason(build, ana):
    claim = build.under_review()
    with pytest.raises(DomainError) as info:
        review.review_reject(claim=claim, reviewer=ana, reason="customer_denial", message="m")
    assert info.value.codes == ["invalid_reason"]


def test_withdraw_from_approved_ends_the_association(build, fabrikam):
    claim = build.approved()
    services.claim_withdraw(claim=claim, actor=fabrikam, reason="no_longer_working_with_customer", message="Contract ended.")
    claim.refresh_from_db()
    assert claim.rejection_reason == "partner_request" and claim.deadline_kind == ""
    assert Association.objects.get(claim=claim).end_reason == "partner_request"


def test_withdraw_needs_a_listed_reason(build, fabrikam):
    with pytest.raises(DomainError) as info:
        services.claim_withdraw(claim=build.submitted(), actor=fabrikam, reason="bored")
    assert info.value.codes == ["invalid_reason"]


def test_dispute_returns_to_review_marked_with_a_dispute_clock(build, fabrikam):
    claim = build.rejected()
    claim = services.claim_dispute(claim=claim, actor=fabrikam, justification="Signed PoE attached.", files=[pdf("new.pdf")])
    assert claim.state == "under_review" and claim.is_dispute and claim.deadline_kind == "dispute_decision"
    assert claim.evidence.filter(for_dispute=True).count() == 1
    assert claim.comments.get(kind="dispute").body == "Signed PoE attached."


def test_dispute_needs_justification_or_poe(build, fabrikam):
    with pytest.raises(DomainError) as info:
        services.claim_dispute(claim=build.rejected(), actor=fabrikam, justification=" ")
    assert info.value.codes == ["dispute_needs_content"]


def test_a_claim_is_disputed_once_and_the_second_rejection_is_final(
    build, fabrikam, ana, mailoutbox, django_capture_on_commit_callbacks
):
    claim = services.claim_dispute(claim=build.rejected(), actor=fabrikam, justification="Look again.")
    with django_capture_on_commit_callbacks(execute=True):
        claim = review.review_reject(claim=claim, reviewer=ana, reason="insufficient_poe", message="Still unsigned.")
    assert claim.deadline_kind == "" and "cannot be disputed" in mailoutbox[-1].body
    with pytest.raises(DomainError) as info:
        services.claim_dispute(claim=claim, actor=fabrikam, justification="Again!")
    assert info.value.code == "not_disputable"


@pytest.mark.parametrize("how", ["withdraw", "consent_denial"])
def test_partner_request_and_customer_denial_cannot_be_disputed(build, fabrikam, how):
    if how == "withdraw":
        claim = services.claim_withdraw(claim=build.submitted(), actor=fabrikam, reason="wrong_activity")
    else:
        approved = build.approved()
        claim = services.consent_deny(claim_id=approved.pk, nonce=approved.consent_nonce.hex)
    with pytest.raises(DomainError) as info:
        services.claim_dispute(claim=claim, actor=fabrikam, justification="Please.")
    assert info.value.code == "not_disputable"


def test_dispute_is_allowed_on_day_30_and_refused_after(build, fabrikam):
    claim = build.rejected()
    with time_machine.travel(claim.deadline_at - timezone.timedelta(minutes=1), tick=False):
        assert services.claim_dispute(claim=claim, actor=fabrikam, justification="ok").state == "under_review"
    other = build.rejected(_second())
    with time_machine.travel(other.deadline_at, tick=False):
        with pytest.raises(DomainError) as info:
            services.claim_dispute(claim=other, actor=fabrikam, justification="late")
    assert info.value.code == "dispute_window_closed"


def _second():
    from tests.conftest import m365_data

    return m365_data(name="Second claim")


def test_approving_against_another_partners_association_needs_a_rationale_and_ends_it(build, northwind, ana):
    from tests.conftest import Builder, claim_data

    held = Builder(northwind, ana).approved(
        claim_data(
            mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": "77777777-7777-4777-8777-777777777777"}]
        )
    )
    claim = build.under_review()  # same tenant and product, another subscription: competing
    with pytest.raises(DomainError) as info:
        review.review_approve(claim=claim, reviewer=ana)
    assert info.value.code == "rationale_required"
    claim.refresh_from_db()
    assert claim.state == "under_review" and Association.objects.get(claim=held).ended_at is None

    review.review_approve(claim=claim, reviewer=ana, rationale="Fabrikam's PoE is signed and recent; Northwind's is from 2024.")
    assert Association.objects.get(claim=held).end_reason == "arbitration"
    assert Association.objects.filter(tenant=claim.tenant, product__code="d365_sales", ended_at__isnull=True).get().claim == claim
    assert claim.events.get(action="approved").details["rationale"].startswith("Fabrikam's PoE")
    notice = held.comments.get(kind="arbitration", body__contains="decided for another partner")
    assert "Fabrikam" not in notice.body
    assert held.events.filter(action="arbitration_decided").count() == 1


def test_a_second_live_claim_of_one_company_for_a_held_customer_and_product_is_a_duplicate(build, fabrikam):
    from tests.conftest import SUB_HELD, claim_data

    first = build.approved()
    renewal = build.editing(claim_data(name="Renewal", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}]))
    with pytest.raises(DomainError) as info:
        services.claim_submit(claim=renewal, actor=fabrikam)
    assert info.value.codes == ["duplicate_claim"] and f"#{first.pk}" in info.value.errors[0].message
    # Once the first claim is withdrawn, the renewal goes through.
    services.claim_withdraw(claim=first, actor=fabrikam, reason="no_longer_working_with_customer")
    assert services.claim_submit(claim=renewal, actor=fabrikam).state == "submitted"


def test_delete_is_for_drafts_only(build, fabrikam):
    draft = build.editing()
    services.claim_delete(claim=draft, actor=fabrikam)
    submitted = build.submitted(_second())
    with pytest.raises(DomainError) as info:
        services.claim_delete(claim=submitted, actor=fabrikam)
    assert info.value.code == "invalid_transition"


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_dispute_decision_email_says_it_decides_the_dispute(
    build, fabrikam, ana, mailoutbox, django_capture_on_commit_callbacks, decision
):
    claim = services.claim_dispute(claim=build.rejected(), actor=fabrikam, justification="Look again.")
    with django_capture_on_commit_callbacks(execute=True):
        if decision == "approve":
            review.review_approve(claim=claim, reviewer=ana)
        else:
            review.review_reject(claim=claim, reviewer=ana, reason="insufficient_poe", message="Still unsigned.")
    partner_mail = [m for m in mailoutbox if m.to == ["alex.wilber@fabrikam.example"]][-1]
    assert partner_mail.subject.startswith("Dispute decided:") and f"/claims/{claim.pk}/" in partner_mail.body
