"""The team's services (issue 21, point 4): invitations, roles, deactivation, the access log
and its emails, and the abuse they refuse."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from claims.choices import Role
from claims.errors import DomainError
from claims.models import User
from teams import services
from teams.models import AccessAction, AccessLogEntry, Invitation
from tests.teams.conftest import invitation_link, sent_mail

pytestmark = pytest.mark.django_db


def codes(exc_info) -> str:
    return exc_info.value.code


def accept(invitation, username="new-user", password="a-long-passphrase-42"):
    return services.accept_with_password(invitation=invitation, username=username, password=password)


def test_a_global_admin_invites_and_the_invitee_joins_with_the_role(fabrikam):
    invitation = services.invite(actor=fabrikam, email="Nestor@Fabrikam.example", role=Role.BILLING_ADMIN)
    assert invitation.expires_at == invitation.created_at + timedelta(days=7)
    message = [m for m in sent_mail() if m.to == ["Nestor@Fabrikam.example"]][-1]
    link = invitation_link(message)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert services.invitation_from_token(token) == invitation

    user = accept(invitation)
    user.refresh_from_db()
    assert (user.company_id, user.role, user.is_active, user.email) == (
        fabrikam.company_id,
        Role.BILLING_ADMIN,
        True,
        "nestor@fabrikam.example",
    )
    assert user.check_password("a-long-passphrase-42")
    actions = list(
        AccessLogEntry.objects.filter(company=fabrikam.company).order_by("at", "id").values_list("action", "actor__username")
    )
    assert actions == [(AccessAction.INVITED, "fabrikam-global"), (AccessAction.JOINED, "new-user")]


def test_an_invitation_link_works_once(fabrikam):
    invitation = services.invite(actor=fabrikam, email="once@fabrikam.example", role=Role.MEMBER)
    accept(invitation)
    with pytest.raises(DomainError) as refused:
        accept(invitation, username="second-try")
    assert codes(refused) == "invitation_used"
    assert not User.objects.filter(username="second-try").exists()


def test_an_invitation_link_expires_after_seven_days(fabrikam):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        invitation = services.invite(actor=fabrikam, email="late@fabrikam.example", role=Role.MEMBER)
        token = services.invitation_token(invitation)
    with time_machine.travel(start + timedelta(days=7) - timedelta(seconds=1), tick=False):
        assert services.invitation_from_token(token) == invitation
        services.check_usable(invitation)
    with time_machine.travel(start + timedelta(days=7, seconds=1), tick=False):
        with pytest.raises(DomainError) as refused:
            services.invitation_from_token(token)
        assert codes(refused) == "invitation_expired"
        with pytest.raises(DomainError) as refused:
            accept(invitation)
        assert codes(refused) == "invitation_expired"


def test_a_forged_link_is_refused(fabrikam):
    invitation = services.invite(actor=fabrikam, email="forged@fabrikam.example", role=Role.MEMBER)
    token = services.invitation_token(invitation)
    for bad in (token[:-2] + "xx", "1", f"{invitation.pk}"):
        with pytest.raises(DomainError) as refused:
            services.invitation_from_token(bad)
        assert codes(refused) == "invitation_invalid"


def test_an_invitation_cannot_move_another_companys_user(fabrikam, northwind):
    invitation = services.invite(actor=fabrikam, email="moved@fabrikam.example", role=Role.GLOBAL_ADMIN)
    with pytest.raises(DomainError) as refused:
        services.accept_invitation(invitation=invitation, user=northwind)
    assert codes(refused) == "invitation_other_company"
    northwind.refresh_from_db()
    assert (northwind.company.name, northwind.role) == ("Northwind Solutions", Role.GLOBAL_ADMIN)
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_a_withdrawn_invitation_no_longer_works(fabrikam):
    invitation = services.invite(actor=fabrikam, email="withdrawn@fabrikam.example", role=Role.MEMBER)
    services.withdraw_invitation(actor=fabrikam, invitation=invitation)
    with pytest.raises(DomainError) as refused:
        accept(invitation)
    assert codes(refused) == "invitation_withdrawn"


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(fabrikam):
    first = services.invite(actor=fabrikam, email="twice@fabrikam.example", role=Role.MEMBER)
    second = services.invite(actor=fabrikam, email="twice@fabrikam.example", role=Role.BILLING_ADMIN)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.is_pending


@pytest.mark.parametrize("who", ["fabrikam_billing", "fabrikam_incentives", "fabrikam_viewer"])
def test_only_a_global_admin_invites(request, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(DomainError) as refused:
        services.invite(actor=actor, email="boss@fabrikam.example", role=Role.GLOBAL_ADMIN)
    assert codes(refused) in ("team_admin_only", "team_role_required")
    assert refused.value.http_status == 403
    assert not Invitation.objects.exists()


def test_an_invitation_refuses_a_known_address_a_bad_address_and_a_reviewer_role(fabrikam, fabrikam_billing):
    for email, role, code in [
        (fabrikam_billing.email.upper(), Role.MEMBER, "already_member"),
        ("not-an-address", Role.MEMBER, "invalid_email"),
        ("new@fabrikam.example", Role.REVIEWER, "role_not_allowed"),
    ]:
        with pytest.raises(DomainError) as refused:
            services.invite(actor=fabrikam, email=email, role=role)
        assert codes(refused) == code
    assert not Invitation.objects.exists()


def test_a_role_change_is_logged_and_emailed_in_the_members_language(fabrikam, fabrikam_viewer):
    fabrikam_viewer.language = "it"
    fabrikam_viewer.save(update_fields=["language"])
    services.change_role(actor=fabrikam, member=fabrikam_viewer, role=Role.INCENTIVES_ADMIN)
    fabrikam_viewer.refresh_from_db()
    assert fabrikam_viewer.role == Role.INCENTIVES_ADMIN
    entry = AccessLogEntry.objects.get(action=AccessAction.ROLE_CHANGED)
    assert (entry.actor, entry.member, entry.old_role, entry.new_role) == (
        fabrikam,
        fabrikam_viewer,
        Role.MEMBER,
        Role.INCENTIVES_ADMIN,
    )
    message = [m for m in sent_mail() if m.to == [fabrikam_viewer.email]][-1]
    assert message.extra_headers["Content-Language"] == "it"
    assert "fabrikam-global" in message.body or (fabrikam.get_full_name() and fabrikam.get_full_name() in message.body)


def test_a_user_cannot_change_their_own_role(fabrikam, users):
    second = users["fabrikam-billing"]
    services.change_role(actor=fabrikam, member=second, role=Role.GLOBAL_ADMIN)
    with pytest.raises(DomainError) as refused:
        services.change_role(actor=fabrikam, member=fabrikam, role=Role.BILLING_ADMIN)
    assert codes(refused) == "cannot_change_own_role"
    fabrikam.refresh_from_db()
    assert fabrikam.role == Role.GLOBAL_ADMIN


def test_the_last_global_admin_can_be_neither_demoted_nor_deactivated(fabrikam, users):
    for change in (
        lambda: services.change_role(actor=fabrikam, member=fabrikam, role=Role.MEMBER),
        lambda: services.set_active(actor=fabrikam, member=fabrikam, is_active=False),
    ):
        with pytest.raises(DomainError) as refused:
            change()
        assert codes(refused) == "last_global_admin" and refused.value.http_status == 409
    fabrikam.refresh_from_db()
    assert (fabrikam.role, fabrikam.is_active) == (Role.GLOBAL_ADMIN, True)
    # With a second Global admin, one may leave (deactivate themselves).
    services.change_role(actor=fabrikam, member=users["fabrikam-billing"], role=Role.GLOBAL_ADMIN)
    services.set_active(actor=fabrikam, member=fabrikam, is_active=False)
    fabrikam.refresh_from_db()
    assert not fabrikam.is_active
    # ... and then the other is the last one: it cannot leave.
    second = User.objects.get(username="fabrikam-billing")
    with pytest.raises(DomainError) as refused:
        services.set_active(actor=second, member=second, is_active=False)
    assert codes(refused) == "last_global_admin"


def test_another_companys_member_is_not_found(fabrikam, northwind):
    for change in (
        lambda: services.change_role(actor=fabrikam, member=northwind, role=Role.MEMBER),
        lambda: services.set_active(actor=fabrikam, member=northwind, is_active=False),
    ):
        with pytest.raises(DomainError) as refused:
            change()
        assert codes(refused) == "member_not_found" and refused.value.http_status == 404
    northwind.refresh_from_db()
    assert northwind.is_active and northwind.role == Role.GLOBAL_ADMIN


def test_a_deactivated_users_session_and_api_token_stop_at_once(fabrikam, fabrikam_billing):
    browser = Client()
    browser.force_login(fabrikam_billing)
    assert browser.get("/claims/").status_code == 200
    token = Token.objects.create(user=fabrikam_billing)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/claims/").status_code == 200

    services.set_active(actor=fabrikam, member=fabrikam_billing, is_active=False)

    assert browser.get("/claims/").status_code == 302  # signed out: sent to the sign-in page
    refused = api.get("/api/v1/claims/")
    assert refused.status_code == 401
    message = [m for m in sent_mail() if m.to == [fabrikam_billing.email]][-1]
    assert "deactivated" in message.subject

    services.set_active(actor=fabrikam, member=fabrikam_billing, is_active=True)
    assert api.get("/api/v1/claims/").status_code == 200
    actions = list(AccessLogEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [AccessAction.DEACTIVATED, AccessAction.REACTIVATED]


def test_a_user_without_a_claims_role_asks_the_global_admins_once_an_hour(fabrikam_viewer, fabrikam, settings):
    assert services.request_role(actor=fabrikam_viewer) == 1
    assert [m.to for m in sent_mail() if "asks for a role" in m.subject] == [[fabrikam.email]]
    with pytest.raises(DomainError) as refused:
        services.request_role(actor=fabrikam_viewer)
    assert codes(refused) == "role_request_throttled" and refused.value.http_status == 429
    assert AccessLogEntry.objects.filter(action=AccessAction.ROLE_REQUESTED).count() == 1


def test_a_user_with_a_role_has_nobody_to_ask(fabrikam_billing):
    with pytest.raises(DomainError):
        services.request_role(actor=fabrikam_billing)
    assert mail.outbox == []


def test_staff_invite_reviewers_and_the_invitee_becomes_a_reviewer(admin_user, ana, fabrikam):
    invitation = services.invite(actor=admin_user, email="new.reviewer@cpor.example", role=Role.REVIEWER)
    assert invitation.company_id is None
    with pytest.raises(DomainError) as refused:
        services.invite(actor=admin_user, email="x@cpor.example", role=Role.GLOBAL_ADMIN)
    assert codes(refused) == "role_not_allowed"
    user = accept(invitation, username="reviewer-new")
    assert (user.company_id, user.role) == (None, Role.REVIEWER)
    services.set_active(actor=admin_user, member=ana, is_active=False)
    ana.refresh_from_db()
    assert not ana.is_active
    # A company's Global admin cannot touch a reviewer, nor a reviewer the team.
    with pytest.raises(DomainError) as refused:
        services.set_active(actor=fabrikam, member=user, is_active=False)
    assert codes(refused) == "member_not_found"
    with pytest.raises(DomainError) as refused:
        services.invite(actor=user, email="y@cpor.example", role=Role.REVIEWER)
    assert codes(refused) == "team_admin_only"


def test_the_prepared_token_query_and_drfs_own_path_refuse_a_deactivated_user(fabrikam, fabrikam_incentives):
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed

    from claims.api.auth import FastTokenAuthentication, token_with_user

    key = Token.objects.create(user=fabrikam_incentives).key
    assert FastTokenAuthentication().authenticate_credentials(key)[0] == fabrikam_incentives
    services.set_active(actor=fabrikam, member=fabrikam_incentives, is_active=False)
    assert token_with_user(key).user.is_active is False  # the prepared query reads the flag as it is now
    for auth in (FastTokenAuthentication(), TokenAuthentication()):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate_credentials(key)


@pytest.mark.parametrize("language", ["en", "pt-br", "it", "zh-hans", "es"])
def test_every_team_email_renders_in_every_language(fabrikam, fabrikam_viewer, language):
    fabrikam.language = fabrikam_viewer.language = language
    fabrikam.save(update_fields=["language"])
    fabrikam_viewer.save(update_fields=["language"])
    services.invite(actor=fabrikam, email="all@fabrikam.example", role=Role.BILLING_ADMIN)
    services.request_role(actor=fabrikam_viewer)
    services.change_role(actor=fabrikam, member=fabrikam_viewer, role=Role.BILLING_ADMIN)
    services.set_active(actor=fabrikam, member=fabrikam_viewer, is_active=False)
    services.set_active(actor=fabrikam, member=fabrikam_viewer, is_active=True)
    messages = sent_mail()
    assert len(messages) == 5
    for message in messages:
        assert message.subject and message.body.strip() and message.extra_headers["Content-Language"] == language
        assert "{%" not in message.body and "%(" not in message.body
    assert "/team/join/" in messages[0].body and "/team/" in messages[1].body
