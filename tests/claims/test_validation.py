"""Every validation code, reached through the services the UI and API call."""

import pytest

from claims import services
from claims.errors import DomainError
from claims.models import Claim
from tests.conftest import (
    LITWARE,
    SUB_CSP,
    SUB_EXPIRED,
    SUB_HELD,
    SUB_LITWARE,
    SUB_M365,
    SUB_NOT_PROVISIONED,
    SUB_SALES,
    SUB_SERVICE,
    claim_data,
    m365_data,
)


def refused(fn, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(**kw)
    return info.value


def test_a_complete_claim_is_created_in_editing_with_history(fabrikam):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    assert claim.state == "editing"
    assert claim.tenant.name == "Contoso"
    assert [(cp.product.code, str(cp.subscription.subscription_id)) for cp in claim.products.all()] == [("d365_sales", SUB_SALES)]
    event = claim.events.get()
    assert event.action == "created" and event.actor == fabrikam and event.changes["name"] == [None, "Contoso Sales adoption"]


@pytest.mark.parametrize("domain", ["contoso", "contoso.onmicrosoft.com", "CONTOSO.COM", "contoso.com"])
def test_it_accepts_the_tenants_subdomain_and_verified_domains(fabrikam, domain):
    claim = services.claim_create(actor=fabrikam, data=claim_data(customer_domain=domain))
    assert claim.customer_domain == domain.lower()


def test_it_refuses_an_unknown_tenant(fabrikam):
    err = refused(
        services.claim_create, actor=fabrikam, data=claim_data(customer_tenant_id="0b0b0b0b-0000-4000-8000-000000000000")
    )
    assert err.codes == ["unknown_tenant"]
    assert err.errors[0].field == "customer_tenant_id"


def test_it_refuses_a_malformed_tenant_id(fabrikam):
    err = refused(services.claim_create, actor=fabrikam, data=claim_data(customer_tenant_id="not-a-guid"))
    assert err.codes == ["invalid_tenant_id"]


@pytest.mark.parametrize("domain", ["litware", "litware.onmicrosoft.com", "fabrikam.com"])
def test_it_refuses_a_domain_of_another_tenant(fabrikam, domain):
    err = refused(services.claim_create, actor=fabrikam, data=claim_data(customer_domain=domain))
    assert err.codes == ["domain_tenant_mismatch"]
    assert "contact your customer" in err.errors[0].message.lower()


@pytest.mark.parametrize(
    "subscription, code",
    [
        ("not-a-guid", "invalid_subscription_id"),
        ("99999999-9999-4999-8999-999999999999", "invalid_subscription_id"),
        (SUB_M365, "subscription_not_dynamics"),
        (SUB_SERVICE, "product_not_on_tenant"),  # Customer Service subscription for the Sales product
        (SUB_LITWARE, "product_not_on_tenant"),  # Litware's subscription on a Contoso claim
        (SUB_CSP, "subscription_is_csp"),
        (SUB_EXPIRED, "subscription_inactive"),
    ],
)
def test_each_subscription_failure_has_its_own_code(fabrikam, subscription, code):
    product = "d365_finance" if subscription == SUB_EXPIRED else "d365_sales"
    err = refused(
        services.claim_create,
        actor=fabrikam,
        data=claim_data(products=[{"product": product, "subscription_id": subscription}]),
    )
    assert err.codes == [code]
    assert err.errors[0].field == "products[0].subscription_id"
    assert Claim.objects.count() == 0


def test_it_refuses_a_subscription_not_yet_provisioned(fabrikam):
    err = refused(
        services.claim_create,
        actor=fabrikam,
        data=claim_data(products=[{"product": "d365_field_service", "subscription_id": SUB_NOT_PROVISIONED}]),
    )
    assert err.codes == ["subscription_not_provisioned"]


def test_a_subscription_in_grace_is_claimable(fabrikam):
    claim = services.claim_create(
        actor=fabrikam, data=claim_data(products=[{"product": "d365_customer_service", "subscription_id": SUB_SERVICE}])
    )
    assert claim.products.get().subscription.status == "in_grace"


def test_it_refuses_a_subscription_held_by_another_partners_approved_claim(northwind, ana, fabrikam):
    from tests.conftest import Builder

    Builder(northwind, ana).approved(
        claim_data(mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    err = refused(
        services.claim_create, actor=fabrikam, data=claim_data(products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    assert err.codes == ["subscription_already_claimed"]


def test_an_open_claim_holds_its_subscription_but_a_draft_does_not(build, fabrikam_incentives):
    draft = build.editing()
    # A draft holds nothing: another user may start a claim for the same subscription.
    services.claim_create(actor=fabrikam_incentives, data=claim_data(name="second"))
    services.claim_submit(claim=draft, actor=build.partner)
    err = refused(services.claim_create, actor=fabrikam_incentives, data=claim_data(name="third"))
    assert err.codes == ["subscription_already_claimed"]


def test_submission_rechecks_a_subscription_taken_since_the_draft(build, fabrikam_incentives):
    first = build.editing()
    second = build.editing(claim_data(name="second"), partner=fabrikam_incentives)
    services.claim_submit(claim=first, actor=build.partner)
    err = refused(services.claim_submit, claim=second, actor=fabrikam_incentives)
    assert "subscription_already_claimed" in err.codes
    second.refresh_from_db()
    assert second.state == "editing"


def test_a_rejected_claim_releases_its_subscription(build, fabrikam_incentives):
    build.rejected()
    claim = services.claim_create(actor=fabrikam_incentives, data=claim_data(name="again"))
    assert claim.products.get().subscription is not None


def test_it_refuses_an_activity_outside_the_solution_area(fabrikam):
    err = refused(services.claim_create, actor=fabrikam, data=m365_data(activity="presales"))
    assert err.codes == ["activity_not_in_solution_area"]


@pytest.mark.parametrize("activity", ["presales", "usage", "revenue_association"])
def test_business_applications_has_three_activities(fabrikam, activity):
    assert services.claim_create(actor=fabrikam, data=claim_data(activity=activity)).activity == activity


def test_it_refuses_a_product_of_another_solution_area(fabrikam):
    err = refused(
        services.claim_create,
        actor=fabrikam,
        data=m365_data(products=[{"product": "d365_sales", "subscription_id": SUB_SALES}]),
    )
    assert err.codes == ["product_not_in_solution_area"]


def test_it_refuses_another_companys_mpn(fabrikam):
    err = refused(services.claim_create, actor=fabrikam, data=claim_data(mpn_id="5678901"))
    assert err.codes == ["mpn_not_in_company"]


def test_it_reports_every_field_error_at_once(fabrikam):
    err = refused(
        services.claim_create,
        actor=fabrikam,
        data=claim_data(mpn_id="5678901", customer_domain="litware", customer_contact={"name": "x", "email": "nope"}),
    )
    assert sorted(err.codes) == ["domain_tenant_mismatch", "invalid_email", "mpn_not_in_company"]


def test_a_subscription_id_on_a_product_without_one_is_refused(fabrikam):
    err = refused(
        services.claim_create, actor=fabrikam, data=m365_data(products=[{"product": "teams", "subscription_id": SUB_SALES}])
    )
    assert err.codes == ["subscription_not_applicable"]


def test_a_product_may_appear_once(fabrikam):
    err = refused(
        services.claim_create,
        actor=fabrikam,
        data=m365_data(products=[{"product": "teams"}, {"product": "teams"}]),
    )
    assert err.codes == ["duplicate_product"]


def test_a_draft_may_be_incomplete_but_submission_lists_every_gap(fabrikam):
    claim = services.claim_create(actor=fabrikam, data={"name": "Just a name"})
    assert claim.state == "editing"
    err = refused(services.claim_submit, claim=claim, actor=fabrikam)
    fields = {e.field for e in err.errors}
    assert {"customer_tenant_id", "customer_domain", "solution_area", "activity", "mpn_id", "products", "evidence"} <= fields
    assert "evidence_required" in err.codes


def test_submission_needs_the_subscription_of_each_dynamics_product(build):
    claim = build.editing(claim_data(products=[{"product": "d365_sales", "subscription_id": None}]))
    err = refused(services.claim_submit, claim=claim, actor=build.partner)
    assert err.codes == ["subscription_required"]


def test_it_refuses_to_submit_without_proof_of_execution(build):
    claim = build.editing(poe=False)
    err = refused(services.claim_submit, claim=claim, actor=build.partner)
    assert err.codes == ["evidence_required"]
    claim.refresh_from_db()
    assert claim.state == "editing"


def test_a_claim_needs_a_name(fabrikam):
    assert refused(services.claim_create, actor=fabrikam, data=claim_data(name="  ")).codes == ["required"]


def test_litware_claim_with_its_subscription_is_valid(build):
    claim = build.submitted(
        claim_data(
            customer_tenant_id=LITWARE,
            customer_domain="litware",
            products=[{"product": "d365_sales", "subscription_id": SUB_LITWARE}],
        )
    )
    assert claim.state == "submitted"
