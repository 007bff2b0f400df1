"""Demo data with fixed identifiers (the README tells a new user what to type).

Claims are built through the services, exactly as users would build them. Claims
that must sit near or past a deadline are then aged: every timestamp of the claim
and its rows is shifted back together, so history, clocks and emails stay consistent.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import clocks, services
from .accounts import mark_staff_email_verified
from .calendar import is_business_day
from .choices import Channel, InfoRequestReason, Role, SolutionArea, SubscriptionStatus, WithdrawReason
from .models import (
    Association,
    Claim,
    ClaimComment,
    ClaimEvent,
    ClaimEvidence,
    CustomerTenant,
    Mpn,
    Notification,
    PartnerCompany,
    Product,
    Subscription,
    TenantDomain,
    User,
)
from .pdf import text_pdf


class _Reviewer:
    """The reviewer's actions, run through the registry of claim actions (claims.actions): the
    demo sits in claims, below the reviews app that declares them."""

    @staticmethod
    def _run(name: str, claim, reviewer, **data):
        from .actions import REGISTRY

        return REGISTRY[name].run(claim, reviewer, data, [])

    def review_start(self, *, claim, reviewer):
        return self._run("start_review", claim, reviewer)

    def review_request_info(self, *, claim, reviewer, reasons, message, remove_products=()):
        return self._run("request_info", claim, reviewer, reasons=reasons, message=message, remove_products=list(remove_products))

    def review_approve(self, *, claim, reviewer, message="", rationale=""):
        return self._run("approve", claim, reviewer, message=message, rationale=rationale)

    def review_reject(self, *, claim, reviewer, reason, message):
        return self._run("reject", claim, reviewer, reason=reason, message=message)


review = _Reviewer()

PASSWORD = "demo-password"
CONTOSO = "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d"
LITWARE = "2f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"

PRODUCTS = [
    # code, name, area, Dynamics 365 (needs a subscription ID)
    ("d365_sales", "Dynamics 365 Sales", SolutionArea.BUSINESS_APPLICATIONS, True),
    ("d365_customer_service", "Dynamics 365 Customer Service", SolutionArea.BUSINESS_APPLICATIONS, True),
    ("d365_field_service", "Dynamics 365 Field Service", SolutionArea.BUSINESS_APPLICATIONS, True),
    ("d365_finance", "Dynamics 365 Finance", SolutionArea.BUSINESS_APPLICATIONS, True),
    ("d365_supply_chain", "Dynamics 365 Supply Chain Management", SolutionArea.BUSINESS_APPLICATIONS, True),
    ("power_apps", "Power Apps", SolutionArea.BUSINESS_APPLICATIONS, False),
    ("m365_e3", "Microsoft 365 E3", SolutionArea.MICROSOFT_365, False),
    ("exchange_online", "Exchange Online", SolutionArea.MICROSOFT_365, False),
    ("sharepoint_online", "SharePoint Online", SolutionArea.MICROSOFT_365, False),
    ("teams", "Microsoft Teams", SolutionArea.MICROSOFT_365, False),
    ("onedrive", "OneDrive for Business", SolutionArea.MICROSOFT_365, False),
    ("intune", "Microsoft Intune", SolutionArea.MICROSOFT_365, False),
]

SUBSCRIPTIONS = [
    # id, tenant, product, channel, status, provisioned
    ("11111111-1111-4111-8111-111111111111", CONTOSO, "d365_sales", Channel.VOLUME_LICENSING, SubscriptionStatus.ACTIVE, True),
    (
        "22222222-2222-4222-8222-222222222222",
        CONTOSO,
        "d365_customer_service",
        Channel.WEB_DIRECT,
        SubscriptionStatus.IN_GRACE,
        True,
    ),
    ("33333333-3333-4333-8333-333333333333", CONTOSO, "d365_sales", Channel.CSP, SubscriptionStatus.ACTIVE, True),
    (
        "44444444-4444-4444-8444-444444444444",
        CONTOSO,
        "d365_field_service",
        Channel.VOLUME_LICENSING,
        SubscriptionStatus.ACTIVE,
        False,
    ),
    ("55555555-5555-4555-8555-555555555555", CONTOSO, "m365_e3", Channel.VOLUME_LICENSING, SubscriptionStatus.ACTIVE, True),
    ("66666666-6666-4666-8666-666666666666", CONTOSO, "d365_finance", Channel.VOLUME_LICENSING, SubscriptionStatus.EXPIRED, True),
    ("77777777-7777-4777-8777-777777777777", CONTOSO, "d365_sales", Channel.VOLUME_LICENSING, SubscriptionStatus.ACTIVE, True),
    ("88888888-8888-4888-8888-888888888888", LITWARE, "d365_sales", Channel.VOLUME_LICENSING, SubscriptionStatus.ACTIVE, True),
]

LOGINS = [
    ("fabrikam-global", "Fabrikam Consulting, Global admin"),
    ("fabrikam-incentives", "Fabrikam Consulting, Incentives admin"),
    ("fabrikam-billing", "Fabrikam Consulting, Billing admin"),
    ("fabrikam-viewer", "Fabrikam Consulting, no claims role"),
    ("northwind-global", "Northwind Solutions, Global admin"),
    ("reviewer-ana", "Reviewer"),
    ("reviewer-ben", "Reviewer"),
]


def demo_pdf(title: str) -> bytes:
    """A small valid one-page PDF that says what it is."""
    return text_pdf(f"Proof of execution: {title}", ["Signed by the customer.", "Dated and describing the service."])


def _user(username: str, role: str, company: PartnerCompany | None, email: str) -> User:
    user = User(username=username, role=role, company=company, email=email, first_name=username.split("-")[-1].title())
    user.set_password(PASSWORD)
    user.save()
    mark_staff_email_verified(user)  # staff entered it, as an operator would in the admin
    return user


def seed_directory() -> dict:
    fabrikam = PartnerCompany.objects.create(name="Fabrikam Consulting")
    northwind = PartnerCompany.objects.create(name="Northwind Solutions")
    Mpn.objects.create(
        company=fabrikam, mpn_id="4567890", incentive_enrolled=True, program_name="Business Applications incentives"
    )
    Mpn.objects.create(company=fabrikam, mpn_id="4567891", incentive_enrolled=False)
    Mpn.objects.create(
        company=northwind, mpn_id="5678901", incentive_enrolled=True, program_name="Business Applications incentives"
    )
    users = {
        "fabrikam-global": _user("fabrikam-global", Role.GLOBAL_ADMIN, fabrikam, "global@fabrikam.example"),
        "fabrikam-incentives": _user("fabrikam-incentives", Role.INCENTIVES_ADMIN, fabrikam, "incentives@fabrikam.example"),
        "fabrikam-billing": _user("fabrikam-billing", Role.BILLING_ADMIN, fabrikam, "billing@fabrikam.example"),
        "fabrikam-viewer": _user("fabrikam-viewer", Role.MEMBER, fabrikam, "viewer@fabrikam.example"),
        "northwind-global": _user("northwind-global", Role.GLOBAL_ADMIN, northwind, "global@northwind.example"),
        "reviewer-ana": _user("reviewer-ana", Role.REVIEWER, None, "ana@reviews.cpor.example"),
        "reviewer-ben": _user("reviewer-ben", Role.REVIEWER, None, "ben@reviews.cpor.example"),
    }
    contoso = CustomerTenant.objects.create(tenant_id=CONTOSO, name="Contoso", subdomain="contoso")
    TenantDomain.objects.create(tenant=contoso, domain="contoso.onmicrosoft.com")
    TenantDomain.objects.create(tenant=contoso, domain="contoso.com")
    litware = CustomerTenant.objects.create(tenant_id=LITWARE, name="Litware", subdomain="litware")
    TenantDomain.objects.create(tenant=litware, domain="litware.onmicrosoft.com")
    products = {
        code: Product.objects.create(code=code, name=name, solution_area=area, is_dynamics=dyn)
        for code, name, area, dyn in PRODUCTS
    }
    tenants = {CONTOSO: contoso, LITWARE: litware}
    for sub_id, tenant, product, channel, status, provisioned in SUBSCRIPTIONS:
        Subscription.objects.create(
            subscription_id=sub_id,
            tenant=tenants[tenant],
            product=products[product],
            channel=channel,
            status=status,
            provisioned=provisioned,
        )
    return {"users": users, "fabrikam": fabrikam, "northwind": northwind}


def _contacts(tenant: str, partner: str) -> dict:
    customers = {
        CONTOSO: {"name": "Megan Bowen", "email": "megan.bowen@contoso.com", "phone": "+1 425 555 0100"},
        LITWARE: {"name": "Isaiah Langer", "email": "isaiah.langer@litware.example", "phone": "+1 206 555 0142"},
    }
    partners = {
        "fabrikam": {"name": "Alex Wilber", "email": "alex.wilber@fabrikam.example", "phone": "+1 312 555 0199"},
        "northwind": {"name": "Diego Siciliani", "email": "diego@northwind.example", "phone": "+1 617 555 0123"},
    }
    return {"customer_contact": customers[tenant], "partner_contact": partners[partner]}


def _claim(
    user: User,
    name: str,
    tenant: str,
    domain: str,
    area: str,
    activity: str,
    mpn: str,
    products: list,
    partner: str,
    *,
    poe: bool = True,
) -> Claim:
    claim = services.claim_create(
        actor=user,
        data={
            "name": name,
            "customer_tenant_id": tenant,
            "customer_domain": domain,
            "solution_area": area,
            "activity": activity,
            "mpn_id": mpn,
            "products": [{"product": p, "subscription_id": s} for p, s in products],
            **_contacts(tenant, partner),
        },
    )
    if poe:
        services.evidence_add(claim=claim, actor=user, file=ContentFile(demo_pdf(name), name=f"{name} - signed PoE.pdf"))
    return claim


def business_days_ago(n: int) -> timedelta:
    """How far back the n-th business day before now is (the same time of day)."""
    now = timezone.now()
    day = now.astimezone(ZoneInfo(settings.CPOR_BUSINESS_TIME_ZONE)).date()
    counted = 0
    while counted < n:
        day -= timedelta(days=1)
        if is_business_day(day):
            counted += 1
    local_now = now.astimezone(ZoneInfo(settings.CPOR_BUSINESS_TIME_ZONE)).date()
    return timedelta(days=(local_now - day).days)


def age(claim: Claim, delta: timedelta) -> None:
    """Moves a claim and everything it wrote `delta` into the past.

    The running clock is computed again from its shifted start, so a business-day clock
    still ends on a business day (never on a weekend or holiday), as if the claim had
    really been worked on back then."""
    Claim.objects.filter(pk=claim.pk).update(
        created_at=F("created_at") - delta,
        submitted_at=F("submitted_at") - delta,
        review_started_at=F("review_started_at") - delta,
        decided_at=F("decided_at") - delta,
        deadline_at=F("deadline_at") - delta,
    )
    ClaimEvent.objects.filter(claim=claim).update(at=F("at") - delta)
    ClaimComment.objects.filter(claim=claim).update(created_at=F("created_at") - delta)
    ClaimEvidence.objects.filter(claim=claim).update(uploaded_at=F("uploaded_at") - delta)
    Association.objects.filter(claim=claim).update(started_at=F("started_at") - delta)
    # Its emails went out back then, with the dates of back then: they are not re-sent
    # now, so the demo mailbox only holds emails that are still true.
    Notification.objects.filter(claim=claim).update(
        created_at=F("created_at") - delta, sent_at=F("created_at") - delta, status="sent"
    )
    claim.refresh_from_db()
    if claim.deadline_kind and claim.deadline_kind in clocks.BUSINESS_DAY_CLOCKS:
        # The clock started with the claim's last action, now shifted with it.
        started = ClaimEvent.objects.filter(claim=claim).order_by("-at", "-pk").values_list("at", flat=True).first()
        Claim.objects.filter(pk=claim.pk).update(deadline_at=clocks.deadline_for(claim.deadline_kind, started))


@transaction.atomic
def seed() -> None:
    d = seed_directory()
    u = d["users"]
    fg, fi, ana, ben, nw = (
        u["fabrikam-global"],
        u["fabrikam-incentives"],
        u["reviewer-ana"],
        u["reviewer-ben"],
        u["northwind-global"],
    )
    BA, M365 = SolutionArea.BUSINESS_APPLICATIONS, SolutionArea.MICROSOFT_365

    # Northwind already holds Contoso's Dynamics 365 Sales through subscription 7777...
    nw_claim = _claim(
        nw,
        "Contoso Sales rollout",
        CONTOSO,
        "contoso.com",
        BA,
        "usage",
        "5678901",
        [("d365_sales", "77777777-7777-4777-8777-777777777777")],
        "northwind",
    )
    services.claim_submit(claim=nw_claim, actor=nw)
    review.review_start(claim=nw_claim, reviewer=ana)
    review.review_approve(claim=nw_claim, reviewer=ana, message="PoE signed by the customer; dates current.")
    age(nw_claim, timedelta(days=60))

    # Editing
    _claim(
        fg,
        "Contoso Teams rollout (draft)",
        CONTOSO,
        "contoso",
        M365,
        "usage",
        "4567890",
        [("teams", None)],
        "fabrikam",
        poe=False,
    )
    _claim(
        fi,
        "Litware Sales pilot (draft)",
        LITWARE,
        "litware",
        BA,
        "presales",
        "4567890",
        [("d365_sales", None)],
        "fabrikam",
        poe=False,
    )

    # Submitted: one fresh, one never picked up (the sweep moves it to Under Review, overdue)
    c = _claim(
        fg,
        "Contoso SharePoint intranet",
        CONTOSO,
        "contoso.com",
        M365,
        "usage",
        "4567890",
        [("sharepoint_online", None)],
        "fabrikam",
    )
    services.claim_submit(claim=c, actor=fg)
    c = _claim(
        fg,
        "Litware Exchange migration",
        LITWARE,
        "litware.onmicrosoft.com",
        M365,
        "usage",
        "4567890",
        [("exchange_online", None)],
        "fabrikam",
    )
    services.claim_submit(claim=c, actor=fg)
    age(c, timedelta(days=14))

    # Under Review: one with the decision near, one fresh
    c = _claim(
        fg, "Contoso OneDrive adoption", CONTOSO, "contoso.com", M365, "usage", "4567890", [("onedrive", None)], "fabrikam"
    )
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ana)
    age(c, business_days_ago(4))
    c = _claim(fi, "Litware Intune deployment", LITWARE, "litware", M365, "usage", "4567891", [("intune", None)], "fabrikam")
    services.claim_submit(claim=c, actor=fi)
    review.review_start(claim=c, reviewer=ben)

    # Partner Action Required: one to answer, one past its answer deadline (the sweep rejects it)
    c = _claim(
        fg, "Contoso Exchange Online", CONTOSO, "contoso.com", M365, "usage", "4567890", [("exchange_online", None)], "fabrikam"
    )
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ana)
    review.review_request_info(
        claim=c,
        reviewer=ana,
        reasons=[InfoRequestReason.MISSING_CUSTOMER_SIGNATURE, InfoRequestReason.MISSING_OR_OLD_DATES],
        message="The PoE has no customer signature and no date. Please upload a signed, dated version.",
    )
    c = _claim(fg, "Litware Teams Phone", LITWARE, "litware", M365, "usage", "4567890", [("teams", None)], "fabrikam")
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ben)
    review.review_request_info(
        claim=c,
        reviewer=ben,
        reasons=[InfoRequestReason.MISSING_PARTNER_SERVICE],
        message="Describe the service you delivered to Litware.",
    )
    age(c, timedelta(days=14))

    # Approved: one just approved (its consent email is in the dev mailbox), one near the end
    # of the window, one past it (sent to eligibility evaluation)
    c = _claim(
        fg,
        "Litware Dynamics 365 Sales",
        LITWARE,
        "litware",
        BA,
        "usage",
        "4567890",
        [("d365_sales", "88888888-8888-4888-8888-888888888888")],
        "fabrikam",
    )
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ana)
    review.review_approve(claim=c, reviewer=ana)
    age(c, timedelta(days=5))
    c = _claim(fg, "Litware OneDrive rollout", LITWARE, "litware", M365, "usage", "4567890", [("onedrive", None)], "fabrikam")
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ben)
    review.review_approve(claim=c, reviewer=ben, message="Signed PoE covers OneDrive; dates current.")
    c = _claim(fg, "Contoso Intune", CONTOSO, "contoso.com", M365, "usage", "4567890", [("intune", None)], "fabrikam")
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ben)
    review.review_approve(claim=c, reviewer=ben)
    age(c, timedelta(days=10))

    # Rejected: one that can be disputed, one whose 30 days have passed, one withdrawn
    c = _claim(
        fg, "Contoso Power Apps", CONTOSO, "contoso.com", BA, "revenue_association", "4567890", [("power_apps", None)], "fabrikam"
    )
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ana)
    review.review_reject(claim=c, reviewer=ana, reason="insufficient_poe", message="The PoE does not show any Power Apps work.")
    age(c, timedelta(days=2))
    c = _claim(
        fg, "Litware SharePoint (2025)", LITWARE, "litware", M365, "usage", "4567891", [("sharepoint_online", None)], "fabrikam"
    )
    services.claim_submit(claim=c, actor=fg)
    review.review_start(claim=c, reviewer=ben)
    review.review_reject(claim=c, reviewer=ben, reason="poe_unavailable", message="The PoE file could not be opened.")
    age(c, timedelta(days=40))
    c = _claim(fi, "Contoso Teams (wrong MPN)", CONTOSO, "contoso", M365, "usage", "4567891", [("teams", None)], "fabrikam")
    services.claim_submit(claim=c, actor=fi)
    services.claim_withdraw(claim=c, actor=fi, reason=WithdrawReason.WRONG_MPN, message="Filed under the wrong MPN.")
