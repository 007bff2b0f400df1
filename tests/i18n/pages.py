"""Every page a partner, reviewer, customer or admin opens, and every email, rendered from
the demo data: what the i18n tests read (test_no_english: no English left; test_clock_lengths:
no clock length but the configured one)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client, override_settings
from django.utils import timezone

from claims import demo, notifications, outbox
from claims.choices import ClaimState, RejectionReason, WithdrawReason
from claims.consent import consent_url
from claims.models import Claim, User

from .support import everyone_speaks

EMAIL_CONTEXTS = {
    "claim_submitted": lambda c, now: {"review_by": now + timedelta(days=7)},
    "claim_approved": lambda c, now: {"products": ["Dynamics 365 Sales"]},
    "claim_rejected": lambda c, now: {
        "reason": RejectionReason.INSUFFICIENT_POE,  # a code, as the services store it
        "message": "",
        "dispute_until": now + timedelta(days=30),
        "is_final": False,
    },  # fmt: skip
    "claim_withdrawn": lambda c, now: {"reason": WithdrawReason.values[0], "message": ""},
    "comment_posted": lambda c, now: {"body": "—"},
    "consent_period_passed": lambda c, now: {},
    "consent_request": lambda c, now: {
        "products": ["Dynamics 365 Sales"],
        "consent_url": consent_url(c),
        "consent_until": now + timedelta(days=7),
    },  # fmt: skip
    "info_requested": lambda c, now: {
        "reasons": ["—"],
        "message": "—",
        "remove_products": ["Dynamics 365 Sales"],
        "answer_by": now + timedelta(days=7),
    },  # fmt: skip
    "review_overdue": lambda c, now: {"due_at": now},
    "evidence_infected": lambda c, now: {"file": "poe.pdf", "signature": "Eicar-Test-Signature"},
}


def seed_demo(language: str) -> dict[str, User]:
    """The demo data, created while `language` is active (texts the system writes into
    comments are stored in the language of the moment), with every user speaking it."""
    with everyone_speaks(language), override_settings(DEBUG=True):
        demo.seed()
    User.objects.create_superuser("root", "root@cpor.example", "pw", language=language)
    return {u.username: u for u in User.objects.all()}


def client_for(user: User | None, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def get_ok(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def every_page(users: dict[str, User], language: str) -> dict[str, str]:
    """{where: HTML} of every page of the demo data: each claim in every status for its
    partner and a reviewer, the customer's consent pages, sign-in and the admin lists."""
    claims = list(Claim.objects.filter(company__name="Fabrikam Consulting"))
    assert {c.state for c in claims} == set(ClaimState.values)
    pages: dict[str, str] = {}

    partner = client_for(users["fabrikam-global"], language)
    urls = ["/claims/", "/claims/?status=rejected", "/claims/new/", "/claims/associations/", "/claims/export.csv"]
    for claim in claims:
        urls.append(f"/claims/{claim.pk}/")
        if claim.state == ClaimState.EDITING:
            urls.append(f"/claims/{claim.pk}/submit/")
        if claim.state in (ClaimState.EDITING, ClaimState.SUBMITTED, ClaimState.PARTNER_ACTION_REQUIRED):
            urls.append(f"/claims/{claim.pk}/edit/")
        if claim.state in (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW, ClaimState.APPROVED):
            urls.append(f"/claims/{claim.pk}/withdraw/")
        if claim.state == ClaimState.REJECTED:
            urls.append(f"/claims/{claim.pk}/dispute/")
    for url in urls:
        pages[url] = get_ok(partner, url)
    pages["not found"] = get_ok(partner, "/claims/999999/", 404)
    # The account's own pages (issue 21, points 5 and 6): a new token's one-time panel, the
    # list with it, its revocation's confirmation, the sessions.
    assert partner.post("/accounts/reauthenticate/", {"password": demo.PASSWORD}).status_code == 302
    assert partner.post("/account/tokens/", {"name": "CRM", "days": 30}).status_code == 302
    pages["api tokens, new key"] = get_ok(partner, "/account/tokens/")
    pages["api tokens"] = get_ok(partner, "/account/tokens/")
    token = users["fabrikam-global"].api_tokens.get()
    pages["api token revoke"] = get_ok(partner, f"/account/tokens/{token.pk}/revoke/")
    pages["sessions"] = get_ok(partner, "/accounts/sessions/")
    pages["partner help"] = get_ok(partner, "/help/partner/")

    reviewer = client_for(users["reviewer-ana"], language)
    for url in ["/review/", "/review/?show=overdue", "/review/overview/"] + [
        f"/review/claims/{c.pk}/" for c in claims if c.state != ClaimState.EDITING
    ]:
        pages[f"reviewer {url}"] = get_ok(reviewer, url)
    pages["reviewer help"] = get_ok(reviewer, "/help/reviewer/")

    pages["no claims role"] = get_ok(client_for(users["fabrikam-viewer"], language), "/claims/", 403)

    anonymous = client_for(None, language)
    pages["sign in"] = get_ok(anonymous, "/accounts/login/")
    approved = next(c for c in claims if c.state == ClaimState.APPROVED and not c.is_deadline_passed)
    pages["consent"] = get_ok(anonymous, consent_url(approved).split("8000", 1)[-1])
    pages["consent invalid"] = get_ok(anonymous, "/consent/not-a-token/", 404)
    pages["customer help"] = get_ok(anonymous, "/help/customer/")

    admin = client_for(users["root"], language)
    for url in [
        "/admin/",
        "/admin/claims/claim/",
        "/admin/claims/user/",
        "/admin/claims/product/",
        "/admin/claims/notification/",
    ]:
        pages[f"admin {url}"] = get_ok(admin, url)
    return pages


def every_email(language: str) -> dict[str, str]:
    """{kind: subject, text and HTML} of every email about an approved demo claim, rendered
    as the delivering worker renders its outbox row."""
    claim = Claim.objects.filter(state=ClaimState.APPROVED, company__name="Fabrikam Consulting").first()
    now = timezone.now()
    rendered = {}
    for kind, context in EMAIL_CONTEXTS.items():
        n = notifications.build(kind, to="x@example.com", claim=claim, context=context(claim, now), now=now, language=language)
        message = outbox.render(n, claim)
        html = message.alternatives[0][0]
        assert message.subject and message.body and html
        rendered[kind] = "\n".join([message.subject, message.body, html])
    return rendered
