"""Competing claims between two companies, end to end through the services, the pages,
the CSV, the API and the emails: warn -> submit -> arbitrate -> loser told -> customer
denies the winner -> loser restored. The other partner stays anonymous throughout."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core import mail
from rest_framework.test import APIClient

from claims import services
from claims.errors import DomainError
from claims.models import Association, ClaimEvent
from reviews import services as review
from tests.conftest import SUB_HELD, Builder, claim_data, m365_data

NORTHWIND_CONTACT = {"name": "Diego Siciliani", "email": "diego@northwind.example", "phone": ""}
RATIONALE = "Fabrikam's PoE is signed by Megan Bowen in 2026; Northwind Solutions' PoE is an unsigned 2024 slide."


def northwind_data(**overrides) -> dict:
    data = {
        "name": "Northwind Contoso Sales",
        "mpn_id": "5678901",
        "products": [{"product": "d365_sales", "subscription_id": SUB_HELD}],
        "partner_contact": NORTHWIND_CONTACT,
    }
    return claim_data(**{**data, **overrides})


@pytest.fixture
def sides(fabrikam, northwind, ana, django_capture_on_commit_callbacks):
    """Northwind holds Contoso / Dynamics 365 Sales (approved); Fabrikam drafts the same."""
    with django_capture_on_commit_callbacks(execute=True):
        held = Builder(northwind, ana).approved(northwind_data())
        draft = Builder(fabrikam, ana).editing()
    mail.outbox.clear()
    return held, draft


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else response.content.decode()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- 1. Warn before submitting ----------------------------------------------------------


def test_the_draft_page_the_confirmation_and_the_api_warn_without_naming_the_other_partner(client, sides, fabrikam):
    held, draft = sides
    detail = page(client, fabrikam, f"/claims/{draft.pk}/")
    confirm = page(client, fabrikam, f"/claims/{draft.pk}/submit/")
    for html in (detail, confirm):
        assert "Another partner holds or claims this customer" in html
        assert "Dynamics 365 Sales</strong> — another partner holds the association" in html
        assert "compares the proof of execution of each side" in html
        assert "Northwind" not in html and "northwind" not in html
    body = api(fabrikam).get(f"/api/v1/claims/{draft.pk}/").json()
    assert body["conflicts"] == [{"product": "d365_sales", "name": "Dynamics 365 Sales", "kind": "held"}]


def test_an_open_claim_of_another_partner_is_a_claimed_conflict(client, fabrikam, northwind, ana):
    Builder(northwind, ana).submitted(m365_data(mpn_id="5678901", partner_contact=NORTHWIND_CONTACT))
    draft = Builder(fabrikam, ana).editing(m365_data(products=[{"product": "teams"}, {"product": "intune"}]))
    assert api(fabrikam).get(f"/api/v1/claims/{draft.pk}/").json()["conflicts"] == [
        {"product": "teams", "name": "Microsoft Teams", "kind": "claimed"}
    ]


def test_the_form_check_warns_as_soon_as_tenant_and_products_are_typed(client, sides, fabrikam):
    client.force_login(fabrikam)
    url = "/claims/conflicts/?tenant=7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d&products=d365_sales&products=teams"
    html = client.get(url).content.decode()
    assert "Dynamics 365 Sales</strong> — another partner holds the association" in html
    assert "Teams" not in html and "Northwind" not in html
    assert client.get("/claims/conflicts/?tenant=2f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f&products=d365_sales").content.strip() == b""


def test_the_schema_documents_conflicts(client):
    schema = client.get("/api/schema/?format=json").json()
    detail = schema["components"]["schemas"]["ClaimDetail"]["properties"]
    assert "conflicts" in detail
    conflict = schema["components"]["schemas"]["Conflict"]["properties"]
    kind = conflict["kind"]
    if "$ref" in json.dumps(kind):
        kind = schema["components"]["schemas"][json.dumps(kind).split("/")[-1].split('"')[0]]
    assert kind["enum"] == ["held", "claimed"]


# --- 2. The losing side is told ---------------------------------------------------------


def _arbitrate(sides, fabrikam, ana, capture):
    held, draft = sides
    with capture(execute=True):
        services.claim_submit(claim=draft, actor=fabrikam)
        review.review_start(claim=draft, reviewer=ana)
        review.review_approve(claim=draft, reviewer=ana, rationale=RATIONALE)
    held.refresh_from_db()
    draft.refresh_from_db()
    return held, draft


def test_the_loser_is_emailed_and_its_claim_says_association_ended_everywhere(
    client, sides, fabrikam, northwind, ana, django_capture_on_commit_callbacks
):
    held, winner = _arbitrate(sides, fabrikam, ana, django_capture_on_commit_callbacks)
    assert held.association_ended_at is not None and held.deadline_kind == "" and held.state == "approved"
    lost = [m for m in mail.outbox if "association ended, decided for another partner" in m.subject]
    assert sorted(m.to[0] for m in lost) == ["diego@northwind.example", "global@northwind.example"]
    assert all("Fabrikam" not in m.body and "fabrikam" not in m.body for m in lost)

    detail = page(client, northwind, f"/claims/{held.pk}/")
    assert "Association ended: decided for another partner on" in detail
    assert "Sent to incentive eligibility evaluation" not in detail and ">Withdraw<" not in detail
    assert "Association ended: decided for another partner on" in page(client, northwind, "/claims/")
    assert "Decided for another partner on" in page(client, northwind, "/claims/associations/")
    rows = list(csv.DictReader(io.StringIO(page(client, northwind, "/claims/export.csv"))))
    assert rows[0]["Next deadline"].startswith("Association ended") and rows[0]["Association ended (UTC)"]
    ended = api(northwind).get("/api/v1/associations/", {"status": "ended"}).json()["results"]
    assert [(a["claim"], a["product"], a["end_reason"]) for a in ended] == [(held.pk, "d365_sales", "arbitration")]
    assert api(northwind).get("/api/v1/associations/").json()["count"] == 0
    assert api(northwind).get("/api/v1/associations/", {"status": "bogus"}).status_code == 400
    body = api(northwind).get(f"/api/v1/claims/{held.pk}/").json()
    assert body["association_ended_at"] and "withdraw" not in body["available_actions"]
    refused = api(northwind).post(f"/api/v1/claims/{held.pk}/withdraw/", {"reason": "wrong_mpn"}, format="json")
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "association_ended"


def test_the_losers_open_claims_for_that_customer_and_product_are_told_too(
    fabrikam, northwind, ana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rival = Builder(northwind, ana).submitted(m365_data(mpn_id="5678901", partner_contact=NORTHWIND_CONTACT))
        mine = Builder(fabrikam, ana).under_review(m365_data())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_approve(claim=mine, reviewer=ana)
    note = rival.comments.get(kind="arbitration", body__contains="approved another partner's claim")
    assert "still decide this claim" in note.body and "Fabrikam" not in note.body
    (told,) = [m for m in mail.outbox if m.to == ["diego@northwind.example"]]
    assert "arbitration decided for another partner" in told.subject and "stays open" in told.body
    assert rival.events.filter(action="arbitration_decided_open").exists()


# --- 3. A customer denial of the winner restores the loser ---------------------------------


def test_a_customer_denial_of_the_winner_restores_the_losers_association(
    sides, fabrikam, northwind, ana, django_capture_on_commit_callbacks
):
    held, winner = _arbitrate(sides, fabrikam, ana, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_deny(claim_id=winner.pk, nonce=winner.consent_nonce.hex, reason="We never worked with them.")
    held.refresh_from_db()
    active = Association.objects.get(tenant=held.tenant, product__code="d365_sales", ended_at__isnull=True)
    assert active.claim_id == held.pk
    assert held.association_ended_at is None and held.deadline_kind == "consent_window"
    assert held.events.filter(action="association_restored").count() == 1
    assert winner.events.filter(action="associations_restored").count() == 1
    restored = [m for m in mail.outbox if "association restored" in m.subject]
    assert sorted(m.to[0] for m in restored) == ["diego@northwind.example", "global@northwind.example"]
    assert all("Fabrikam" not in m.body for m in restored)


def test_a_partly_ended_loser_keeps_its_other_products_and_once_withdrawn_is_not_restored(
    fabrikam, northwind, ana, django_capture_on_commit_callbacks
):
    from tests.conftest import SUB_SERVICE

    two = [
        {"product": "d365_sales", "subscription_id": SUB_HELD},
        {"product": "d365_customer_service", "subscription_id": SUB_SERVICE},
    ]
    held = Builder(northwind, ana).approved(northwind_data(products=two))
    winner = Builder(fabrikam, ana).under_review()
    review.review_approve(claim=winner, reviewer=ana, rationale=RATIONALE)
    held.refresh_from_db()
    assert held.association_ended_at is None  # it still holds Customer Service
    assert Association.objects.get(claim=held, product__code="d365_sales").end_reason == "arbitration"
    services.claim_withdraw(claim=held, actor=northwind, reason="no_longer_working_with_customer")
    winner.refresh_from_db()
    services.consent_deny(claim_id=winner.pk, nonce=winner.consent_nonce.hex)
    assert not Association.objects.filter(tenant=held.tenant, ended_at__isnull=True).exists()
    assert not held.events.filter(action="association_restored").exists()


# --- 4. Duplicates inside one company ----------------------------------------------------


def test_a_second_live_claim_of_one_company_is_refused_naming_the_first(client, fabrikam, ana):
    first = Builder(fabrikam, ana).submitted(m365_data(name="First Teams"))
    second = Builder(fabrikam, ana).editing(m365_data(name="Second Teams", products=[{"product": "teams"}]))
    refused = api(fabrikam).post(f"/api/v1/claims/{second.pk}/submit/")
    assert refused.status_code == 409
    (error,) = refused.json()["errors"]
    assert error["code"] == "duplicate_claim" and f"#{first.pk}" in error["message"] and "First Teams" in error["message"]
    client.force_login(fabrikam)
    shown = client.post(f"/claims/{second.pk}/submit/", follow=True).content.decode()
    assert "already has a live claim for this customer and product" in shown
    second.refresh_from_db()
    assert second.state == "editing"


def test_another_company_on_the_same_customer_and_product_is_not_a_duplicate(fabrikam, northwind, ana):
    Builder(fabrikam, ana).submitted(m365_data())
    other = Builder(northwind, ana).submitted(m365_data(mpn_id="5678901", partner_contact=NORTHWIND_CONTACT))
    assert other.state == "submitted"


def test_adding_a_product_held_by_the_companys_other_claim_after_submission_is_a_duplicate(fabrikam, ana):
    Builder(fabrikam, ana).submitted(m365_data(name="Teams"))
    intune = Builder(fabrikam, ana).submitted(m365_data(name="Intune", products=[{"product": "intune"}]))
    with pytest.raises(DomainError) as info:
        services.claim_update(claim=intune, actor=fabrikam, data={"products": [{"product": "intune"}, {"product": "teams"}]})
    assert info.value.code == "duplicate_claim"


# --- 5. Confidentiality -------------------------------------------------------------------


def _everything_a_partner_reads(client, user, claim_ids) -> tuple[str, list]:
    """Every text the partner reads, and the API's answers as data."""
    parts = [page(client, user, url) for url in ("/claims/", "/claims/associations/", "/claims/export.csv")]
    rest = api(user)
    answers = [rest.get("/api/v1/claims/").json(), rest.get("/api/v1/associations/").json()]
    for pk in claim_ids:
        parts.append(page(client, user, f"/claims/{pk}/"))
        answers += [rest.get(f"/api/v1/claims/{pk}/{suffix}").json() for suffix in ("", "history/", "comments/", "evidence/")]
    parts += [json.dumps(answer) for answer in answers]
    parts += [
        f"{m.subject}\n{m.body}\n{m.alternatives[0][0] if m.alternatives else ''}" for m in mail.outbox if user.email in m.to
    ]
    return "\n".join(parts), answers


def _claims_in(value):
    """Every claim object in an API answer (a claim carries its status)."""
    if isinstance(value, dict):
        if "id" in value and "status" in value:
            yield value
        for v in value.values():
            yield from _claims_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _claims_in(v)


def test_neither_side_can_read_anything_that_identifies_the_other(
    client, sides, fabrikam, northwind, ana, django_capture_on_commit_callbacks
):
    held, winner = _arbitrate(sides, fabrikam, ana, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_deny(claim_id=winner.pk, nonce=winner.consent_nonce.hex)
    northwind_reads, northwind_answers = _everything_a_partner_reads(client, northwind, [held.pk])
    fabrikam_reads, fabrikam_answers = _everything_a_partner_reads(client, fabrikam, [winner.pk])
    assert "arbitration" in northwind_reads.lower() and "restored" in northwind_reads.lower()
    for text, answers, other, other_claim in (
        (northwind_reads, northwind_answers, "fabrikam", winner),
        (fabrikam_reads, fabrikam_answers, "northwind", held),
    ):
        low = text.lower()
        assert other not in low
        assert f"/claims/{other_claim.pk}/" not in text and f"#{other_claim.pk} " not in text
        # By structure, not by value: history rows, comments and files have ids of their own,
        # which SQLite hands out as small as the claims'. (The details of every history row
        # are held to claims.history's allowlist in test_partner_visible_history.)
        read = [c["id"] for answer in answers for c in _claims_in(answer)]
        assert read and other_claim.pk not in read
        assert "decided_by_claim" not in text and "restored_by_denial_of" not in text and '"company"' not in text
        assert "unsigned 2024 slide" not in text  # the reviewer's rationale
    # Reviewers read both sides and the rationale.
    history = api(ana).get(f"/api/v1/claims/{winner.pk}/history/").json()["results"]
    approved = [e for e in history if e["action"] == "approved"][0]
    assert approved["details"]["rationale"] == RATIONALE
    assert approved["details"]["associations_ended"][0]["claim"] == held.pk
    loser_history = api(ana).get(f"/api/v1/claims/{held.pk}/history/").json()["results"]
    assert any(e["details"].get("decided_by_claim") == winner.pk for e in loser_history)
    assert ClaimEvent.objects.filter(claim=held, action="arbitration_decided").count() == 1
