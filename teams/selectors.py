"""Who belongs to which team, and the reads of the team page and the API (a constant number
of queries however many members a team has)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from claims.choices import CLAIM_ROLES, Role
from claims.errors import DomainError
from claims.models import User

from .models import AccessLogEntry, Invitation

COMPANY_ROLES = (Role.GLOBAL_ADMIN, Role.BILLING_ADMIN, Role.INCENTIVES_ADMIN, Role.MEMBER)
REVIEWER_ROLES = (Role.REVIEWER,)


@dataclass(frozen=True)
class Team:
    """A company's users, or (company_id None) the reviewers, whom staff manage."""

    company_id: int | None
    can_read: bool  # sees the members, the invitations and the access log
    can_manage: bool  # invites, changes roles, deactivates

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles one can be given in this team."""
        return COMPANY_ROLES if self.company_id else REVIEWER_ROLES

    @property
    def is_reviewers(self) -> bool:
        return self.company_id is None


def team_for(user: User) -> Team | None:
    """The team a user sees on /team/: their company's (Global admins manage it, Billing and
    Incentives admins read it, a user without a claims role sees only its Global admins), or
    for staff and reviewers the reviewers' team (staff manage it). None: no team."""
    if not (user.is_authenticated and user.is_active):
        return None
    if user.company_id:
        return Team(user.company_id, can_read=user.role in CLAIM_ROLES, can_manage=user.role == Role.GLOBAL_ADMIN)
    if user.is_staff or user.role == Role.REVIEWER:
        return Team(None, can_read=True, can_manage=user.is_staff)
    return None


def reading_team(user: User) -> Team:
    """The team `user` may read, else team_role_required (403)."""
    team = team_for(user)
    if team is None or not team.can_read:
        raise DomainError.of("team_role_required")
    return team


def managing_team(user: User) -> Team:
    """The team `user` may change, else team_role_required / team_admin_only (403)."""
    team = reading_team(user)
    if not team.can_manage:
        raise DomainError.of("team_admin_only")
    return team


def members(team: Team) -> QuerySet[User]:
    if team.company_id:
        qs = User.objects.filter(company_id=team.company_id)
    else:
        qs = User.objects.filter(company__isnull=True, role=Role.REVIEWER)
    return qs.order_by("-is_active", "username", "id")


def global_admins(company_id: int) -> QuerySet[User]:
    return User.objects.filter(company_id=company_id, role=Role.GLOBAL_ADMIN, is_active=True).order_by("username", "id")


def get_member(team: Team, pk) -> User:
    """A member of the team, else member_not_found (404: another company's user too)."""
    member = members(team).filter(pk=pk).first()
    if member is None:
        raise DomainError.of("member_not_found")
    return member


def invitations(team: Team) -> QuerySet[Invitation]:
    """Pending invitations, newest first (expired ones too: the page says so)."""
    qs = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    qs = qs.filter(company_id=team.company_id) if team.company_id else qs.filter(company__isnull=True)
    return qs.select_related("invited_by").order_by("-created_at", "-id")


def get_invitation(team: Team, pk) -> Invitation:
    invitation = invitations(team).filter(pk=pk).first()
    if invitation is None:
        raise DomainError.of("invitation_not_found")
    return invitation


def access_log(team: Team) -> QuerySet[AccessLogEntry]:
    qs = (
        AccessLogEntry.objects.filter(company_id=team.company_id)
        if team.company_id
        else AccessLogEntry.objects.filter(company__isnull=True)
    )
    return qs.select_related("actor", "member").order_by("-at", "-id")
