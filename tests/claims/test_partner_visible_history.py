"""What a partner reads of its claims' history, everywhere it reads it (API history, claim
page, webhook payloads, CSV export), holds no id, name or number of another company's claim
or company: one allowlist per history action (claims.history), arbitration included.

The check does not compare ids by value alone (SQLite hands out the same small ids to
claims, comments and files): every number a partner reads in a history row's details must
be one the allowlist explains (its own comment, its own file, a size or a count), so the
other side's claim or company id cannot be among them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from claims import deadlines, services
from claims.choices import EventAction
from claims.history import ACTIONS
from claims.models import Claim, ClaimComment, ClaimEvent, ClaimEvidence, User
from integrations.models import WebhookDelivery
from integrations.webhooks import render_payload
from reviews import services as review
from tests.conftest import SUB_HELD, Builder, another_customer, claim_data, m365_data, pdf

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NORTHWIND = {"mpn_id": "5678901", "partner_contact": {"name": "Diego Siciliani", "email": "diego@northwind.example", "phone": ""}}
RATIONALE = "Fabrikam's PoE is signed; Northwind's is an unsigned 2024 slide."
# Numbers a partner may read in its own history, and what each must be.
OWN_NUMBERS = {"comment_id", "evidence_id", "size", "associations_ended"}


def test_every_history_action_is_declared_once():
    assert set(ACTIONS) == set(EventAction.values)
    for action in ACTIONS.values():
        for hook in action.webhooks:
            # A webhook field comes from the partner-visible details only.
            assert set(hook.fields.values()) <= set(action.partner), (action.code, hook.type)


def _numbers(value, key=""):
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v, key)


def _assert_explained(claim: Claim, details: dict, where: str) -> None:
    for key, number in _numbers(details):
        assert key in OWN_NUMBERS, f"{where}: {key}={number} is not a number a partner may read"
        if key == "comment_id":
            assert ClaimComment.objects.filter(pk=number, claim=claim).exists(), where
        if key == "evidence_id":
            assert ClaimEvidence.objects.filter(pk=number, claim=claim).exists(), where


@pytest.fixture
def lifecycle(fabrikam, northwind, ana, ben, django_capture_on_commit_callbacks, httpserver, settings):
    """Both companies' claims through every history action there is, competing for one
    customer and product (arbitration, restoration) and for another (an open claim told)."""
    from tests.integrations.conftest import register

    settings.CPOR_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver is this machine's test server
    register(fabrikam, httpserver)
    register(northwind, httpserver, path="/northwind")
    fab, nw = Builder(fabrikam, ana), Builder(northwind, ana)
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=False):
        # Dynamics 365 Sales at Contoso: Northwind holds it, Fabrikam wins it, the customer denies Fabrikam.
        held = nw.approved(
            claim_data(
                name="Northwind Contoso Sales", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}], **NORTHWIND
            )
        )
        winner = fab.editing(claim_data(name="Fabrikam draft"))
        services.claim_update(claim=winner, actor=fabrikam, data={"name": "Fabrikam Contoso Sales"})
        services.evidence_add(claim=winner, actor=fabrikam, file=pdf("second.pdf"))
        # A file the malware scan finds infected (the scan itself: tests/claims/test_malware_scan.py, real clamd).
        settings.CPOR_SCAN_REQUIRED = True
        infected = services.evidence_add(claim=winner, actor=fabrikam, file=pdf("infected.pdf"))
        settings.CPOR_SCAN_REQUIRED = False
        services.evidence_scanned(evidence_id=infected.pk, signature="Eicar-Test-Signature")
        services.claim_submit(claim=winner, actor=fabrikam)  # arbitration starts on both
        services.comment_add(claim=winner, actor=fabrikam, body="Anything missing?")
        review.review_start(claim=winner, reviewer=ana)
        review.review_assign(claim=winner, reviewer=ana, assignee=ben)
        services.comment_add(claim=winner, actor=ben, body="Checking the PoE.")
        review.review_request_info(claim=winner, reviewer=ben, reasons=["missing_poe"], message="Wrong file?")
        wrong = winner.evidence.order_by("pk").first()
        services.evidence_remove(evidence=wrong, actor=fabrikam, reason="Wrong file")
        services.claim_respond(claim=winner, actor=fabrikam, message="Removed the wrong file.")
        # Teams at Contoso: Northwind's open claim is told when Fabrikam's is approved.
        open_nw = nw.submitted(m365_data(name="Northwind Contoso Teams", **NORTHWIND))
        teams = fab.under_review(m365_data(name="Fabrikam Contoso Teams"))
        review.review_approve(claim=winner, reviewer=ben, rationale=RATIONALE)
        review.review_approve(claim=teams, reviewer=ana)
        winner.refresh_from_db()
        services.consent_deny(claim_id=winner.pk, nonce=winner.consent_nonce.hex, reason="We never worked with them.")
        # Each deadline of the sweep, on claims of both companies.
        fab.submitted(m365_data(name="Fabrikam unpicked", **another_customer(1)))
        nw.under_review(m365_data(name="Northwind overdue", **another_customer(2), **NORTHWIND))
        fab.par(m365_data(name="Fabrikam unanswered", **another_customer(3)))
        disputed = nw.rejected(m365_data(name="Northwind rejected", **another_customer(4), **NORTHWIND))
        services.claim_dispute(claim=disputed, actor=northwind, justification="The customer confirmed by phone.")
        review.review_reject(claim=disputed, reviewer=ana, reason="insufficient_poe", message="Still no signature.")
        fab.rejected(m365_data(name="Fabrikam rejected", **another_customer(6)))
        withdrawn = fab.submitted(m365_data(name="Fabrikam withdrawn", **another_customer(5)))
        services.claim_withdraw(claim=withdrawn, actor=fabrikam, reason="wrong_mpn")
    with time_machine.travel(MONDAY + timedelta(days=40), tick=False), django_capture_on_commit_callbacks(execute=False):
        assert deadlines.run_sweep() > 0
    return {"held": held, "open": open_nw, "winner": winner}


def _partner_reads(client, user: User, claim: Claim) -> tuple[list[tuple[str, dict]], str]:
    """(history rows as the partner reads them: (action, details)), and every text it reads."""
    api = APIClient()
    api.force_authenticate(user)
    history = api.get(f"/api/v1/claims/{claim.pk}/history/?page_size=100").json()["results"]
    rows = [(row["action"], row["details"]) for row in history]
    texts = [json.dumps(history)]
    client.force_login(user)
    texts.append(client.get(f"/claims/{claim.pk}/").content.decode())
    for delivery in WebhookDelivery.objects.filter(claim=claim, endpoint__company_id=user.company_id):
        rows.append((f"webhook {delivery.event_type}", delivery.data))
        texts.append(render_payload(delivery))
    export = client.get("/claims/export.csv")
    texts.append(b"".join(export.streaming_content).decode("utf-8-sig"))
    return rows, "\n".join(texts)


def test_a_partner_reads_nothing_of_the_other_side_in_any_history_row(client, lifecycle, fabrikam, northwind):
    seen: set[str] = set()
    for user, other in ((fabrikam, northwind), (northwind, fabrikam)):
        others = Claim.objects.filter(company_id=other.company_id)
        names = [other.company.name, *User.objects.filter(company_id=other.company_id).values_list("username", flat=True)]
        names += [c.name for c in others]
        for claim in Claim.objects.filter(company_id=user.company_id):
            rows, text = _partner_reads(client, user, claim)
            for action, details in rows:
                seen.add(action)
                _assert_explained(claim, details, f"{user.username} #{claim.pk} {action}")
            for name in names:
                assert name not in text, f"{user.username} reads {name!r} on #{claim.pk}"
            for pk in others.values_list("pk", flat=True):
                assert f"/claims/{pk}/" not in text and f"#{pk} " not in text
    # Every action a partner can see was read above, so none escaped the check.
    assert {a for a in seen if not a.startswith("webhook ")} == set(EventAction.values)


def test_reviewers_still_read_both_sides(lifecycle, ana):
    api = APIClient()
    api.force_authenticate(ana)
    winner, held = lifecycle["winner"], lifecycle["held"]
    approved = [e for e in api.get(f"/api/v1/claims/{winner.pk}/history/").json()["results"] if e["action"] == "approved"][0]
    assert approved["details"]["rationale"] == RATIONALE
    assert approved["details"]["associations_ended"][0]["claim"] == held.pk
    assert ClaimEvent.objects.get(claim=held, action="arbitration_decided").details["decided_by_claim"] == winner.pk
