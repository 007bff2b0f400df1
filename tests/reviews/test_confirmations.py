"""Approve, Reject and the customer's Deny ask for a confirmation that works without
JavaScript: the first POST changes nothing and shows what will happen."""

from claims.consent import make_token
from tests.conftest import SUB_HELD, Builder, claim_data, m365_data


def test_approve_first_shows_what_happens_then_approves_on_confirm(client, build, ana):
    claim = build.under_review(m365_data())
    client.force_login(ana)
    url = f"/review/claims/{claim.pk}/approve/"
    first = client.post(url, {"message": "Thanks."})
    html = first.content.decode()
    assert first.status_code == 200 and "Confirm approval" in html and "megan.bowen@contoso.com" in html
    assert 'name="message" value="Thanks."' in html and 'name="confirmed" value="1"' in html
    claim.refresh_from_db()
    assert claim.state == "under_review"
    assert client.post(url, {"message": "Thanks.", "confirmed": "1"}).status_code == 302
    claim.refresh_from_db()
    assert claim.state == "approved"


def test_the_approve_confirmation_says_it_ends_another_partners_association(client, build, northwind, ana):
    Builder(northwind, ana).approved(
        claim_data(mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    claim = build.under_review()
    client.force_login(ana)
    html = client.post(f"/review/claims/{claim.pk}/approve/", {"rationale": "Signed PoE."}).content.decode()
    assert "The association of Northwind Solutions for Dynamics 365 Sales" in html
    # Without a rationale the page explains that first, before any confirmation.
    refused = client.post(f"/review/claims/{claim.pk}/approve/", {"rationale": ""})
    assert refused.status_code == 409 and "Write the rationale" in refused.content.decode()


def test_reject_asks_for_confirmation_and_says_whether_it_can_be_disputed(client, build, ana):
    claim = build.under_review(m365_data())
    client.force_login(ana)
    url = f"/review/claims/{claim.pk}/reject/"
    html = client.post(url, {"reason": "insufficient_poe", "message": "Unsigned."}).content.decode()
    assert "Confirm rejection" in html and "dispute the rejection within 30 days" in html
    claim.refresh_from_db()
    assert claim.state == "under_review"
    client.post(url, {"reason": "insufficient_poe", "message": "Unsigned.", "confirmed": "1"})
    claim.refresh_from_db()
    assert claim.state == "rejected"


def test_the_customers_deny_asks_for_confirmation(client, build):
    claim = build.approved()
    url = f"/consent/{make_token(claim)}/"
    html = client.post(url, {"reason": "Never hired them."}).content.decode()
    assert "Deny this association?" in html and "cannot be undone" in html and "Never hired them." in html
    claim.refresh_from_db()
    assert claim.state == "approved"
    client.post(url, {"reason": "Never hired them.", "confirmed": "1"})
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.rejection_message == "Never hired them."
