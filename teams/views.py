"""The team page (/team/) and the invitation link. Thin: access (teams.selectors), form,
service (teams.services), render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from claims.errors import DomainError

from . import selectors, services
from .forms import AcceptForm, InviteForm, RoleForm

LOG_ROWS = 50
BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _refused(request: HttpRequest, exc: DomainError) -> None:
    for item in exc.errors:
        messages.error(request, item.message)


def _page(request: HttpRequest, *, invite_form: InviteForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    team = selectors.team_for(user)
    if team is None:
        return render(
            request, "teams/no_team.html", {"message": DomainError.of("team_role_required").errors[0].message}, status=403
        )
    context = {"team": team, "now": timezone.now(), "invitation_days": settings.CPOR_INVITATION_EXPIRY_DAYS}
    if team.can_read:
        context.update(
            members=list(selectors.members(team)),
            invitations=list(selectors.invitations(team)) if team.can_manage else [],
            log=list(selectors.access_log(team)[:LOG_ROWS]),
            role_form=RoleForm(roles=team.roles) if team.can_manage else None,
            invite_form=(invite_form or InviteForm(roles=team.roles)) if team.can_manage else None,
        )
    else:  # a company user without a claims role: who can give one
        context["admins"] = list(selectors.global_admins(team.company_id))
    return render(request, "teams/team.html", context, status=status)


@require_GET
@login_required
def team_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
def invite(request: HttpRequest) -> HttpResponse:
    try:
        team = selectors.managing_team(request.user)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("teams:page")
    form = InviteForm(request.POST, roles=team.roles)
    if form.is_valid():
        try:
            invitation = services.invite(actor=request.user, email=form.cleaned_data["email"], role=form.cleaned_data["role"])
        except DomainError as exc:
            for item in exc.errors:
                form.add_error(item.field if item.field in form.fields else None, item.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("teams:page")
    return _page(request, invite_form=form, status=400)


def _act(request: HttpRequest, act, done: str) -> HttpResponse:
    try:
        act()
    except DomainError as exc:
        if exc.http_status == 404:  # another team's member or invitation: as if it did not exist
            raise Http404 from None
        _refused(request, exc)
    else:
        messages.success(request, done)
    return redirect("teams:page")


def _member(request: HttpRequest, pk: int):
    return selectors.get_member(selectors.reading_team(request.user), pk)


@require_POST
@login_required
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    def act():
        team = selectors.managing_team(request.user)
        member = selectors.get_member(team, pk)
        form = RoleForm(request.POST, roles=team.roles)
        if not form.is_valid():
            raise DomainError.of("role_not_allowed", "role")
        services.change_role(actor=request.user, member=member, role=form.cleaned_data["role"])

    return _act(request, act, _("Role changed."))


@require_POST
@login_required
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, lambda: services.set_active(actor=request.user, member=_member(request, pk), is_active=False), _("Deactivated.")
    )


@require_POST
@login_required
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, lambda: services.set_active(actor=request.user, member=_member(request, pk), is_active=True), _("Reactivated.")
    )


@require_POST
@login_required
def invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    def act():
        invitation = selectors.get_invitation(selectors.reading_team(request.user), pk)
        services.withdraw_invitation(actor=request.user, invitation=invitation)

    return _act(request, act, _("Invitation withdrawn."))


@require_POST
@login_required
def request_role(request: HttpRequest) -> HttpResponse:
    return _act(request, lambda: services.request_role(actor=request.user), _("Your Global admins were asked for a role."))


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: the invitee chooses a username and a password, then is signed in."""
    try:
        invitation = services.invitation_from_token(token)
        services.check_usable(invitation)
    except DomainError as exc:
        return render(request, "teams/accept.html", {"refusal": exc.errors[0].message}, status=exc.http_status)
    if request.user.is_authenticated:
        message = _("You are signed in. Sign out, then open the invitation link again to create your account.")
        return render(request, "teams/accept.html", {"refusal": message, "invitation": invitation}, status=409)
    form = AcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_with_password(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or "",
            )
        except DomainError as exc:
            if exc.code != "username_taken":
                return render(request, "teams/accept.html", {"refusal": exc.errors[0].message}, status=exc.http_status)
            form.add_error("username", exc.errors[0].message)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("home")
    return render(request, "teams/accept.html", {"invitation": invitation, "form": form}, status=400 if form.errors else 200)
