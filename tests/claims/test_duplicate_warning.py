"""A company holds one live claim per customer and product; the partner learns it while
filling in the form and on the claim's page, before uploading proof of execution and
submitting, with a link to its own existing claim (claims.competition.live_claims_for, the
rule submission enforces). Another company's claim is never named."""

import pytest

from claims import services
from claims.errors import DomainError
from tests.conftest import CONTOSO, SUB_HELD, SUB_SALES, Builder, claim_data, m365_data

CHECK = f"/claims/conflicts/?tenant={CONTOSO}"


@pytest.fixture
def partner(client, fabrikam):
    client.force_login(fabrikam)
    return client


def test_the_form_check_warns_of_the_companys_live_claim_and_links_it(partner, build):
    first = build.submitted(m365_data(name="First Teams"))
    html = partner.get(f"{CHECK}&products=teams&products=intune").content.decode()
    assert "Your company already has a live claim for this customer" in html
    assert f'<a href="/claims/{first.pk}/">#{first.pk} First Teams</a>' in html
    assert "Microsoft Teams" in html and "Intune" not in html


def test_the_form_check_of_the_claim_being_edited_does_not_warn_of_itself(partner, build):
    first = build.submitted(m365_data(name="First Teams"))
    assert partner.get(f"{CHECK}&products=teams&claim={first.pk}").content.strip() == b""


def test_a_draft_or_a_rejected_claim_is_no_duplicate(partner, build):
    build.editing(m365_data(name="Draft Teams"))
    build.rejected(m365_data(name="Rejected Teams"))
    assert b"already has a live claim" not in partner.get(f"{CHECK}&products=teams").content


def test_another_companys_live_claim_is_no_duplicate_and_never_named(partner, build, northwind, ana):
    theirs = Builder(northwind, ana).submitted(m365_data(name="Northwind Teams", mpn_id="5678901"))
    html = partner.get(f"{CHECK}&products=teams").content.decode()
    assert "already has a live claim" not in html and f"#{theirs.pk}" not in html and "Northwind" not in html
    assert "another partner has an open claim" in html  # the competing warning, anonymous


def test_the_claim_page_and_the_submit_confirmation_warn_before_submitting(partner, build):
    first = build.submitted(m365_data(name="First Teams"))
    second = build.editing(m365_data(name="Second Teams"), poe=False)  # before any PoE upload
    for url in (f"/claims/{second.pk}/", f"/claims/{second.pk}/submit/"):
        html = partner.get(url).content.decode()
        assert "Your company already has a live claim for this customer" in html, url
        assert f'<a href="/claims/{first.pk}/">#{first.pk} First Teams</a>' in html, url
    # The existing claim's own page does not warn of the draft (a draft is not live).
    assert "already has a live claim" not in partner.get(f"/claims/{first.pk}/").content.decode()


def test_a_dynamics_claim_with_another_subscription_is_warned_in_the_form(partner, build):
    first = build.submitted()  # Dynamics 365 Sales on SUB_SALES
    html = partner.get(f"{CHECK}&products=d365_sales").content.decode()
    assert f'<a href="/claims/{first.pk}/">#{first.pk} Contoso Sales adoption</a>' in html
    second = build.editing(
        claim_data(name="Newer subscription", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )
    assert f"#{first.pk} Contoso Sales adoption" in partner.get(f"/claims/{second.pk}/").content.decode()


def test_a_dynamics_subscription_held_by_the_companys_own_claim_names_that_claim(build, fabrikam_incentives):
    first = build.submitted()
    with pytest.raises(DomainError) as info:
        services.claim_create(actor=fabrikam_incentives, data=claim_data(name="again"))
    (error,) = info.value.errors
    assert error.code == "subscription_already_claimed"  # the code stays: clients keep working
    assert f"#{first.pk} “Contoso Sales adoption”" in error.message
    assert "contact support" not in error.message


def test_the_form_shows_the_companys_own_claim_for_a_held_dynamics_subscription(partner, build):
    from tests.claims.test_partner_views import form_post

    first = build.submitted()
    html = partner.post("/claims/new/", form_post(name="again", sub_d365_sales=SUB_SALES)).content.decode()
    assert f"#{first.pk} “Contoso Sales adoption”" in html and "contact support" not in html


def test_a_dynamics_subscription_held_by_another_company_names_nobody(build, northwind, ana, fabrikam):
    theirs = Builder(northwind, ana).submitted(claim_data(name="Northwind Sales", mpn_id="5678901"))
    with pytest.raises(DomainError) as info:
        services.claim_create(actor=fabrikam, data=claim_data(name="ours"))
    (error,) = info.value.errors
    assert error.code == "subscription_already_claimed"
    assert f"#{theirs.pk}" not in error.message and "Northwind" not in error.message
