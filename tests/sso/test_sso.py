"""Issue 21, point 3: single sign-on through a real OpenID Provider (tests/sso/op.mjs, the npm
package oidc-provider). The Django test client is our side of the redirect flow; the browser
walk is tests/browser/test_sso_flow.py.

Users are created just in time in the linked company with the strongest mapped role; the role
follows the token at every sign-in; an unlinked tenant gets a page and no account; reviewers
come through the operator's app; the provider's misbehaviour (issuer, audience, expiry,
unsigned token, state, nonce) signs nobody in; an SSO sign-in never skips a second factor."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from claims.choices import Role
from claims.models import User
from tests.accounts.test_mfa import signed_in_as, totp
from tests.sso.support import ACCOUNTS, FABRIKAM_TENANT, sign_in_through_op

pytestmark = [pytest.mark.oidc, pytest.mark.django_db]


def sso_user(email: str) -> User | None:
    return User.objects.filter(email=email).select_related("company").first()


def test_a_new_user_is_created_in_the_linked_company_with_the_strongest_mapped_role(sso, fabrikam_link):
    client = Client()
    done = sign_in_through_op(client, sso, "ada")
    assert done.status_code == 302 and done["Location"] == "/"
    ada = sso_user("ada@fabrikam.example")
    assert ada is not None and signed_in_as(client) == ada.username
    assert ada.company == fabrikam_link.company
    # Claims.Incentives and Claims.Global both map: one role per user, the strongest.
    assert ada.role == Role.GLOBAL_ADMIN and ada.is_partner
    assert not ada.has_usable_password()
    assert SocialAccount.objects.get(user=ada).provider == "partner"
    assert client.get("/claims/").status_code == 200


def test_a_role_removed_in_the_directory_is_removed_at_the_next_sign_in(sso, fabrikam_link):
    sign_in_through_op(Client(), sso, "bill")
    assert sso_user("bill@fabrikam.example").role == Role.BILLING_ADMIN

    sso.set_accounts({**ACCOUNTS, "bill": {**ACCOUNTS["bill"], "roles": []}})
    client = Client()
    assert sign_in_through_op(client, sso, "bill").status_code == 302
    bill = sso_user("bill@fabrikam.example")
    assert bill.role == Role.MEMBER and bill.company == fabrikam_link.company and not bill.is_partner
    assert User.objects.filter(email="bill@fabrikam.example").count() == 1  # the same account
    assert signed_in_as(client) == bill.username


def test_a_user_from_an_unlinked_tenant_gets_a_page_and_no_account(sso, fabrikam_link):
    client = Client()
    refused = sign_in_through_op(client, sso, "eve")
    assert refused.status_code == 403
    assert b'data-code="unknown_tenant"' in refused.content
    assert b"not linked to CPOR Claims" in refused.content
    assert not User.objects.filter(email="eve@elsewhere.example").exists()
    assert not SocialAccount.objects.exists()
    assert signed_in_as(client) is None


def test_the_same_issuer_with_another_tenant_is_not_the_linked_company(sso, fabrikam_link):
    # eve's provider is the linked issuer; only the tenant differs.
    assert fabrikam_link.issuer == sso.issuer
    assert sign_in_through_op(Client(), sso, "eve").status_code == 403


def test_reviewers_sign_in_through_the_operators_app(sso, directory):
    client = Client()
    done = sign_in_through_op(client, sso, "rita", provider="operator")
    assert done.status_code == 302
    rita = sso_user("rita@operator.example")
    assert rita.role == Role.REVIEWER and rita.company is None
    assert client.get("/review/").status_code == 200


def test_a_reviewer_whose_role_the_operator_removed_loses_it_and_is_refused(sso, directory):
    sign_in_through_op(Client(), sso, "rita", provider="operator")
    sso.set_accounts({**ACCOUNTS, "rita": {**ACCOUNTS["rita"], "roles": []}})
    client = Client()
    refused = sign_in_through_op(client, sso, "rita", provider="operator")
    assert refused.status_code == 403 and b'data-code="not_a_reviewer"' in refused.content
    assert sso_user("rita@operator.example").role == Role.MEMBER and signed_in_as(client) is None


def test_the_operators_app_refuses_a_user_without_the_reviewer_role(sso, directory):
    # ada's roles are Fabrikam's app roles, not the operator's reviewer role.
    refused = sign_in_through_op(Client(), sso, "ada", provider="operator")
    assert refused.status_code == 403 and b'data-code="not_a_reviewer"' in refused.content
    assert not User.objects.filter(email="ada@fabrikam.example").exists()


def test_an_address_that_already_has_an_account_is_not_taken_over(sso, fabrikam_link, fabrikam):
    sso.set_accounts({**ACCOUNTS, "ada": {**ACCOUNTS["ada"], "email": fabrikam.email}})
    client = Client()
    refused = sign_in_through_op(client, sso, "ada")
    assert refused.status_code == 403 and b'data-code="email_taken"' in refused.content
    assert signed_in_as(client) is None and not SocialAccount.objects.exists()


@pytest.mark.parametrize(
    "mode, reason",
    [
        ("issuer", "Invalid issuer"),
        ("audience", "Audience doesn't match"),
        ("expired", "Signature has expired"),
        ("none", "'none', not an accepted algorithm"),
        ("nonce", "nonce does not match"),
        ("state", "no state"),  # the callback's state is none this session stashed
    ],
)
def test_the_providers_misbehaviour_signs_nobody_in(sso, fabrikam_link, mode, reason, caplog):
    sso.set_mode(mode)
    client = Client()
    answer = sign_in_through_op(client, sso, "ada")
    assert answer.status_code == 401
    assert b"Third-Party Login Failure" in answer.content
    assert reason in caplog.text
    assert signed_in_as(client) is None
    assert not User.objects.filter(email="ada@fabrikam.example").exists()


def test_the_same_provider_behaving_signs_in(sso, fabrikam_link):
    # The control of the test above: only the mode differs.
    assert sign_in_through_op(Client(), sso, "ada").status_code == 302


def test_the_session_key_changes_at_sso_sign_in(sso, fabrikam_link):
    client = Client()
    done = sign_in_through_op(client, sso, "ada")
    assert done.status_code == 302 and signed_in_as(client)
    assert done.session_key_before and client.session.session_key != done.session_key_before
    # The session that carried the sign-in's state is gone: a copy of its cookie signs nobody in.
    fixated = Client()
    fixated.cookies["sessionid"] = done.session_key_before
    assert signed_in_as(fixated) is None


def test_a_required_second_factor_is_not_skipped_by_sso(sso, fabrikam_link, settings):
    settings.CPOR_MFA_REQUIRED_FOR = ["reviewers", "global_admins"]
    client = Client()
    sign_in_through_op(client, sso, "ada")
    # Signed in, but a Global admin without a second factor sees only its set-up.
    assert client.get("/claims/").url == "/accounts/2fa/"
    # Which they can do without a password (they have none: the provider just signed them in).
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_the_identity_providers_second_factor_counts_for_that_session(sso, fabrikam_link, settings):
    settings.CPOR_MFA_REQUIRED_FOR = ["reviewers", "global_admins"]
    client = Client()
    sign_in_through_op(client, sso, "ada", with_mfa=True)  # amr: ["pwd", "mfa"]
    assert client.get("/claims/").status_code == 200
    # A later sign-in without it does not inherit it.
    other = Client()
    sign_in_through_op(other, sso, "ada")
    assert other.get("/claims/").url == "/accounts/2fa/"


def test_a_user_with_an_authenticator_app_is_asked_its_code_after_the_provider(sso, fabrikam_link):
    sign_in_through_op(Client(), sso, "ada", with_mfa=True)
    ada = sso_user("ada@fabrikam.example")
    secret = generate_totp_secret()
    TOTP.activate(ada, secret)
    assert Authenticator.objects.filter(user=ada, type=Authenticator.Type.TOTP).exists()

    client = Client()
    # Even when the provider says it asked a second factor: ours is set up, ours is asked.
    asked = sign_in_through_op(client, sso, "ada", with_mfa=True)
    assert asked.status_code == 302 and asked["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_as(client) is None
    done = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert done.status_code == 302 and signed_in_as(client) == ada.username


def test_the_sign_in_page_offers_the_configured_providers(sso, directory):
    answer = Client().get("/accounts/login/")
    # Its forms may lead to the identity provider (the browser checks the redirect after the POST).
    assert f"form-action 'self' {sso.issuer}" in answer["Content-Security-Policy"]
    page = answer.content.decode()
    assert 'action="/accounts/oidc/partner/login/"' in page and "Sign in with Microsoft Entra ID" in page
    assert 'action="/accounts/oidc/operator/login/"' in page


@pytest.fixture
def entra_multi_tenant(sso, settings):
    """The partner app as an Entra ID multi-tenant registration: its discovery document names
    the issuer https://login.microsoftonline.com/{tenantid}/v2.0 (here under the test provider)."""
    apps = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    partner = next(app for app in apps if app["provider_id"] == "partner")
    partner["settings"] = {**partner["settings"], "openid_configuration_overrides": {"issuer": f"{sso.issuer}/{{tenantid}}/v2.0"}}
    return sso


def test_an_entra_multi_tenant_issuer_is_matched_with_the_tokens_tenant(entra_multi_tenant, fabrikam_link):
    fabrikam_link.issuer = f"{entra_multi_tenant.issuer}/{FABRIKAM_TENANT}/v2.0"
    fabrikam_link.save(update_fields=["issuer"])
    entra_multi_tenant.set_mode("entra")
    assert sign_in_through_op(Client(), entra_multi_tenant, "ada").status_code == 302
    assert sso_user("ada@fabrikam.example").company == fabrikam_link.company


def test_an_entra_issuer_naming_another_tenant_than_the_tokens_tid_is_refused(entra_multi_tenant, fabrikam_link, caplog):
    entra_multi_tenant.set_mode("entra-other")
    client = Client()
    assert sign_in_through_op(client, entra_multi_tenant, "ada").status_code == 401
    assert "Invalid issuer" in caplog.text and signed_in_as(client) is None
