"""Accounts on django-allauth (issue 21, point 1): sign-in by username or email, change
password, "forgot password", verified email addresses (docs/operations.md, "Accounts").

What allauth does not decide for this product is here:

- Nobody signs up: staff create accounts (invitations come later), so the adapter
  closes signup.
- An address staff entered is taken as verified (`mark_staff_email_verified`): staff had
  it from the partner's company. An address a user adds themselves must be verified
  before it replaces their primary one (ACCOUNT_CHANGE_EMAIL).
- Emails go out in the recipient's saved language, not in the language of whoever asked
  for them (a reset is requested anonymously).
- The browser's language is saved on the account at its first sign-in, when the user
  has none saved yet.
- A company set to "SSO only" (claims/sso.py) signs in through its identity provider alone:
  its users' passwords are refused at sign-in, by the token endpoint and the admin, and
  "forgot password" sends them an email saying so instead of a link (`local_password_refused`);
  so is a passkey sign-in (`AccountAdapter.pre_login`).
- django-axes alone locks sign-ins out (cpor.security): a completed password reset lifts
  the user's locks, and allauth's own failed-login limit is off (settings).
"""

from __future__ import annotations

import logging

from allauth.account import forms as allauth_forms
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cpor.i18n import browser_language, recipient_language, supported

log = logging.getLogger("cpor.security")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by staff (and, later, by invitation): never by a visitor.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's reset-request limits count per address with the same proxy rule as
        # every other throttle and the sign-in lockout.
        from cpor.security import client_ip

        return client_ip(request) or super().get_client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The language of the account the email is about, else of the page that asked.
        language = recipient_language(context.get("user"), fallback=translation.get_language())
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        # Same page for everyone (no enumeration); the SSO-only user's email says why no link.
        if local_password_refused(user):
            self.send_mail("account/email/password_reset_sso_only", email, context)
            return
        super().send_password_reset_mail(user, email, context)

    def login(self, request: HttpRequest, user) -> None:
        super().login(request, user)
        save_browser_language(request=request, user=user)

    def pre_login(self, request: HttpRequest, user, **kwargs):
        # A passkey signs in without a password (allauth.mfa, MFA_PASSKEY_LOGIN_ENABLED), but
        # not into a company that signs in through its identity provider only.
        if user.is_active and local_password_refused(user) and signing_in_by_passkey(request, user):
            from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            request.session.pop(AUTHENTICATION_METHODS_SESSION_KEY, None)
            self.add_message(request, messages.ERROR, message=SSO_ONLY_MESSAGE)
            return redirect("login")
        return super().pre_login(request, user, **kwargs)


class LoginForm(allauth_forms.LoginForm):
    """allauth's sign-in form, its one field taking a username or an email address. The
    field is posted as `username`, as before allauth: scripts, password managers and the
    sign-in lockout (django-axes reads `username`) keep working."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["login"]
        # allauth's own wording, so its catalogues translate it in every language.
        field.label = translation.gettext_lazy("Username or email")
        field.widget.attrs.update({"autocomplete": "username", "autofocus": True})
        field.widget.attrs.pop("placeholder", None)

    def add_prefix(self, field_name: str) -> str:
        return "username" if field_name == "login" else super().add_prefix(field_name)

    def clean(self):
        cleaned_data = super().clean()
        # Only after the password was right: the message tells nothing to a guesser.
        if getattr(self, "user", None) is not None and local_password_refused(self.user):
            raise ValidationError(SSO_ONLY_MESSAGE, code="sso_only")
        return cleaned_data


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    """A reset link sent before the company became SSO only sets no password."""

    def clean(self):
        if self.user is not None and local_password_refused(self.user):
            raise ValidationError(SSO_ONLY_MESSAGE, code="sso_only")
        return super().clean()


SSO_ONLY_MESSAGE = _(
    "Your company signs in through its identity provider only: use its button on the sign-in page. "
    "Passwords of this site are not used for your account."
)


def local_password_refused(user) -> bool:
    """The user's company is set to "SSO only": no sign-in or reset with a local password."""
    return bool(user.company_id) and user.company.sso_only


def signing_in_by_passkey(request: HttpRequest, user) -> bool:
    """The sign-in under way is a passkey's (the session's last authentication record)."""
    from allauth.account.internal.flows.login import get_authentication_records

    records = get_authentication_records(request, user)
    last = records[-1] if records else {}
    return (last.get("method"), last.get("type"), last.get("passwordless")) == ("mfa", "webauthn", True)


def save_browser_language(*, request: HttpRequest, user) -> None:
    """At a sign-in, an account without a saved language takes the one its browser asked
    for (the picker's cookie, else Accept-Language), so later emails speak it."""
    if supported(user.language):
        return
    code = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or browser_language(request)
    if code:
        user.language = code
        user.save(update_fields=["language"])


def username_for_email(email: str) -> str | None:
    """The username of the one active account holding `email` (as its address or one of its
    verified allauth addresses), else None."""
    User = get_user_model()
    held = Q(email__iexact=email) | Q(pk__in=EmailAddress.objects.filter(email__iexact=email, verified=True).values("user_id"))
    users = list(User.objects.filter(held, is_active=True).values_list(User.USERNAME_FIELD, flat=True)[:2])
    return users[0] if len(users) == 1 else None


def mark_staff_email_verified(user) -> None:
    """The address staff entered on `user` becomes their primary, verified address (staff
    had it from the company); an empty address leaves the account without one."""
    email = (user.email or "").strip()
    if not email:
        return
    with transaction.atomic():
        EmailAddress.objects.filter(user=user, primary=True).exclude(email__iexact=email).update(primary=False)
        address, _created = EmailAddress.objects.get_or_create(
            user=user, email__iexact=email, defaults={"email": email.lower(), "primary": True, "verified": True}
        )
        if not (address.primary and address.verified):
            address.primary = address.verified = True
            address.save(update_fields=["primary", "verified"])


def lift_sign_in_locks(sender=None, *, request=None, user, **kwargs) -> None:
    """allauth's `password_reset` signal: whoever completed the reset holds the mailbox, so
    the locks on their account (per username and address, also those counted under one
    of their email addresses) are lifted (issue 20, point 8)."""
    from axes.utils import reset

    names = {user.get_username(), *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    if user.email:
        names.add(user.email)
    removed = sum(reset(username=name) for name in names)
    if removed:
        log.info("Sign-in locks of %s lifted by a password reset (%d attempts)", user.get_username(), removed)
