"""The customer's consent link: signed, one claim, once, within 7 days; clear pages otherwise."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from claims.consent import make_token
from tests.conftest import m365_data


def link(claim):
    return f"/consent/{make_token(claim)}/"


def test_the_emailed_link_shows_who_claims_what_and_denies_once(build, client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        claim = build.approved()
    email = next(m for m in mailoutbox if m.to == ["megan.bowen@contoso.com"])
    url = next(word for word in email.body.split() if "/consent/" in word).replace("http://testserver", "")
    page = client.get(url)
    assert page.status_code == 200
    assert b"Fabrikam Consulting" in page.content and b"Dynamics 365 Sales" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"reason": "We never hired them.", "confirmed": "1"})
    assert done.status_code == 200 and b"Association denied" in done.content
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.rejection_reason == "customer_denial"
    assert claim.rejection_message == "We never hired them."
    assert mailoutbox[-1].to == ["alex.wilber@fabrikam.example"] and "Customer denial" in mailoutbox[-1].body
    again = client.post(url, {"reason": "twice", "confirmed": "1"})
    assert again.status_code == 200 and b"already denied" in again.content
    assert claim.events.filter(action="consent_denied").count() == 1


def test_a_link_cannot_deny_another_claim(build, client):
    from django.core import signing

    from claims.consent import SALT

    mine = build.approved()
    other = build.approved(m365_data(name="Other"))
    # Even a correctly signed token that names another claim carries this approval's
    # nonce, which the other claim does not have.
    crossed = signing.dumps({"c": other.pk, "n": mine.consent_nonce.hex}, salt=SALT, compress=True)
    assert client.post(f"/consent/{crossed}/").status_code == 404
    other.refresh_from_db()
    mine.refresh_from_db()
    assert other.state == mine.state == "approved"


def test_a_tampered_link_gets_a_clear_page(build, client):
    claim = build.approved()
    response = client.get(link(claim)[:-5] + "xxxx/")
    assert response.status_code == 404 and b"This link is not valid" in response.content


def test_the_link_stops_after_seven_days(build, client):
    claim = build.approved()
    url = link(claim)
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1), tick=False):
        response = client.post(url, {"confirmed": "1"})
    # The signature's own 7-day age limit refuses it before the claim is even read.
    assert response.status_code == 404 and b"This link is not valid" in response.content
    claim.refresh_from_db()
    assert claim.state == "approved"


def test_a_link_to_a_claim_the_partner_withdrew_shows_it_has_expired(build, client, fabrikam):
    from claims import services

    claim = build.approved()
    url = link(claim)
    services.claim_withdraw(claim=claim, actor=fabrikam, reason="no_longer_working_with_customer")
    response = client.post(url, {"reason": "x", "confirmed": "1"})
    assert response.status_code == 200 and b"This link has expired" in response.content
    claim.refresh_from_db()
    assert claim.rejection_reason == "partner_request"


def test_the_consent_page_needs_no_account_and_reveals_only_that_claim(build, client):
    claim = build.approved()
    page = client.get(link(claim))
    assert page.status_code == 200
    assert b"megan.bowen" not in page.content and b"4567890" not in page.content  # no contacts, no MPN
