"""The team's API (issue 21, point 7): the same services, envelope and pagination."""

import pytest
from rest_framework.test import APIClient

from claims.choices import Role
from claims.models import User
from teams import services
from teams.models import Invitation

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error_code(response) -> str:
    return response.json()["errors"][0]["code"]


def test_members_are_a_page_of_the_companys_users_with_their_one_role_as_a_list(fabrikam, northwind):
    response = api(fabrikam).get("/api/v1/team/members/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == User.objects.filter(company=fabrikam.company).count()
    assert "northwind-global" not in {m["username"] for m in body["results"]}
    me = next(m for m in body["results"] if m["id"] == fabrikam.pk)
    assert set(me) == {"id", "username", "email", "name", "roles", "is_active", "last_login"}
    assert me["roles"] == ["global_admin"] and me["is_active"] is True


@pytest.mark.parametrize("who", ["fabrikam_billing", "fabrikam_incentives"])
def test_billing_and_incentives_admins_read_but_do_not_write(request, who, fabrikam_viewer):
    client = api(request.getfixturevalue(who))
    for path in ("/api/v1/team/members/", "/api/v1/team/invitations/", "/api/v1/team/access-log/"):
        assert client.get(path).status_code == 200
    refused = client.post("/api/v1/team/invitations/", {"email": "boss@fabrikam.example", "role": "global_admin"}, format="json")
    assert refused.status_code == 403 and error_code(refused) == "team_admin_only"
    refused = client.patch(f"/api/v1/team/members/{fabrikam_viewer.pk}/", {"roles": ["global_admin"]}, format="json")
    assert refused.status_code == 403
    fabrikam_viewer.refresh_from_db()
    assert fabrikam_viewer.role == Role.MEMBER
    assert not Invitation.objects.exists()


def test_a_user_without_a_claims_role_is_refused(fabrikam_viewer):
    client = api(fabrikam_viewer)
    for path in ("/api/v1/team/members/", "/api/v1/team/invitations/", "/api/v1/team/access-log/"):
        response = client.get(path)
        assert response.status_code == 403 and error_code(response) == "team_role_required"


def test_invite_answers_201_with_location_and_delete_withdraws(fabrikam):
    client = api(fabrikam)
    created = client.post(
        "/api/v1/team/invitations/", {"email": "api@fabrikam.example", "role": "incentives_admin"}, format="json"
    )
    assert created.status_code == 201
    invitation = Invitation.objects.get()
    assert created["Location"].endswith(f"/api/v1/team/invitations/{invitation.pk}/")
    assert client.get(created["Location"]).json()["email"] == "api@fabrikam.example"
    assert client.get("/api/v1/team/invitations/").json()["count"] == 1
    assert client.delete(f"/api/v1/team/invitations/{invitation.pk}/").status_code == 204
    assert client.get("/api/v1/team/invitations/").json()["count"] == 0
    log = client.get("/api/v1/team/access-log/").json()["results"]
    assert [e["action"] for e in log] == ["invitation_withdrawn", "invited"]
    assert log[0]["actor"] == "fabrikam-global"


def test_another_companys_member_and_invitation_are_404(fabrikam, northwind, users):
    theirs = services.invite(actor=northwind, email="theirs@northwind.example", role=Role.MEMBER)
    client = api(fabrikam)
    for response in (
        client.patch(f"/api/v1/team/members/{northwind.pk}/", {"is_active": False}, format="json"),
        client.get(f"/api/v1/team/invitations/{theirs.pk}/"),
        client.delete(f"/api/v1/team/invitations/{theirs.pk}/"),
    ):
        assert response.status_code == 404
    northwind.refresh_from_db()
    theirs.refresh_from_db()
    assert northwind.is_active and theirs.is_pending


def test_the_last_global_admin_rule_answers_409(fabrikam):
    client = api(fabrikam)
    for body in ({"roles": ["member"]}, {"is_active": False}):
        response = client.patch(f"/api/v1/team/members/{fabrikam.pk}/", body, format="json")
        assert response.status_code == 409 and error_code(response) == "last_global_admin"


def test_patch_changes_a_role_and_deactivates(fabrikam, fabrikam_viewer):
    client = api(fabrikam)
    response = client.patch(f"/api/v1/team/members/{fabrikam_viewer.pk}/", {"roles": ["billing_admin"]}, format="json")
    assert response.status_code == 200 and response.json()["roles"] == ["billing_admin"]
    response = client.patch(f"/api/v1/team/members/{fabrikam_viewer.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_changing_ones_own_role_is_refused(fabrikam, fabrikam_billing):
    services.change_role(actor=fabrikam, member=fabrikam_billing, role=Role.GLOBAL_ADMIN)
    response = api(fabrikam).patch(f"/api/v1/team/members/{fabrikam.pk}/", {"roles": ["billing_admin"]}, format="json")
    assert response.status_code == 403 and error_code(response) == "cannot_change_own_role"


def test_bad_input_is_a_400_in_the_envelope(fabrikam):
    client = api(fabrikam)
    for body in ({"roles": ["global_admin", "member"]}, {"roles": []}, {"roles": ["king"]}, {"is_active": "maybe"}):
        response = client.patch(f"/api/v1/team/members/{fabrikam.pk}/", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["field"]
    response = client.post("/api/v1/team/invitations/", {"email": "nope", "role": "member"}, format="json")
    assert response.status_code == 400 and error_code(response) == "invalid_email"


def test_the_member_list_keeps_its_query_count_as_the_team_grows(fabrikam, django_assert_num_queries):
    client = api(fabrikam)

    def grow(n):
        start = User.objects.count()
        User.objects.bulk_create(
            [User(username=f"bulk-{start + i}", company=fabrikam.company, role=Role.MEMBER) for i in range(n)]
        )

    client.get("/api/v1/team/members/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/v1/team/members/?page_size=100").status_code == 200
    grow(40)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/team/members/?page_size=100")
    assert response.json()["count"] >= 40
