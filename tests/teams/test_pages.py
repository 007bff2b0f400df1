"""The team page (/team/) and the invitation link in the browser's terms (test client)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.choices import Role
from claims.models import User
from teams import services
from teams.models import AccessAction, AccessLogEntry, Invitation
from tests.teams.conftest import invitation_link, sent_mail

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-42"


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def path_of(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_a_global_admin_sees_members_invites_and_changes(fabrikam, fabrikam_viewer, northwind):
    client = browser(fabrikam)
    page = client.get("/team/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "fabrikam-viewer" in html and "northwind-global" not in html
    assert 'action="/team/invitations/"' in html and f'action="/team/members/{fabrikam_viewer.pk}/role/"' in html
    # No role form on one's own row.
    assert f'action="/team/members/{fabrikam.pk}/role/"' not in html

    response = client.post("/team/invitations/", {"email": "page@fabrikam.example", "role": "billing_admin"})
    assert response.status_code == 302
    assert Invitation.objects.get().role == Role.BILLING_ADMIN
    response = client.post(f"/team/members/{fabrikam_viewer.pk}/role/", {"role": "incentives_admin"})
    assert response.status_code == 302
    fabrikam_viewer.refresh_from_db()
    assert fabrikam_viewer.role == Role.INCENTIVES_ADMIN
    client.post(f"/team/members/{fabrikam_viewer.pk}/deactivate/")
    fabrikam_viewer.refresh_from_db()
    assert not fabrikam_viewer.is_active
    html = client.get("/team/").content.decode()
    assert "Access log" in html and "Deactivated" in html and "Role changed" in html


def test_the_page_refuses_what_the_services_refuse(fabrikam, northwind):
    client = browser(fabrikam)
    response = client.post(f"/team/members/{fabrikam.pk}/deactivate/", follow=True)
    assert "at least one active Global admin" in response.content.decode()
    fabrikam.refresh_from_db()
    assert fabrikam.is_active
    response = client.post(f"/team/members/{northwind.pk}/deactivate/")
    assert response.status_code == 404
    northwind.refresh_from_db()
    assert northwind.is_active
    theirs = services.invite(actor=northwind, email="theirs@northwind.example", role=Role.MEMBER)
    assert client.post(f"/team/invitations/{theirs.pk}/withdraw/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_pending
    response = client.post("/team/invitations/", {"email": "nope", "role": "member"})
    assert response.status_code == 400 and not Invitation.objects.filter(company=fabrikam.company).exists()


@pytest.mark.parametrize("who", ["fabrikam_billing", "fabrikam_incentives"])
def test_billing_and_incentives_admins_see_the_team_read_only(request, who, fabrikam_viewer):
    client = browser(request.getfixturevalue(who))
    html = client.get("/team/").content.decode()
    assert "fabrikam-viewer" in html and "Access log" in html
    assert "<form" not in html.split('id="members"', 1)[1].split("</table>", 1)[0]
    assert 'action="/team/invitations/"' not in html
    response = client.post("/team/invitations/", {"email": "boss@fabrikam.example", "role": "global_admin"})
    assert response.status_code == 302 and not Invitation.objects.exists()
    client.post(f"/team/members/{fabrikam_viewer.pk}/role/", {"role": "global_admin"})
    fabrikam_viewer.refresh_from_db()
    assert fabrikam_viewer.role == Role.MEMBER


def test_a_user_without_a_role_sees_the_global_admins_and_asks_them(fabrikam_viewer, fabrikam, fabrikam_billing):
    client = browser(fabrikam_viewer)
    html = client.get("/team/").content.decode()
    assert fabrikam.email in html and fabrikam_billing.email not in html
    assert "Request a role" in html
    client.post("/team/request-role/")
    assert [m.to for m in sent_mail() if "asks for a role" in m.subject] == [[fabrikam.email]]
    response = client.post("/team/request-role/", follow=True)
    assert "Wait before asking again" in response.content.decode()
    assert AccessLogEntry.objects.filter(action=AccessAction.ROLE_REQUESTED).count() == 1


def test_staff_get_the_page_for_reviewers(admin_user, ana, fabrikam):
    html = browser(admin_user).get("/team/").content.decode()
    assert "reviewer-ana" in html and "fabrikam-global" not in html
    assert 'action="/team/invitations/"' in html


def test_the_header_links_the_team_page_for_company_users_and_staff(fabrikam_viewer, admin_user):
    assert 'href="/team/"' in browser(fabrikam_viewer).get("/team/").content.decode()
    assert 'href="/team/"' in browser(admin_user).get("/team/").content.decode()


def test_accepting_creates_the_account_and_signs_in(fabrikam):
    services.invite(actor=fabrikam, email="joiner@fabrikam.example", role=Role.INCENTIVES_ADMIN)
    link = path_of(invitation_link(sent_mail()[-1]))
    client = browser()
    assert client.get(link).status_code == 200
    mismatch = client.post(link, {"username": "joiner", "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert mismatch.status_code == 400 and not User.objects.filter(username="joiner").exists()
    taken = client.post(link, {"username": "fabrikam-global", "password1": PASSWORD, "password2": PASSWORD})
    assert taken.status_code == 400
    response = client.post(link, {"username": "joiner", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(username="joiner")
    assert (user.company_id, user.role) == (fabrikam.company_id, Role.INCENTIVES_ADMIN)
    assert client.get("/claims/").status_code == 200  # signed in, with the role
    # The link used twice: refused, nothing created.
    other = browser()
    again = other.post(link, {"username": "joiner2", "password1": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 409 and "already been used" in again.content.decode()
    assert not User.objects.filter(username="joiner2").exists()


def test_an_expired_link_is_refused(fabrikam):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.invite(actor=fabrikam, email="slow@fabrikam.example", role=Role.MEMBER)
        link = path_of(invitation_link(sent_mail()[-1]))
    with time_machine.travel(start + timedelta(days=8), tick=False):
        response = browser().post(link, {"username": "slow", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 409 and "expired" in response.content.decode()
    assert not User.objects.filter(username="slow").exists()


def test_a_signed_in_user_of_another_company_cannot_use_the_link(fabrikam, northwind):
    services.invite(actor=fabrikam, email="hijack@fabrikam.example", role=Role.GLOBAL_ADMIN)
    link = path_of(invitation_link(sent_mail()[-1]))
    response = browser(northwind).post(link, {"username": "hijack", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 409
    northwind.refresh_from_db()
    assert northwind.company.name == "Northwind Solutions" and not User.objects.filter(username="hijack").exists()


def test_the_team_page_keeps_its_query_count_as_the_team_grows(fabrikam, fabrikam_viewer, django_assert_num_queries):
    client = browser(fabrikam)
    services.invite(actor=fabrikam, email="q1@fabrikam.example", role=Role.MEMBER)
    services.change_role(actor=fabrikam, member=fabrikam_viewer, role=Role.BILLING_ADMIN)
    client.get("/team/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/team/").status_code == 200
    User.objects.bulk_create([User(username=f"grown-{i}", company=fabrikam.company, role=Role.MEMBER) for i in range(30)])
    for i in range(5):
        services.invite(actor=fabrikam, email=f"more{i}@fabrikam.example", role=Role.MEMBER)
    for user in User.objects.filter(username__startswith="grown-")[:5]:
        services.set_active(actor=fabrikam, member=user, is_active=False)
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get("/team/").content.decode()
    assert "grown-29" in html
