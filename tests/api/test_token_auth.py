"""The API's token authentication (claims.api.auth) answers as DRF's does: the token's user,
refusals with DRF's errors, and the user's fields read as the ORM reads them."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.api.auth import token_with_user


def test_the_token_reads_its_user_as_the_orm_does(fabrikam):
    token = Token.objects.create(user=fabrikam)
    fabrikam.refresh_from_db()
    fast = token_with_user(token.key)
    orm = Token.objects.select_related("user").get(key=token.key)
    assert fast.key == orm.key and fast.created == orm.created
    for field in fabrikam._meta.concrete_fields:
        assert getattr(fast.user, field.attname) == getattr(orm.user, field.attname), field.name
    assert fast.user.is_partner and fast.user.company_id == fabrikam.company_id
    assert token_with_user("no-such-token") is None


def test_refusals_are_drfs(fabrikam):
    client = APIClient()
    wrong = client.get("/api/v1/claims/", HTTP_AUTHORIZATION="Token wrong")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"] == "Token"
    assert wrong.json()["errors"][0]["code"] == "authentication_failed"
    assert wrong.json()["errors"][0]["message"] == "Invalid token."
    token = Token.objects.create(user=fabrikam)
    assert client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    fabrikam.is_active = False
    fabrikam.save(update_fields=["is_active"])
    refused = client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 401 and refused.json()["errors"][0]["message"] == "User inactive or deleted."


def test_a_personal_token_reads_with_its_user_as_the_orm_does(fabrikam):
    from claims.api.auth import api_token_with_user
    from claims.models import ApiToken
    from claims.services.tokens import api_token_create
    from claims.tokens import digest_of

    token, key = api_token_create(user=fabrikam, name="sync", days=30)
    fast = api_token_with_user(key)
    orm = ApiToken.objects.select_related("user").get(digest=digest_of(key))
    for field in ApiToken._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(orm, field.attname), field.name
    for field in fabrikam._meta.concrete_fields:
        assert getattr(fast.user, field.attname) == getattr(orm.user, field.attname), field.name
    assert fast.expires_at.tzinfo is not None and fast.last_used_at is None
    assert api_token_with_user("cpor_no-such-key") is None
