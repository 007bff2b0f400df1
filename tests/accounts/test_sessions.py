"""Issue 21, point 6: the user's sessions (allauth.usersessions) with "sign out the other
sessions"; a new password ends the others, a reset ends all; deactivation ends all at once
(claims/sessions.py)."""

from types import SimpleNamespace

from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory

from claims import demo
from claims.admin import UserAdmin
from claims.models import User
from tests.accounts.test_accounts import NEW_PASSWORD, complete_reset, request_reset, reset_link

PASSWORD = demo.PASSWORD


def browser(name: str, username: str = "fabrikam-global", address: str = "192.0.2.10") -> Client:
    client = Client(HTTP_USER_AGENT=f"{name} browser", REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and client.session.get("_auth_user_id"), response
    return client


def signed_in(client: Client) -> bool:
    response = client.get("/claims/")
    return response.status_code == 200


def test_the_sessions_page_lists_each_sign_in_and_signs_out_the_others_after_asking(directory):
    laptop, phone, tablet = browser("Laptop"), browser("Phone", address="192.0.2.11"), browser("Tablet")
    page = laptop.get("/accounts/sessions/")
    html = page.content.decode()
    assert page.status_code == 200
    assert all(f"{name} browser" in html for name in ("Laptop", "Phone", "Tablet")) and "192.0.2.11" in html
    assert html.count("Current") == 1
    assert 'data-confirm="Sign out all your other sessions?"' in html
    assert laptop.post("/accounts/sessions/").status_code == 302
    assert signed_in(laptop) and not signed_in(phone) and not signed_in(tablet)
    assert UserSession.objects.filter(user__username="fabrikam-global").count() == 1
    others = laptop.get("/accounts/sessions/").content.decode()
    assert "Phone browser" not in others and "Sign Out Other Sessions" not in others


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(directory):
    laptop, phone = browser("Laptop"), browser("Phone")
    northwind = browser("Laptop", username="northwind-global")
    changed = laptop.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    assert signed_in(laptop) and not signed_in(phone) and signed_in(northwind)
    user = User.objects.get(username="fabrikam-global")
    assert [s.session_key for s in UserSession.objects.filter(user=user)] == [laptop.session.session_key]
    assert Session.objects.filter(session_key=laptop.session.session_key).exists()


def test_a_completed_password_reset_ends_every_session(directory):
    laptop, phone = browser("Laptop"), browser("Phone")
    request_reset(Client(), "global@fabrikam.example")
    from django.core import mail

    assert complete_reset(Client(), reset_link(mail.outbox[-1])).status_code == 302
    assert not signed_in(laptop) and not signed_in(phone)
    assert not UserSession.objects.filter(user__username="fabrikam-global").exists()


def test_deactivation_in_the_admin_ends_every_session_at_once(directory):
    laptop, phone = browser("Laptop"), browser("Phone")
    user = User.objects.get(username="fabrikam-global")
    keys = [laptop.session.session_key, phone.session.session_key]
    user.is_active = False
    staff = SimpleNamespace(user=User.objects.get(username="reviewer-ana"))
    request = RequestFactory().post("/admin/")
    request.user = staff.user
    UserAdmin(User, admin.site).save_model(request, user, SimpleNamespace(changed_data=["is_active"]), change=True)
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    for client in (laptop, phone):
        page = client.get("/claims/")
        assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")


def test_a_deactivated_users_existing_session_gets_no_page_whoever_deactivated_them(directory):
    # Deactivated by any path (a script, the team page before it ends sessions): Django's
    # backend refuses the inactive user on the session's next request.
    laptop = browser("Laptop")
    User.objects.filter(username="fabrikam-global").update(is_active=False)
    for path in ("/claims/", "/account/tokens/", "/accounts/sessions/"):
        page = laptop.get(path)
        assert page.status_code == 302 and page["Location"].startswith("/accounts/login/"), path
    api = laptop.get("/api/v1/claims/")
    assert api.status_code in (401, 403)
