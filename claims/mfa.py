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
- Either second factor meets the requirement: an authenticator app (TOTP) or a security
  key / passkey (WebAuthn); a required user keeps at least one of them (`MfaAdapter`).
- Secrets at rest: the authenticator app's secret and the recovery codes' seed are stored
  encrypted (Fernet, keys from CPOR_MFA_ENCRYPTION_KEYS: the first encrypts, every one
  decrypts; `MfaAdapter.encrypt/decrypt`). A value stored before encryption came in is read
  as it is and re-encrypted by `manage.py mfa_encrypt_secrets`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
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


# Once a required user is seen with a second factor, their session remembers it, so the
# pages after ask nothing more of the database. A required user cannot remove their last
# factor (MfaAdapter); when staff remove it in the admin (a lost device), the sessions already
# open go on and the next sign-in asks for a new one.
FACTOR_SEEN_SESSION_KEY = "cpor_second_factor_seen"


def needs_mfa_setup_once(request: HttpRequest) -> bool:
    """needs_mfa_setup for the request's user, asked once per session once it is False."""
    user = request.user
    if request.session.get(FACTOR_SEEN_SESSION_KEY) == user.pk:
        return False
    if needs_mfa_setup(user):
        return True
    request.session[FACTOR_SEEN_SESSION_KEY] = user.pk
    return False


def idp_asked_second_factor(request: HttpRequest) -> bool:
    """This session's user signed in through an identity provider whose ID token says it asked
    them for a second factor (claims/sso.py: `amr` contains "mfa")."""
    from .sso import IDP_MFA_SESSION_KEY

    return request.user.is_authenticated and request.session.get(IDP_MFA_SESSION_KEY) == request.user.pk


def password_only_refused(user) -> bool:
    """A sign-in by password alone (API token, admin form) is refused: the user has a
    second factor, or must have one."""
    return mfa_required(user) or is_mfa_enabled(user)


# An encrypted value is stored as this prefix and a Fernet token; anything else is a value
# stored before encryption came in (a base32 TOTP secret, a hex seed), read as it is.
ENCRYPTED_PREFIX = "fernet:"


def encryption_keys() -> list[str]:
    """CPOR_MFA_ENCRYPTION_KEYS, else one key derived from SECRET_KEY followed by one per
    SECRET_KEY_FALLBACKS (so rotating SECRET_KEY the Django way keeps the secrets readable)."""
    if settings.CPOR_MFA_ENCRYPTION_KEYS:
        return list(settings.CPOR_MFA_ENCRYPTION_KEYS)
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not secrets[0]:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY or CPOR_MFA_ENCRYPTION_KEYS to store second factors.")
    return [derived_key(secret) for secret in secrets if secret]


def derived_key(secret: str) -> str:
    digest = hashlib.sha256(b"cpor-claims.mfa-secrets:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in encryption_keys()])


def encrypt_secret(text: str) -> str:
    return ENCRYPTED_PREFIX + _fernet().encrypt(text.encode()).decode()


def decrypt_secret(stored: str) -> str:
    if not stored.startswith(ENCRYPTED_PREFIX):
        return stored  # stored before encryption came in (manage.py mfa_encrypt_secrets)
    try:
        return _fernet().decrypt(stored[len(ENCRYPTED_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A second factor's secret was encrypted with a key CPOR_MFA_ENCRYPTION_KEYS no longer lists: "
            "put the old key back (after the new one) and run manage.py mfa_encrypt_secrets."
        ) from exc


def reencrypt_secret(stored: str) -> str:
    """`stored` encrypted with the first key: a plaintext value is encrypted, a value under an
    older key is rotated, a value under the first key is left as it is."""
    if stored.startswith(ENCRYPTED_PREFIX):
        try:
            Fernet(encryption_keys()[0]).decrypt(stored[len(ENCRYPTED_PREFIX) :].encode())
            return stored
        except InvalidToken:
            pass
    return encrypt_secret(decrypt_secret(stored))


# The fields of Authenticator.data that allauth passes through encrypt().
SECRET_FIELDS = {Authenticator.Type.TOTP: ("secret",), Authenticator.Type.RECOVERY_CODES: ("seed",)}


def encrypt_stored_secrets() -> int:
    """Every stored TOTP secret and recovery-code seed encrypted with the first key; returns
    how many authenticators were rewritten (`manage.py mfa_encrypt_secrets`)."""
    changed = 0
    for authenticator in Authenticator.objects.filter(type__in=SECRET_FIELDS).iterator():
        data = dict(authenticator.data)
        for field in SECRET_FIELDS[authenticator.type]:
            if data.get(field):
                data[field] = reencrypt_secret(data[field])
        migrated = data.get("migrated_codes")
        if isinstance(migrated, list):
            data["migrated_codes"] = [reencrypt_secret(code) for code in migrated]
        if data != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
            changed += 1
    return changed


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A user who must have a second factor keeps one: their authenticator app goes only
        # while a security key remains (and the last key only while the app remains, see
        # `last_required_factor`); staff remove it in the admin when the device is lost (the
        # user then sets up a new one at sign-in).
        if last_required_factor(authenticator):
            return False
        return super().can_delete_authenticator(authenticator)


def last_required_factor(authenticator: Authenticator) -> bool:
    """`authenticator` is the last second factor of a user who must have one."""
    if authenticator.type not in SIGN_IN_TYPES or not mfa_required(authenticator.user):
        return False
    others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SIGN_IN_TYPES)
    return not others.exclude(pk=authenticator.pk).exists()


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
    """Sends a signed-in user whom CPOR_MFA_REQUIRED_FOR names, and who has no second factor
    yet (authenticator app or security key), to the choice of one (allauth's /accounts/2fa/,
    which then says why: `request.mfa_setup_required`) from every page; the API answers 403
    `mfa_required`. Token requests are authenticated inside DRF, after this: the token
    endpoint refuses such users a token in the first place."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The group test is free; only users of a required group cost a query (one EXISTS).
        required = mfa_required(request.user)
        if required and not self._allowed(request.path) and not idp_asked_second_factor(request):
            if needs_mfa_setup_once(request):
                if request.path.startswith("/api/"):
                    error = ErrorItem("mfa_required", params=(("case", "setup"),))
                    return JsonResponse({"errors": [error.as_dict()]}, status=403)
                return redirect("mfa_index")
        # For the set-up pages (templates/mfa/index.html): asked only where a page reads it.
        user = request.user
        request.mfa_setup_required = SimpleLazyObject(lambda: required and needs_mfa_setup(user))
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        prefixes = [reverse(name) for name in SETUP_PATH_NAMES]
        prefixes.append("/" + settings.STATIC_URL.lstrip("/"))
        return any(path.startswith(prefix) for prefix in prefixes)
