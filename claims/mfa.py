"""Second factor on allauth.mfa (issue 21, point 2; docs/operations.md, "Second factor").

allauth.mfa asks for an authenticator app's code (or a recovery code) after the password at
every sign-in of a user who has set one up. What it does not decide for this product is here:

- Who must set one up: the groups CPOR_MFA_REQUIRED_FOR names. Such a user, signed in without
  an authenticator app, sees only its set-up pages until it is activated
  (`MfaSetupRequiredMiddleware`), and cannot remove it afterwards (`MfaAdapter`).
- Through single sign-on (claims/sso.py): a user with an authenticator app is asked for its
  code after the identity provider too; a user who must have one but has none yet is let
  through only for a session whose ID token says the provider asked for a second factor.
- No way around it: the password token endpoint and the admin's own sign-in form take a
  password only, so they refuse anyone with a second factor or who must have one
  (`password_only_refused`).
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .errors import ErrorItem

# What each name of CPOR_MFA_REQUIRED_FOR covers (cpor/settings.py lists the names).
GROUPS: dict[str, Callable] = {
    "reviewers": lambda user: user.is_reviewer,
    "global_admins": lambda user: user.is_partner and user.role == Role.GLOBAL_ADMIN,
    "billing_admins": lambda user: user.is_partner and user.role == Role.BILLING_ADMIN,
    "incentives_admins": lambda user: user.is_partner and user.role == Role.INCENTIVES_ADMIN,
    "staff": lambda user: user.is_staff,
}

# Second factors that sign a user in (recovery codes only stand in for one).
SIGN_IN_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def mfa_required(user) -> bool:
    """Whether `user` belongs to a group that must sign in with a second factor."""
    return bool(user.is_authenticated) and any(GROUPS[name](user) for name in settings.CPOR_MFA_REQUIRED_FOR)


def needs_mfa_setup(user) -> bool:
    return mfa_required(user) and not is_mfa_enabled(user, SIGN_IN_TYPES)


def idp_asked_second_factor(request: HttpRequest) -> bool:
    """This session's user signed in through an identity provider whose ID token says it asked
    them for a second factor (claims/sso.py: `amr` contains "mfa")."""
    from .sso import IDP_MFA_SESSION_KEY

    return request.user.is_authenticated and request.session.get(IDP_MFA_SESSION_KEY) == request.user.pk


def password_only_refused(user) -> bool:
    """A sign-in by password alone (API token, admin form) is refused: the user has a
    second factor, or must have one."""
    return mfa_required(user) or is_mfa_enabled(user)


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A user who must have a second factor keeps their authenticator app; staff remove it
        # in the admin when the device is lost (the user then sets up a new one at sign-in).
        if authenticator.type == Authenticator.Type.TOTP and mfa_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own sign-in form asks for a password only: whoever has (or must have) a
    second factor signs in on the sign-in page, and the admin then knows them."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        from .accounts import SSO_ONLY_MESSAGE, local_password_refused

        if local_password_refused(user):
            raise ValidationError(SSO_ONLY_MESSAGE, code="sso_only")
        if password_only_refused(user):
            raise ValidationError(
                _("This account signs in with a second factor: sign in on the sign-in page, then open the admin."),
                code="mfa_required",
            )


# Paths a user who must set up a second factor may still open: the set-up itself (allauth's
# /accounts/2fa/ pages and the password re-entry they may ask for), signing out, the language
# picker and static files.
SETUP_PATH_NAMES = ("mfa_index", "account_reauthenticate", "logout", "set_language")


class MfaSetupRequiredMiddleware:
    """Sends a signed-in user whom CPOR_MFA_REQUIRED_FOR names, and who has no authenticator
    app yet, to its set-up from every page; the API answers 403 `mfa_required`. Token
    requests are authenticated inside DRF, after this: the token endpoint refuses such users
    a token in the first place."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The group test is free; only users of a required group cost a query (one EXISTS).
        if (
            mfa_required(request.user)
            and not self._allowed(request.path)
            and not idp_asked_second_factor(request)
            and needs_mfa_setup(request.user)
        ):
            if request.path.startswith("/api/"):
                error = ErrorItem("mfa_required", params=(("case", "setup"),))
                return JsonResponse({"errors": [error.as_dict()]}, status=403)
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        prefixes = [reverse(name) for name in SETUP_PATH_NAMES]
        prefixes.append("/" + settings.STATIC_URL.lstrip("/"))
        return any(path.startswith(prefix) for prefix in prefixes)
