"""Issue 21, point 5: personal API tokens on /account/tokens/. Named, with an expiry the user
picks (bounded by CPOR_API_TOKEN_MAX_DAYS), shown once, stored hashed, revocable after a
confirmation, with their last use; `Authorization: Token …` takes them beside DRF's keys,
still with one query per request (claims/api/auth.py)."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims import demo
from claims.models import ApiToken, User
from claims.services.tokens import api_token_create, api_token_revoke

NOW = "2026-11-23 10:00:00Z"
KEY = re.compile(r"cpor_[A-Za-z0-9_-]{40}")


def signed_in(user, *, reauthenticated: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if reauthenticated:  # creating a token asks for the password again (allauth's reauthentication)
        assert client.post("/accounts/reauthenticate/", {"password": demo.PASSWORD}).status_code == 302
    return client


def create(client, name="CRM sync", days=30):
    return client.post("/account/tokens/", {"name": name, "days": days})


def api(key):
    return APIClient().get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {key}")


def error_code(response) -> str:
    return response.json()["errors"][0]["code"]


@time_machine.travel(NOW, tick=False)
def test_a_created_token_is_shown_once_stored_hashed_and_works_with_the_api(fabrikam):
    client = signed_in(fabrikam)
    created = create(client, days=30)
    assert created.status_code == 302 and created["Location"] == "/account/tokens/"
    page = client.get("/account/tokens/")
    html = page.content.decode()
    keys = set(KEY.findall(html))
    assert len(keys) == 1, "the new key is on the page that follows the creation"
    key = keys.pop()
    assert page["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=fabrikam)
    assert token.name == "CRM sync" and token.expires_at == timezone.now().replace(
        year=2026, month=12, day=23, hour=10, minute=0, second=0, microsecond=0
    )
    assert token.digest == hashlib.sha256(key.encode()).hexdigest() and key.startswith(token.prefix)
    assert not any(key in str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields)
    # Never again: the next page has the token's prefix, not its key.
    again = client.get("/account/tokens/").content.decode()
    assert key not in again and f"{token.prefix}…" in again and "CRM sync" in again
    assert "cpor_" not in client.session.get("claims.new_api_token", {}).get("key", "")
    response = api(key)
    assert response.status_code == 200 and "results" in response.json()


def test_creating_a_token_asks_for_the_password_again_first(fabrikam):
    client = signed_in(fabrikam, reauthenticated=False)
    assert client.get("/account/tokens/").status_code == 200  # the list needs no password
    asked = create(client, name="after the password")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert not ApiToken.objects.exists()
    wrong = client.post(asked["Location"], {"password": "wrong"})
    assert wrong.status_code == 200 and not ApiToken.objects.exists()
    confirmed = client.post(asked["Location"], {"password": demo.PASSWORD})
    assert confirmed.status_code == 302 and confirmed["Location"] == "/account/tokens/"
    assert not ApiToken.objects.exists()  # back on the page, the form is sent again
    assert create(client, name="after the password").status_code == 302
    assert ApiToken.objects.get().name == "after the password"
    assert len(set(KEY.findall(client.get("/account/tokens/").content.decode()))) == 1


def test_the_password_is_asked_for_too_when_the_double_submit_guard_runs_the_form(fabrikam):
    client = signed_in(fabrikam, reauthenticated=False)
    asked = client.post("/account/tokens/", {"name": "x", "days": 30, "form_token": "f" * 32})
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert not ApiToken.objects.exists()


def test_the_lifetime_is_bounded_by_the_setting(fabrikam, settings):
    settings.CPOR_API_TOKEN_MAX_DAYS = 30
    client = signed_in(fabrikam)
    for days in (31, 0, "soon"):
        refused = create(client, days=days)
        assert refused.status_code == 200 and refused.context["form"].errors["days"], days
    assert not create(client, name="", days=10).context["form"].is_valid()
    assert ApiToken.objects.count() == 0
    assert create(client, days=30).status_code == 302
    assert ApiToken.objects.count() == 1
    # The service bounds it too, whoever calls it.
    with time_machine.travel(NOW, tick=False):
        token, _key = api_token_create(user=fabrikam, name="x", days=1000)
        assert token.expires_at - timezone.now() == timedelta(days=30)


def test_a_user_holds_at_most_the_allowed_number_of_working_tokens(fabrikam, settings):
    settings.CPOR_API_TOKENS_PER_USER = 2
    client = signed_in(fabrikam)
    assert create(client, "a").status_code == 302 and create(client, "b").status_code == 302
    refused = create(client, "c")
    assert refused.status_code == 200 and "most allowed" in refused.content.decode()
    assert ApiToken.objects.filter(user=fabrikam).count() == 2
    api_token_revoke(user=fabrikam, token_id=ApiToken.objects.get(name="a").pk)
    assert create(client, "c").status_code == 302  # a revoked one no longer counts


def test_revoking_asks_first_then_the_token_is_refused_with_its_code(fabrikam):
    token, key = api_token_create(user=fabrikam, name="nightly export", days=30)
    client = signed_in(fabrikam)
    url = f"/account/tokens/{token.pk}/revoke/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'name="confirmed" value="1"' in confirm.content.decode()
    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 200 and api(key).status_code == 200
    done = client.post(url, {"confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == "/account/tokens/"
    refused = api(key)
    assert refused.status_code == 401 and error_code(refused) == "token_revoked"
    assert refused["WWW-Authenticate"] == "Token"
    assert "/account/tokens/" in refused.json()["errors"][0]["message"]
    page = client.get("/account/tokens/").content.decode()
    assert '<tr id="token-' not in page and "No tokens yet" in page
    assert client.post(url, {"confirmed": "1"}).status_code == 404  # gone from the user's list


def test_an_expired_token_is_refused_with_its_code_on_the_last_second_and_after(fabrikam):
    with time_machine.travel(NOW, tick=False):
        token, key = api_token_create(user=fabrikam, name="short", days=1)
    with time_machine.travel(token.expires_at - timedelta(seconds=1), tick=False):
        assert api(key).status_code == 200
    with time_machine.travel(token.expires_at, tick=False):
        refused = api(key)
        assert refused.status_code == 401 and error_code(refused) == "token_expired"
        page = signed_in(fabrikam).get("/account/tokens/").content.decode()
        assert "short" in page and "Expired" in page


def test_an_unknown_personal_key_is_refused_as_drf_refuses_one(fabrikam):
    refused = api("cpor_" + "x" * 40)
    assert refused.status_code == 401 and error_code(refused) == "authentication_failed"
    assert refused.json()["errors"][0]["message"] == "Invalid token."


@pytest.mark.parametrize("kind", ["personal", "drf"])
def test_a_deactivated_users_tokens_stop_at_once(fabrikam, kind):
    key = api_token_create(user=fabrikam, name="x", days=30)[1] if kind == "personal" else Token.objects.create(user=fabrikam).key
    assert api(key).status_code == 200
    fabrikam.is_active = False
    fabrikam.save(update_fields=["is_active"])
    refused = api(key)
    assert refused.status_code == 401 and error_code(refused) == "authentication_failed"
    assert refused.json()["errors"][0]["message"] == "User inactive or deleted."


def test_last_use_is_written_at_most_once_a_minute(fabrikam):
    token, key = api_token_create(user=fabrikam, name="x", days=30)
    start = timezone.now()

    def writes_during_a_call(at) -> int:
        with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as queries:
            assert api(key).status_code == 200
        return sum(1 for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"])

    assert writes_during_a_call(start) == 1
    token.refresh_from_db()
    assert token.last_used_at == start
    assert writes_during_a_call(start + timedelta(seconds=30)) == 0
    assert writes_during_a_call(start + timedelta(seconds=59)) == 0
    token.refresh_from_db()
    assert token.last_used_at == start
    assert writes_during_a_call(start + timedelta(seconds=60)) == 1
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=60)
    page = signed_in(fabrikam).get("/account/tokens/").content.decode()
    assert timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M") in page


def _queries_of_a_call(key) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert api(key).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_an_api_request_authenticates_in_one_query_for_either_kind_of_key(fabrikam):
    drf_key = Token.objects.create(user=fabrikam).key
    token, key = api_token_create(user=fabrikam, name="x", days=30)
    api(key)  # the first use writes last_used_at; the next ones in the minute do not
    personal = _queries_of_a_call(key)
    drf = _queries_of_a_call(drf_key)
    assert len(personal) == len(drf)
    assert [q for q in personal if "apitoken" in q] == [personal[0]] and personal[0].startswith("SELECT")
    assert not any("authtoken" in q for q in personal)
    # More tokens (the user's and others'): the same queries.
    for n in range(15):
        api_token_create(user=fabrikam, name=f"t{n}", days=30)
    assert len(_queries_of_a_call(key)) == len(personal)


def test_the_tokens_page_has_a_constant_number_of_queries(fabrikam, django_assert_num_queries):
    client = signed_in(fabrikam)
    api_token_create(user=fabrikam, name="first", days=30)
    client.get("/account/tokens/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/account/tokens/").status_code == 200
    queries = len(one.captured_queries)  # read now: the next request empties Django's query log
    for n in range(15):
        api(api_token_create(user=fabrikam, name=f"t{n}", days=30)[1])
    with django_assert_num_queries(queries):
        page = client.get("/account/tokens/")
    assert page.content.decode().count('<tr id="token-') == 16


def test_only_the_owner_sees_and_revokes_a_token(fabrikam, northwind):
    token, key = api_token_create(user=fabrikam, name="fabrikam's", days=30)
    other = signed_in(northwind)
    assert "fabrikam&#x27;s" not in other.get("/account/tokens/").content.decode()
    assert other.get(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert other.post(f"/account/tokens/{token.pk}/revoke/", {"confirmed": "1"}).status_code == 404
    assert api(key).status_code == 200


def test_the_page_is_for_claims_roles_and_reviewers(fabrikam_viewer, ana, fabrikam_billing):
    assert Client().get("/account/tokens/").status_code == 302  # to sign in
    no_role = signed_in(fabrikam_viewer)
    assert no_role.get("/account/tokens/").status_code == 403
    assert create(no_role).status_code == 403 and ApiToken.objects.count() == 0
    for user in (ana, fabrikam_billing):
        client = signed_in(user)
        page = client.get("/account/tokens/").content.decode()
        assert 'href="/account/tokens/"' in page and 'href="/accounts/sessions/"' in page
        assert create(client).status_code == 302
    assert 'href="/account/tokens/"' not in no_role.get("/accounts/password/change/").content.decode()


def test_a_user_who_must_use_a_second_factor_gets_no_password_token_but_a_personal_one_works(ana, settings):
    settings.CPOR_MFA_REQUIRED_FOR = ["reviewers"]
    refused = Client().post(
        "/api/v1/auth/token/", {"username": "reviewer-ana", "password": "demo-password"}, content_type="application/json"
    )
    assert refused.status_code == 403 and error_code(refused) == "mfa_required"
    assert "/account/tokens/" in refused.json()["errors"][0]["message"]
    _token, key = api_token_create(user=ana, name="queue script", days=30)
    queue = APIClient().get("/api/v1/review/queue/", HTTP_AUTHORIZATION=f"Token {key}")
    assert queue.status_code == 200, queue.content


def test_staff_see_tokens_without_their_key_and_revoke_a_leaked_one(fabrikam):
    token, key = api_token_create(user=fabrikam, name="leaked", days=30)
    staff = Client()
    staff.force_login(User.objects.create_superuser("root", "root@cpor.example", "pw"))
    listing = staff.get("/admin/claims/apitoken/").content.decode()
    assert "leaked" in listing and token.prefix in listing and key not in listing and token.digest not in listing
    assert staff.get("/admin/claims/apitoken/add/").status_code == 403
    done = staff.post("/admin/claims/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert done.status_code == 302
    refused = api(key)
    assert refused.status_code == 401 and error_code(refused) == "token_revoked"
