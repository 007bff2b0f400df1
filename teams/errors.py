"""Refusal codes of the team page and its API, registered in the shared catalogue
(claims.errors) so DomainError renders them like every other code."""

from django.utils.translation import gettext_lazy as _

from claims.errors import MESSAGES, STATUS

TEAM_MESSAGES = {
    "team_role_required": _(
        "You need the Global admin, Billing admin or Incentives admin role to see your team. "
        "Ask one of your Global admins for a role from the team page."
    ),
    "team_admin_only": _("Only your company's Global admins can change the team. Ask one of them."),
    "member_not_found": _("No such member of your team."),
    "invitation_not_found": _("No such invitation."),
    "cannot_change_own_role": _("You cannot change your own role. Ask another Global admin to change it."),
    "last_global_admin": _(
        "Your company needs at least one active Global admin. Make someone else a Global admin first, then try again."
    ),
    "role_not_allowed": _("Choose one of the listed roles."),
    "already_member": _("Someone already has an account with this email address. Change their role on the team page instead."),
    "invitation_invalid": _("This invitation link is not valid. Ask your Global admin to send you a new invitation."),
    "invitation_used": _("This invitation has already been used. Sign in with the account you created."),
    "invitation_expired": _("This invitation has expired. Ask your Global admin to send you a new one."),
    "invitation_withdrawn": _("This invitation was withdrawn. Ask your Global admin if you should have access."),
    "invitation_other_company": _(
        "This invitation is for another company than your account's. Sign out, then open the link again."
    ),
    "username_taken": _("This username is taken. Choose another one."),
    "role_request_throttled": _("Your Global admins were asked less than %(minutes)s minutes ago. Wait before asking again."),
}

MESSAGES.update(TEAM_MESSAGES)
STATUS.update(
    {
        "team_role_required": 403,
        "team_admin_only": 403,
        "cannot_change_own_role": 403,
        "member_not_found": 404,
        "invitation_not_found": 404,
        "invitation_invalid": 404,
        "last_global_admin": 409,
        "already_member": 409,
        "invitation_used": 409,
        "invitation_expired": 409,
        "invitation_withdrawn": 409,
        "invitation_other_company": 409,
        "role_request_throttled": 429,
    }
)
