"""Every change of a team (issue 21, point 4): invitations, roles, deactivation, the request
for a role. The page, the API and (for invitations) the SSO sign-in call these.

Each service checks who may act first (another team's member is `member_not_found`, a
missing role 403), runs in one transaction, writes its access-log row, and writes the emails
to the outbox in that transaction (claims.notifications), so a refused or rolled-back change
sends nothing.

The one rule of the team, `last_global_admin`: a company keeps at least one active Global
admin. The service locks the company's active Global admins before it decides, so two admins
demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from claims import notifications
from claims.accounts import mark_staff_email_verified
from claims.choices import Role
from claims.errors import DomainError
from claims.models import User
from claims.sessions import end_sessions
from cpor.i18n import recipient_language

from . import selectors
from .models import AccessAction, AccessLogEntry, Invitation
from .selectors import Team

SALT = "teams.invitation"


# --- the invitation link ---------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=SALT)


def invitation_url(invitation: Invitation) -> str:
    return notifications.absolute_url(reverse("teams:accept", args=[invitation_token(invitation)]))


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names, else invitation_invalid (a forged or mangled link)."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=timedelta(days=settings.CPOR_INVITATION_EXPIRY_DAYS))
    except signing.SignatureExpired:
        raise DomainError.of("invitation_expired") from None
    except signing.BadSignature:
        raise DomainError.of("invitation_invalid") from None
    invitation = Invitation.objects.select_related("company", "invited_by").filter(pk=pk).first()
    if invitation is None:
        raise DomainError.of("invitation_invalid")
    return invitation


def check_usable(invitation: Invitation, *, now=None) -> None:
    """Refuses an invitation that was used, withdrawn or has expired."""
    now = now or timezone.now()
    if invitation.accepted_at is not None:
        raise DomainError.of("invitation_used")
    if invitation.revoked_at is not None:
        raise DomainError.of("invitation_withdrawn")
    if invitation.expires_at <= now:
        raise DomainError.of("invitation_expired")


# --- helpers ---------------------------------------------------------------------------------


def _log(team_company_id, *, actor, action, member=None, email="", old_role="", new_role="", now) -> AccessLogEntry:
    return AccessLogEntry.objects.create(
        company_id=team_company_id,
        at=now,
        actor=actor,
        action=action,
        member=member,
        email=email or (member.email if member else ""),
        old_role=old_role,
        new_role=new_role,
    )


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _team_url() -> str:
    return notifications.absolute_url(reverse("teams:page"))


def _tell_member(entry: AccessLogEntry, member: User, company_name: str) -> None:
    """The access change, emailed to the member it is about, in their language."""
    notifications.enqueue(
        [
            notifications.build(
                "team_access_changed",
                to=member.email,
                claim=None,
                context={
                    "action": entry.action,
                    "old_role": entry.old_role,
                    "new_role": entry.new_role,
                    "actor": _name(entry.actor),
                    "company": company_name,
                    "at": entry.at,
                    "site_url": settings.SITE_URL,
                },
                now=entry.at,
                language=recipient_language(member),
            )
        ]
    )


def _company_name(team: Team) -> str:
    from claims.models import PartnerCompany

    if team.company_id is None:
        return ""
    return PartnerCompany.objects.filter(pk=team.company_id).values_list("name", flat=True).first() or ""


def _lock_member(team: Team, member: User, actor: User) -> User:
    """Locks the company's active Global admins (in id order), then the member: every change
    of a member locks in this order, so two changes at once wait for each other instead of
    deadlocking, and the last-Global-admin rule reads a set nobody else is changing. An actor
    demoted or deactivated by a change that committed meanwhile acts no more."""
    if team.company_id is not None:
        admins = selectors.global_admins(team.company_id).order_by("pk").select_for_update()
        if actor.pk not in list(admins.values_list("pk", flat=True)):
            raise DomainError.of("team_admin_only")
    return selectors.members(team).select_for_update().get(pk=member.pk)


def _keeps_a_global_admin(team: Team, member: User) -> None:
    """`last_global_admin` if `member` is the company's only active Global admin (the rows are
    locked by `_lock_member`: a concurrent demotion waits, then sees this one's result)."""
    if team.company_id is None or not (member.role == Role.GLOBAL_ADMIN and member.is_active):
        return
    admins = list(selectors.global_admins(team.company_id).values_list("pk", flat=True))
    if admins == [member.pk]:
        raise DomainError.of("last_global_admin")


# --- invitations -----------------------------------------------------------------------------


def invite(*, actor: User, email: str, role: str) -> Invitation:
    """Invites `email` to the actor's team with `role`: a signed, single-use link that expires
    after CPOR_INVITATION_EXPIRY_DAYS, emailed in the actor's language. A pending invitation of
    the same address to the same team is withdrawn (the newest link alone works).

    Refuses: team_admin_only (not the team's Global admin / staff), role_not_allowed,
    invalid_email, already_member (an account has this address)."""
    team = selectors.managing_team(actor)
    email = (email or "").strip()
    if role not in team.roles:
        raise DomainError.of("role_not_allowed", "role")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError.of("invalid_email", "email") from None
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise DomainError.of("already_member", "email")
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(
            company_id=team.company_id, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            company_id=team.company_id,
            email=email,
            role=role,
            invited_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=settings.CPOR_INVITATION_EXPIRY_DAYS),
        )
        _log(team.company_id, actor=actor, action=AccessAction.INVITED, email=email, new_role=role, now=now)
        language = recipient_language(actor, fallback=translation.get_language())
        notifications.enqueue(
            [
                notifications.build(
                    "team_invitation",
                    to=email,
                    claim=None,
                    context={
                        "inviter": _name(actor),
                        "company": _company_name(team),
                        "role": role,
                        "accept_url": invitation_url(invitation),
                        "expires_at": invitation.expires_at,
                    },
                    now=now,
                    language=language,
                )
            ]
        )
    return invitation


def withdraw_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraws a pending invitation of the actor's team: its link stops working."""
    team = selectors.managing_team(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = selectors.invitations(team).select_for_update(of=("self",)).filter(pk=invitation.pk).first()
        if locked is None:
            raise DomainError.of("invitation_not_found")
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at"])
        _log(
            team.company_id,
            actor=actor,
            action=AccessAction.INVITATION_WITHDRAWN,
            email=locked.email,
            new_role=locked.role,
            now=now,
        )
    return locked


def accept_invitation(*, invitation: Invitation, user: User) -> User:
    """Puts `user` in the invitation's team with its role, once. The account is new (created
    from the link with a password: `accept_with_password`) or an identity the SSO sign-in
    links to the invitation; either way this is the one place an invitation is used.

    Refuses: invitation_used, invitation_withdrawn, invitation_expired, and
    invitation_other_company when `user` already belongs to another team."""
    now = timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        check_usable(locked, now=now)
        if user.pk and (user.company_id or None) != locked.company_id and (user.company_id or user.role == Role.REVIEWER):
            raise DomainError.of("invitation_other_company")
        user.company_id = locked.company_id
        user.role = locked.role
        user.is_active = True
        if not user.email:
            user.email = locked.email
        user.save()
        locked.accepted_at = now
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        _log(locked.company_id, actor=user, action=AccessAction.JOINED, member=user, new_role=locked.role, now=now)
    return user


def accept_with_password(*, invitation: Invitation, username: str, password: str, language: str = "") -> User:
    """Creates the invitee's account (username and password of their choosing, the invited
    address verified: the link reached it) and accepts the invitation, in one transaction."""
    check_usable(invitation)
    try:
        with transaction.atomic():
            user = get_user_model()(username=username, email=invitation.email.lower(), language=language or "")
            user.set_password(password)
            user.save()
            accept_invitation(invitation=invitation, user=user)
            mark_staff_email_verified(user)
    except IntegrityError:
        # The same username taken at the same moment (the form checked it before).
        raise DomainError.of("username_taken", "username") from None
    return user


# --- members ---------------------------------------------------------------------------------


def change_role(*, actor: User, member: User, role: str) -> User:
    """Gives a member of the actor's team another role, emails them and logs it.

    Refuses: member_not_found (another team's user), role_not_allowed, last_global_admin
    (the company's only active Global admin), cannot_change_own_role."""
    team = selectors.managing_team(actor)
    member = selectors.get_member(team, member.pk)
    if role not in team.roles:
        raise DomainError.of("role_not_allowed", "role")
    now = timezone.now()
    with transaction.atomic():
        member = _lock_member(team, member, actor)
        if member.role == role:
            return member
        if role != Role.GLOBAL_ADMIN:
            _keeps_a_global_admin(team, member)
        if member.pk == actor.pk:
            raise DomainError.of("cannot_change_own_role")
        old = member.role
        member.role = role
        member.save(update_fields=["role"])
        entry = _log(
            team.company_id, actor=actor, action=AccessAction.ROLE_CHANGED, member=member, old_role=old, new_role=role, now=now
        )
        _tell_member(entry, member, _company_name(team))
    return member


def set_active(*, actor: User, member: User, is_active: bool) -> User:
    """Deactivates or reactivates a member of the actor's team (themselves too: leaving the
    team), emails them and logs it. A deactivated user's sessions and API tokens stop at once:
    the authentication backends refuse inactive users on every request.

    Refuses: member_not_found, last_global_admin."""
    team = selectors.managing_team(actor)
    member = selectors.get_member(team, member.pk)
    now = timezone.now()
    with transaction.atomic():
        member = _lock_member(team, member, actor)
        if member.is_active == is_active:
            return member
        if not is_active:
            _keeps_a_global_admin(team, member)
        member.is_active = is_active
        member.save(update_fields=["is_active"])
        action = AccessAction.REACTIVATED if is_active else AccessAction.DEACTIVATED
        entry = _log(team.company_id, actor=actor, action=action, member=member, old_role=member.role, now=now)
        _tell_member(entry, member, _company_name(team))
        if not is_active:
            # The backends already refuse an inactive user on every request; the session rows go too,
            # so the user's sessions page and the store hold nothing that looks alive.
            transaction.on_commit(lambda: end_sessions(member))
    return member


def request_role(*, actor: User) -> int:
    """A company user without a claims role asks their Global admins for one: each is emailed
    in their language. Once per CPOR_ROLE_REQUEST_INTERVAL_MINUTES per user
    (role_request_throttled). Returns how many admins were asked."""
    team = selectors.team_for(actor)
    if team is None or team.company_id is None or team.can_read:
        raise DomainError.of("team_admin_only")
    minutes = settings.CPOR_ROLE_REQUEST_INTERVAL_MINUTES
    # cache.add is atomic: of two requests at once, one asks.
    if not cache.add(f"teams:role-request:{actor.pk}", 1, timeout=minutes * 60):
        raise DomainError.of("role_request_throttled", minutes=minutes)
    now = timezone.now()
    admins = list(selectors.global_admins(team.company_id).exclude(email=""))
    with transaction.atomic():
        _log(team.company_id, actor=actor, action=AccessAction.ROLE_REQUESTED, member=actor, old_role=actor.role, now=now)
        notifications.enqueue(
            [
                notifications.build(
                    "team_role_requested",
                    to=admin.email,
                    claim=None,
                    context={"requester": _name(actor), "requester_email": actor.email, "team_url": _team_url()},
                    now=now,
                    language=recipient_language(admin),
                )
                for admin in admins
            ]
        )
    return len(admins)
