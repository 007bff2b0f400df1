"""Single sign-on over OpenID Connect (issue 21, point 3; README, "Single sign-on").

allauth.socialaccount's `openid_connect` provider runs the redirect flow (state, PKCE, code
exchange, sign-in, session). What it does not check, or does not decide for this product, is here:

- The ID token is always verified: allauth skips the signature of an ID token it fetched from
  the token endpoint (the specification allows it over TLS) and sends no nonce. Here a nonce is
  sent and must come back, the signature is checked against the provider's keys with an
  asymmetric algorithm (never `none`), and issuer, audience and expiry are required
  (`verify_id_token`). For Microsoft Entra ID's multi-tenant endpoints, whose discovery document
  names the issuer `https://login.microsoftonline.com/{tenantid}/v2.0`, the token's own `tid`
  fills the template, as Microsoft's validation guide says.
- Which company and role (`directory_decision`): a token through the operator's app signs in a
  reviewer when its roles or groups name CPOR_OPERATOR_OIDC_REVIEWER_ROLE; any other token must
  match a company's IdentityProviderLink by issuer (and tenant id when the link has one), and
  its role is the strongest claims role its roles or groups map to (Global > Billing >
  Incentives: a user has one role). No match: a page saying so, no account.
- Just in time: a new identity becomes a new user of that company with that role and no usable
  password. At every later sign-in the role follows the token again, so a role removed in the
  directory is removed here (the user stays a member without a claims role).
- An identity is never attached to an existing account by its email address: an address that
  already has an account is refused (staff or an invitation link it).
- Second factor: a user who has set one up is asked for it after the provider too (allauth's
  own stage). A user whom CPOR_MFA_REQUIRED_FOR names but who has none yet is let through only
  when the provider's ID token says it asked for one (`amr` contains "mfa"), for that session
  (claims/mfa.py); otherwise they set one up first, as after a password.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

import jwt
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .models import IdentityProviderLink, PartnerCompany

log = logging.getLogger("cpor.security")

# Asymmetric signatures only: never `none`, never an HMAC keyed with the public client secret.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
# Clock skew between us and the identity provider.
LEEWAY_SECONDS = 60
# Strongest first: a user with several mapped values gets the first of these (one role per user).
ROLE_STRENGTH = [Role.GLOBAL_ADMIN, Role.BILLING_ADMIN, Role.INCENTIVES_ADMIN]
# The session remembers which user the identity provider said it asked a second factor of.
IDP_MFA_SESSION_KEY = "cpor_idp_mfa_user"


# --- The ID token -----------------------------------------------------------------------


def verify_id_token(id_token: str, *, openid_config: dict, client_id: str, nonce: str | None) -> dict:
    """The ID token's claims once signature, issuer, audience, expiry and nonce are right;
    OAuth2Error otherwise (allauth then shows its sign-in failure page)."""
    try:
        header = jwt.get_unverified_header(id_token)
        if header.get("alg") not in ALGORITHMS:
            raise OAuth2Error(f"ID token signed with {header.get('alg')!r}, not an accepted algorithm")
        tenant = jwt.decode(id_token, options={"verify_signature": False}).get("tid")
        issuer = openid_config["issuer"]
        if "{tenantid}" in issuer:
            if not tenant:
                raise OAuth2Error("ID token without tid from a multi-tenant issuer")
            issuer = issuer.replace("{tenantid}", str(tenant))
        _alg, key = jwtkit.fetch_key(id_token, openid_config["jwks_uri"], jwtkit.lookup_kid_jwk)
        claims = jwt.decode(
            id_token,
            key=key,
            algorithms=[header["alg"]],
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except (jwt.PyJWTError, KeyError) as e:
        raise OAuth2Error(f"Invalid ID token: {e}") from e
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OAuth2Error("ID token for several audiences without us as its azp")
    if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OAuth2Error("ID token nonce does not match the one sent")
    jwtkit.verify_jti(claims)
    return claims


class StrictOpenIDConnectAdapter(OpenIDConnectOAuth2Adapter):
    # The stashed state of this sign-in (its nonce), set by the callback view.
    state: dict | None = None

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        nonce = (self.state or {}).get("nonce")
        return verify_id_token(id_token, openid_config=self.openid_config, client_id=app.client_id, nonce=nonce)

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        if not kwargs["response"].get("id_token"):
            raise OAuth2Error("No ID token in the token response")
        return super().complete_login(request, app, token, **kwargs)


class StrictOpenIDConnectProvider(OpenIDConnectProvider):
    """allauth's openid_connect provider (SOCIALACCOUNT_PROVIDERS' provider_class) that sends a
    nonce, keeps it in the sign-in's state and verifies every ID token."""

    # allauth includes the URLs of a provider's package: the openid_connect ones, not claims'.
    package = "allauth.socialaccount.providers.openid_connect"
    supports_token_authentication = False

    def get_oauth2_adapter(self, request: HttpRequest):
        return StrictOpenIDConnectAdapter(request, self.app.provider_id)

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        nonce = get_random_string(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)


class StrictCallbackView(OAuth2CallbackView):
    def _get_state(self, request: HttpRequest, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.state = state
        return state, response


def callback(request: HttpRequest, provider_id: str):
    """allauth's openid_connect callback (same URL, cpor/urls.py) with the strict adapter."""
    try:
        view = StrictCallbackView.adapter_view(StrictOpenIDConnectAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404


def identity_provider_origins(request: HttpRequest) -> list[str]:
    """The origins of the configured identity providers (their issuer's, which serves the
    authorization endpoint for Entra ID and oidc-provider alike)."""
    from allauth.socialaccount.adapter import get_adapter

    origins = set()
    for app in get_adapter().list_apps(request, provider="openid_connect"):
        parts = urlsplit((app.settings or {}).get("server_url", ""))
        if parts.scheme in ("https", "http") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def allow_identity_providers(view):
    """A page whose form starts a sign-in: the Content-Security-Policy's form-action, 'self'
    only, also names the identity providers, since browsers check the redirect that follows
    the form's POST against it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if origins := identity_provider_origins(request):
            response._csp_update = {"form-action": origins}
        return response

    return wrapped


# --- Company and role -------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    company: PartnerCompany | None
    role: str


REFUSALS = {
    "unknown_tenant": _(
        "Your organization's identity provider is not linked to CPOR Claims, so no account was created. "
        "Ask your company's IT department or CPOR support to link your organization, then sign in again."
    ),
    "not_a_reviewer": _(
        "Your account in the operator's directory has no reviewer role, so you cannot sign in here. "
        "Ask your administrator to assign it, then sign in again."
    ),
    "other_company": _(
        "This identity belongs to another organization than your CPOR Claims account. Ask CPOR support to correct it."
    ),
    "no_connect": _(
        "A sign-in through an identity provider cannot be added to an existing account here. "
        "Sign out, then sign in with your organization's button."
    ),
    "email_taken": _(
        "An account with your email address already exists. Sign in with it, or ask your company's Global admin "
        "or CPOR support to link it to your organization's sign-in."
    ),
}


def token_values(claims: dict, claim: str) -> set[str]:
    values = claims.get(claim) or []
    if isinstance(values, str):
        values = [values]
    return {str(value) for value in values}


def strongest_role(roles: set[str]) -> str:
    return next((role for role in ROLE_STRENGTH if role in roles), Role.MEMBER)


def find_link(claims: dict) -> IdentityProviderLink | None:
    """The link whose issuer matches, and whose tenant matches when it names one."""
    issuer, tenant = str(claims.get("iss", "")), str(claims.get("tid", ""))
    links = IdentityProviderLink.objects.select_related("company").prefetch_related("roles").filter(issuer=issuer)
    links = links.filter(Q(tenant_id="") | Q(tenant_id=tenant)).order_by("-tenant_id")
    return links.first()


def directory_decision(provider_id: str, claims: dict) -> Decision | str:
    """The company and role the verified ID token signs its user in with, or a refusal code."""
    if provider_id == settings.CPOR_OPERATOR_OIDC_PROVIDER_ID:
        wanted = settings.CPOR_OPERATOR_OIDC_REVIEWER_ROLE
        values = token_values(claims, "roles") | token_values(claims, "groups")
        return Decision(None, Role.REVIEWER) if not wanted or wanted in values else "not_a_reviewer"
    link = find_link(claims)
    if link is None:
        return "unknown_tenant"
    values = token_values(claims, link.role_claim)
    return Decision(link.company, strongest_role({m.role for m in link.roles.all() if m.value in values}))


def apply_role(*, user, decision: Decision) -> None:
    """Gives an existing SSO user the role their token maps to now (the directory decides)."""
    if user.role != decision.role:
        log.info("SSO sign-in of %s: role %s -> %s", user.get_username(), user.role, decision.role)
        user.role = decision.role
        user.save(update_fields=["role"])


def id_token_claims(sociallogin) -> dict:
    return sociallogin.account.extra_data.get("id_token") or {}


def refuse(request: HttpRequest, code: str):
    log.warning("SSO sign-in refused: %s", code)
    response = render(request, "account/sso_refused.html", {"message": REFUSALS[code], "code": code}, status=403)
    raise ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        if sociallogin.state.get("process") == "connect":
            refuse(request, "no_connect")
        claims = id_token_claims(sociallogin)
        decision = directory_decision(sociallogin.account.provider, claims)
        if decision == "not_a_reviewer" and sociallogin.is_existing:
            # A reviewer whose role the operator's directory removed loses it here too.
            apply_role(user=sociallogin.user, decision=Decision(None, Role.MEMBER))
        if isinstance(decision, str):
            refuse(request, decision)
        sociallogin.cpor_decision = decision
        if sociallogin.is_existing:
            user = sociallogin.user
            if user.company_id != (decision.company.pk if decision.company else None):
                refuse(request, "other_company")
            apply_role(user=user, decision=decision)
            return
        email = (sociallogin.user.email or "").strip()
        if email:
            from allauth.account.models import EmailAddress

            User = get_user_model()
            if User.objects.filter(email__iexact=email).exists() or EmailAddress.objects.filter(email__iexact=email).exists():
                refuse(request, "email_taken")

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        # Reached only after pre_social_login found the user's company (or reviewer role).
        return hasattr(sociallogin, "cpor_decision")

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin) -> bool:
        return hasattr(sociallogin, "cpor_decision")

    def populate_user(self, request: HttpRequest, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        if not user.email and "@" in str(data.get("username") or ""):
            # Entra ID sends the address as preferred_username unless the email claim is configured.
            user.email = data["username"]
        return user

    def save_user(self, request: HttpRequest, sociallogin, form=None):
        decision: Decision = sociallogin.cpor_decision
        user = sociallogin.user
        user.company, user.role = decision.company, decision.role
        user.set_unusable_password()
        log.info("SSO: new user %s in %s as %s", user.email, decision.company or "the operator", decision.role)
        return super().save_user(request, sociallogin, form)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        # Why a sign-in through an identity provider failed (the page says only that it did).
        log.warning("SSO sign-in failed through %s: %s %s", provider.app.provider_id, error or "", exception or "no state")
        super().on_authentication_error(request, provider, error, exception, extra_context)

    def is_email_verified(self, provider, email) -> bool:
        # The address comes from the company's (or the operator's) own directory.
        return True


def remember_idp_mfa(sender=None, *, request, user, sociallogin=None, **kwargs) -> None:
    """allauth's `user_logged_in` signal: remembers, for this session and user, that the
    identity provider asked a second factor (`amr` contains "mfa"); any other sign-in forgets it."""
    amr = token_values(id_token_claims(sociallogin), "amr") if sociallogin else set()
    if "mfa" in amr:
        request.session[IDP_MFA_SESSION_KEY] = user.pk
    else:
        request.session.pop(IDP_MFA_SESSION_KEY, None)
