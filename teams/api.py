"""REST API of the team (issue 21, point 7): /api/v1/team/... Same services as the page.
Access first (403 for a user without a claims role or a reader who writes, 404 for another
team's member or invitation), then the body, then the service."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.api.errors import error_responses
from claims.api.serializers import paginated
from claims.api.views import page_of
from claims.choices import Role
from claims.lengths import max_length
from claims.models import User

from . import selectors, services
from .models import AccessAction, AccessLogEntry, Invitation


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "name", "roles", "is_active", "last_login"]

    @extend_schema_field(serializers.CharField())
    def get_name(self, user: User) -> str:
        return user.get_full_name()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Role.choices)))
    def get_roles(self, user: User) -> list[str]:
        # One role per user today; a list so that more can come without breaking clients.
        return [user.role]


class MemberPatchSerializer(serializers.Serializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        min_length=1,
        max_length=1,
        required=False,
        help_text=_("The member's role, as a list of one."),
    )
    is_active = serializers.BooleanField(required=False, help_text=_("false deactivates: sessions and tokens stop at once."))


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]


class InvitationInSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=max_length(Invitation, "email"))
    role = serializers.ChoiceField(choices=Role.choices)


class AccessLogSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    member = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    action = serializers.ChoiceField(choices=AccessAction.choices)

    class Meta:
        model = AccessLogEntry
        fields = ["id", "at", "actor", "action", "member", "email", "old_role", "new_role"]


class MemberListView(APIView):
    @extend_schema(
        operation_id="team_members_list",
        description=str(_("Your team's members, with their role and last sign-in. Global, Billing and Incentives admins.")),
        responses={200: paginated(MemberSerializer), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        team = selectors.reading_team(request.user)
        return page_of(request, self, selectors.members(team), MemberSerializer)


class MemberDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="team_members_partial_update",
        request=MemberPatchSerializer,
        description=str(
            _(
                "Changes a member's role or deactivates/reactivates them. Global admins only; not your own role; "
                "the last active Global admin stays (409 last_global_admin)."
            )
        ),
        responses={200: MemberSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, pk: int):
        team = selectors.managing_team(request.user)
        member = selectors.get_member(team, pk)
        data = MemberPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with transaction.atomic():  # both changes, or neither
            if "roles" in v:
                member = services.change_role(actor=request.user, member=member, role=v["roles"][0])
            if "is_active" in v:
                member = services.set_active(actor=request.user, member=member, is_active=v["is_active"])
        return Response(MemberSerializer(member).data)


class InvitationListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="team_invitations_list",
        description=str(_("Pending invitations, newest first.")),
        responses={200: paginated(InvitationSerializer), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        team = selectors.reading_team(request.user)
        return page_of(request, self, selectors.invitations(team), InvitationSerializer)

    @extend_schema(
        operation_id="team_invitations_create",
        request=InvitationInSerializer,
        description=str(
            _("Emails a single-use link that lets the invitee create an account with this role. Global admins only.")
        ),
        responses={201: InvitationSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        selectors.managing_team(request.user)
        data = InvitationInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invite(actor=request.user, **data.validated_data)
        response = Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(reverse("api-team-invitation", args=[invitation.pk]))
        return response


class InvitationDetailView(APIView):
    @extend_schema(
        operation_id="team_invitations_retrieve",
        responses={200: InvitationSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: int):
        return Response(InvitationSerializer(selectors.get_invitation(selectors.reading_team(request.user), pk)).data)

    @extend_schema(
        operation_id="team_invitations_destroy",
        description=str(_("Withdraws a pending invitation: its link stops working. Global admins only.")),
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, pk: int):
        team = selectors.managing_team(request.user)
        services.withdraw_invitation(actor=request.user, invitation=selectors.get_invitation(team, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccessLogView(APIView):
    @extend_schema(
        operation_id="team_access_log",
        description=str(_("Every change of the team's access (who, what, when), newest first.")),
        responses={200: paginated(AccessLogSerializer), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        return page_of(request, self, selectors.access_log(selectors.reading_team(request.user)), AccessLogSerializer)
