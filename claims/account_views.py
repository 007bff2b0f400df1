"""The account's own pages beside allauth's (issue 21, point 5): personal API tokens, and
the removal of a security key (point 2). Thin: access (a claims role or a reviewer), form, service, render."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from allauth.mfa.webauthn import views as webauthn_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors
from .access import has_claims_role
from .errors import DomainError
from .forms import ApiTokenForm
from .mfa import last_required_factor
from .services import tokens as token_services

NEW_KEY = "claims.new_api_token"


def api_user_required(view):
    """Signed in, with a claims role or as a reviewer (the API's users); others get the page
    that says which role to ask for."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not has_claims_role(request.user):
            return render(request, "claims/no_role.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def password_confirmed_to_post(view):
    """A POST needs a recent password confirmation (allauth's reauthentication, its timeout
    ACCOUNT_REAUTHENTICATION_TIMEOUT); without one the user confirms the password, then comes
    back to the page and sends the form again. Asked here rather than by allauth's middleware,
    which never sees the refusal when the double-submit guard (claims.form_once) runs the view."""
    checked = reauthentication_required(view, allow_get=True)

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        try:
            return checked(request, *args, **kwargs)
        except ReauthenticationRequired:
            return redirect(f"{reverse('account_reauthenticate')}?{urlencode({'next': request.path})}")

    return wrapped


@require_http_methods(["GET", "POST"])
@api_user_required
# A token outlives the session that made it (signing out or a new password does not end it),
# so creating one asks for the password again, as adding a second factor does.
@password_confirmed_to_post
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = token_services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except DomainError as exc:
            for item in exc.errors:
                form.add_error(None, item.message)
        else:
            # Shown by the page this redirects to, then dropped from the session: once.
            request.session[NEW_KEY] = {"id": token.pk, "key": key}
            return redirect("api-tokens")
    new = request.session.pop(NEW_KEY, None)
    response = render(
        request,
        "account/api_tokens.html",
        {"form": form, "tokens": list(selectors.api_tokens_for(request.user)), "new": new, "now": timezone.now()},
    )
    if new:
        response["Cache-Control"] = "no-store"  # the key must not stay in a cache either
    return response


@require_http_methods(["GET", "POST"])
@api_user_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET, or a POST without confirmed=1: the confirmation step (a plain form, no JavaScript
    needed). POST with confirmed=1: revokes the token."""
    token = selectors.api_token_for(request.user, pk)
    if request.method == "GET" or request.POST.get("confirmed") != "1":
        return render(request, "account/api_token_revoke.html", {"token": token})
    token_services.api_token_revoke(user=request.user, token_id=token.pk)
    messages.success(
        request, _("The token %(name)s was revoked. Scripts using it are refused from now on.") % {"name": token.name}
    )
    return redirect("api-tokens")


class RemoveSecurityKeyView(webauthn_views.RemoveWebAuthnView):
    """allauth's removal of a security key, except the last second factor of a user whom
    CPOR_MFA_REQUIRED_FOR names (as allauth's adapter refuses for the authenticator app)."""

    def form_valid(self, form) -> HttpResponse:
        if last_required_factor(self.get_object()):
            messages.error(
                self.request,
                _("Your account must keep a second factor: add another security key or an authenticator app first."),
            )
            return redirect("mfa_list_webauthn")
        return super().form_valid(form)


remove_security_key = RemoveSecurityKeyView.as_view()
