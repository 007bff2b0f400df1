"""Issue 21, point 1: accounts on django-allauth. Sign in by username or email, change the
password, "forgot password" that never tells whether an address has an account, verified
addresses, one lockout (django-axes) that a completed reset lifts, and the browser's
language saved at the first sign-in."""

import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from claims import demo
from claims.models import User

PASSWORD = demo.PASSWORD
NEW_PASSWORD = "a-new-Passw0rd-for-claims"


def sign_in(client, login, password=PASSWORD):
    return client.post("/accounts/login/", {"username": login, "password": password})


def signed_in_as(client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def reset_link(message) -> str:
    return re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", message.body).group(1)


def request_reset(client, email):
    return client.post("/accounts/password/reset/", {"email": email})


def complete_reset(client, link, password=NEW_PASSWORD):
    form_page = client.get(link)  # allauth moves the key into the session, then redirects
    assert form_page.status_code == 302
    return client.post(form_page["Location"], {"password1": password, "password2": password})


@pytest.mark.parametrize("login", ["fabrikam-global", "global@fabrikam.example", "Global@Fabrikam.example"])
def test_it_signs_in_by_username_or_by_email_in_one_field(directory, login):
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in page and "Username or email" in page
    response = sign_in(client, login)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == "fabrikam-global"


def test_a_wrong_password_by_email_is_refused_and_counted_against_the_username(directory):
    attacker = Client(REMOTE_ADDR="192.0.2.14")
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        for login in ["global@fabrikam.example", "fabrikam-global", "GLOBAL@fabrikam.example", "fabrikam-global"]:
            refused = sign_in(attacker, login, "wrong")
            assert refused.status_code == 200 and signed_in_as(attacker) is None
            assert "not correct" in refused.content.decode()
        # The fifth failure, whichever way the account was named, locks the pair.
        assert sign_in(attacker, "global@fabrikam.example", "wrong").status_code == 429
        assert sign_in(attacker, "fabrikam-global").status_code == 429
        assert sign_in(attacker, "global@fabrikam.example").status_code == 429
        # From the user's own address, the right password still works.
        assert sign_in(Client(REMOTE_ADDR="192.0.2.15"), "global@fabrikam.example").status_code == 302


def test_forgot_password_answers_the_same_for_an_unknown_address_and_writes_only_to_a_known_one(directory):
    known = request_reset(Client(), "global@fabrikam.example")
    unknown = request_reset(Client(), "nobody@fabrikam.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    done_known = Client().get(known["Location"]).content.decode()
    done_unknown = Client().get(unknown["Location"]).content.decode()
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(done_known) == strip(done_unknown)
    assert [m.to for m in mail.outbox] == [["global@fabrikam.example"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_the_reset_email_speaks_the_users_saved_language_not_the_requesters(fabrikam):
    fabrikam.language = "it"
    fabrikam.save(update_fields=["language"])
    request_reset(Client(HTTP_ACCEPT_LANGUAGE="es"), "global@fabrikam.example")
    (message,) = mail.outbox
    assert "Email per reimpostare la password" in message.subject
    assert "il tuo nome utente è fabrikam-global" in message.body


def test_a_completed_reset_lets_the_user_sign_in_and_lifts_their_lockout(directory):
    attacker = Client(REMOTE_ADDR="192.0.2.24")
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        for _ in range(5):
            sign_in(attacker, "fabrikam-billing", "wrong")
        assert sign_in(Client(REMOTE_ADDR="192.0.2.24"), "fabrikam-billing").status_code == 429  # locked

        request_reset(Client(REMOTE_ADDR="192.0.2.24"), "billing@fabrikam.example")
        owner = Client(REMOTE_ADDR="192.0.2.24")
        done = complete_reset(owner, reset_link(mail.outbox[-1]))
        assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/key/done/"
        assert signed_in_as(owner) is None  # a reset signs nobody in

        # The lock is gone: the new password works from that address; the old one does not.
        assert sign_in(Client(REMOTE_ADDR="192.0.2.24"), "fabrikam-billing").status_code == 200
        assert sign_in(owner, "fabrikam-billing", NEW_PASSWORD).status_code == 302
        assert signed_in_as(owner) == "fabrikam-billing"
        # A reset link works once.
        again = Client().get(reset_link(mail.outbox[-1]))
        assert again.status_code == 200 and "Bad Token" in again.content.decode()


def test_reset_requests_are_rate_limited_per_email_address(directory):
    statuses = [request_reset(Client(REMOTE_ADDR=f"198.51.100.{i}"), "global@fabrikam.example").status_code for i in range(7)]
    assert statuses == [302] * 5 + [429] * 2
    assert len(mail.outbox) == 5


def test_a_signed_in_user_changes_their_password(fabrikam):
    client = Client()
    assert sign_in(client, "fabrikam-global").status_code == 302
    home = client.get("/claims/").content.decode()
    assert 'href="/accounts/password/change/"' in home
    wrong = client.post(
        "/accounts/password/change/", {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert wrong.status_code == 200
    changed = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    fabrikam.refresh_from_db()
    assert fabrikam.check_password(NEW_PASSWORD)
    assert signed_in_as(client) == "fabrikam-global"  # still signed in here
    assert sign_in(Client(), "fabrikam-global").status_code == 200
    assert sign_in(Client(), "fabrikam-global", NEW_PASSWORD).status_code == 302


def test_the_password_change_page_needs_a_signed_in_user(db):
    response = Client().get("/accounts/password/change/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_first_sign_in_saves_the_browsers_language(fabrikam, fabrikam_billing):
    assert fabrikam.language == ""
    sign_in(Client(HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9,en;q=0.5"), "fabrikam-global")
    fabrikam.refresh_from_db()
    assert fabrikam.language == "pt-br"
    # A saved language is kept, whatever a later browser asks for.
    sign_in(Client(HTTP_ACCEPT_LANGUAGE="es"), "fabrikam-global")
    fabrikam.refresh_from_db()
    assert fabrikam.language == "pt-br"
    # A browser that asks for no supported language saves nothing.
    sign_in(Client(HTTP_ACCEPT_LANGUAGE="de-DE"), "fabrikam-billing")
    fabrikam_billing.refresh_from_db()
    assert fabrikam_billing.language == ""


def test_then_emails_follow_the_saved_language(fabrikam):
    sign_in(Client(HTTP_ACCEPT_LANGUAGE="zh-CN"), "fabrikam-global")
    request_reset(Client(HTTP_ACCEPT_LANGUAGE="en"), "global@fabrikam.example")
    assert "密码" in mail.outbox[-1].subject + mail.outbox[-1].body


def test_signup_is_closed(db):
    client = Client()
    page = client.get("/accounts/signup/")
    assert page.status_code == 200 and "Sign Up Closed" in page.content.decode()
    posted = client.post(
        "/accounts/signup/",
        {"username": "mallory", "email": "mallory@evil.example", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "Sign Up Closed" in posted.content.decode()
    assert not User.objects.filter(username="mallory").exists() and mail.outbox == []


def test_the_addresses_staff_entered_are_primary_and_verified(users):
    for user in users.values():
        assert EmailAddress.objects.filter(user=user, email=user.email, primary=True, verified=True).exists()


def test_a_user_adding_an_address_must_verify_it_before_it_replaces_theirs(fabrikam):
    client = Client()
    sign_in(client, "fabrikam-global")
    client.post("/accounts/email/", {"action_add": "", "email": "new-global@fabrikam.example"})
    fabrikam.refresh_from_db()
    assert fabrikam.email == "global@fabrikam.example"  # unchanged until verified
    new = EmailAddress.objects.get(user=fabrikam, email="new-global@fabrikam.example")
    assert not new.verified and not new.primary
    (message,) = [m for m in mail.outbox if m.to == ["new-global@fabrikam.example"]]
    link = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", message.body).group(1)
    assert client.post(link).status_code == 302
    fabrikam.refresh_from_db()
    assert fabrikam.email == "new-global@fabrikam.example"
    assert EmailAddress.objects.get(user=fabrikam, primary=True).email == "new-global@fabrikam.example"


def test_an_address_staff_enter_in_the_admin_is_verified(admin_client, fabrikam):
    page = admin_client.get(f"/admin/claims/user/{fabrikam.pk}/change/")
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update(
        {
            "username": fabrikam.username,
            "email": "global2@fabrikam.example",
            "company": fabrikam.company_id,
            "role": fabrikam.role,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "is_active": "on",
        }
    )
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("password", None)
    data.pop("date_joined", None)
    data.pop("notifications_read_up_to", None)
    response = admin_client.post(f"/admin/claims/user/{fabrikam.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert EmailAddress.objects.get(user=fabrikam, primary=True, verified=True).email == "global2@fabrikam.example"
