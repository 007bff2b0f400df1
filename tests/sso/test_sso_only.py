"""Issue 21, point 3: a company set to "SSO only" signs in through its identity provider alone:
its users' local passwords are refused at sign-in (with a clear message once the password was
right), by the token endpoint and by a reset (which answers as for anyone, and emails why
there is no link)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.test_accounts import complete_reset, reset_link
from tests.accounts.test_mfa import sign_in, signed_in_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso_only(fabrikam):
    fabrikam.company.sso_only = True
    fabrikam.company.save(update_fields=["sso_only"])
    return fabrikam.company


def test_an_sso_only_company_refuses_local_passwords_with_a_clear_message(sso_only, fabrikam):
    client = Client()
    refused = sign_in(client, "fabrikam-global")
    assert refused.status_code == 200 and signed_in_as(client) is None
    assert b"signs in through its identity provider only" in refused.content
    # A wrong password still says only that it is wrong (nothing about the account).
    wrong = sign_in(Client(), "fabrikam-global", "not-the-password")
    assert b"identity provider" not in wrong.content


def test_an_sso_only_company_refuses_the_password_token_endpoint(sso_only, fabrikam):
    answer = Client().post(
        "/api/v1/auth/token/", {"username": "fabrikam-global", "password": "demo-password"}, content_type="application/json"
    )
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "sso_only"


def test_an_sso_only_users_reset_request_answers_the_same_and_sends_no_link(sso_only, fabrikam, northwind):
    sso_user_answer = Client().post("/accounts/password/reset/", {"email": fabrikam.email})
    other_answer = Client().post("/accounts/password/reset/", {"email": northwind.email})
    assert sso_user_answer["Location"] == other_answer["Location"] == "/accounts/password/reset/done/"
    sso_mail, other_mail = mail.outbox
    assert sso_mail.to == [fabrikam.email] and "/accounts/password/reset/key/" not in sso_mail.body
    assert "identity provider only" in sso_mail.body
    assert "/accounts/password/reset/key/" in other_mail.body


def test_a_reset_link_sent_before_the_company_became_sso_only_sets_no_password(fabrikam):
    Client().post("/accounts/password/reset/", {"email": fabrikam.email})
    link = reset_link(mail.outbox[-1])
    fabrikam.company.sso_only = True
    fabrikam.company.save(update_fields=["sso_only"])
    answer = complete_reset(Client(), link)
    assert answer.status_code == 200 and b"identity provider only" in answer.content
    fabrikam.refresh_from_db()
    assert fabrikam.check_password("demo-password")
