"""The partner and shared API endpoints. Thin: access, shape, service, output."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from claims import services
from claims.choices import ClaimState
from claims.errors import DomainError
from claims.models import Claim, ClaimEvidence, Mpn, Product
from claims.selectors import SORTS, active_associations, ended_associations, filter_claims, get_claim_for_user, visible_claims

from . import serializers as s
from .errors import error_responses
from .idempotency import idempotent

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description=str(_("Any unique string (e.g. a UUID). A retry with the same key returns the first result.")),
)  # fmt: skip
ORDERINGS = [key for name in SORTS for key in (name, f"-{name}")]


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


def require_partner_role(user) -> None:
    if not user.is_partner:
        raise DomainError.of("permission_denied")


def require_reviewer(user) -> None:
    if not user.is_reviewer:
        raise DomainError.of("reviewer_only")


def claim_for(request, pk: int) -> Claim:
    """The claim if the caller may see it (own company, or any for reviewers); else 404."""
    try:
        return get_claim_for_user(request.user, pk)
    except Http404:
        raise DomainError.of("not_found") from None


def detail(request, claim: Claim, code: int = status.HTTP_200_OK) -> Response:
    fresh = get_claim_for_user(request.user, claim.pk)
    return Response(s.ClaimDetailSerializer(fresh, context={"request": request}).data, status=code)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        operation_id="auth_token",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, **error_responses(400, 429)},
        auth=[],
        examples=[
            OpenApiExample("demo partner", value={"username": "fabrikam-global", "password": "demo-password"}, request_only=True)
        ],
    )
    def post(self, request):
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, username=data.validated_data["username"], password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise DomainError.of("invalid_credentials")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class ClaimListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="claims_list",
        parameters=[
            OpenApiParameter("status", str, enum=ClaimState.values, description="Only claims in this status."),
            OpenApiParameter("search", str, description="Claim name, customer, domain, tenant ID or subscription ID."),
            OpenApiParameter("ordering", str, enum=ORDERINGS, description="Sort column; '-' for descending."),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 100."),
        ],
        responses={200: s.PaginatedClaims, **error_responses(401, 403)},
    )
    def get(self, request):
        user = request.user
        if not (user.is_partner or user.is_reviewer):
            raise DomainError.of("permission_denied")
        state = request.query_params.get("status")
        qs = filter_claims(
            visible_claims(user),
            state=state if state in ClaimState.values else None,
            q=request.query_params.get("search", "")[:200],
            sort=request.query_params.get("ordering", "-created"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.ClaimListSerializer(page, many=True).data)

    @extend_schema(
        operation_id="claims_create",
        request=s.ClaimInSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: s.ClaimDetailSerializer, **error_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Dynamics 365 Sales at Contoso",
                request_only=True,
                value={
                    "name": "Contoso Sales rollout",
                    "customer_tenant_id": "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d",
                    "customer_domain": "contoso.com",
                    "solution_area": "business_applications",
                    "activity": "usage",
                    "mpn_id": "4567890",
                    "products": [{"product": "d365_sales", "subscription_id": "11111111-1111-4111-8111-111111111111"}],
                    "customer_contact": {"name": "Megan Bowen", "email": "megan.bowen@contoso.com", "phone": ""},
                    "partner_contact": {"name": "Alex Wilber", "email": "alex.wilber@fabrikam.example", "phone": ""},
                },
            )
        ],
    )
    @idempotent
    def post(self, request):
        require_partner_role(request.user)
        data = s.ClaimInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.claim_create(actor=request.user, data=dict(data.validated_data))
        return detail(request, claim, status.HTTP_201_CREATED)


class ClaimDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="claims_retrieve", responses={200: s.ClaimDetailSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        return detail(request, claim_for(request, pk))

    @extend_schema(
        operation_id="claims_partial_update",
        request=s.ClaimInSerializer,
        description=str(
            _(
                "Editing: every field. Submitted and Partner Action Required: mpn_id, products and contacts only; any other changed field is refused with not_editable."
            )
        ),
        responses={200: s.ClaimDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int):
        claim = claim_for(request, pk)
        require_partner_role(request.user)
        data = s.ClaimInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        # Only keys the client sent: an absent key is no change.
        payload = {k: v for k, v in data.validated_data.items() if k in request.data}
        services.claim_update(claim=claim, actor=request.user, data=payload)
        return detail(request, claim)

    @extend_schema(operation_id="claims_destroy", responses={204: None, **error_responses(401, 403, 404, 409)})
    def delete(self, request, pk: int):
        claim = claim_for(request, pk)
        require_partner_role(request.user)
        services.claim_delete(claim=claim, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="evidence_list", responses={200: s.EvidenceSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        return Response(s.EvidenceSerializer(claim.evidence.all(), many=True).data)

    @extend_schema(
        operation_id="evidence_upload",
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        parameters=[IDEMPOTENCY],
        responses={201: s.EvidenceSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    @idempotent
    def post(self, request, pk: int):
        claim = claim_for(request, pk)
        require_partner_role(request.user)
        data = s.EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.evidence_add(claim=claim, actor=request.user, file=data.validated_data["file"])
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadView(APIView):
    @extend_schema(
        operation_id="evidence_download",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY), **error_responses(401, 404)},
    )
    def get(self, request, pk: int, evidence_id: int):
        claim = claim_for(request, pk)
        evidence = ClaimEvidence.objects.filter(pk=evidence_id, claim=claim).first()
        if evidence is None:
            raise DomainError.of("not_found")
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise DomainError.of("not_found") from None
        return FileResponse(handle, as_attachment=True, filename=evidence.original_name, content_type="application/octet-stream")

    @extend_schema(
        operation_id="evidence_remove",
        request=s.EvidenceRemoveSerializer,
        description=str(
            _(
                "Editing: deletes the file (204). Submitted and Partner Action Required: needs a reason; the file is kept "
                "for audit, marked removed and no longer counts as the claim's PoE (200 with the file). The last "
                "remaining file is refused with evidence_required."
            )
        ),
        responses={200: s.EvidenceSerializer, 204: None, **error_responses(400, 401, 403, 404, 409)},
    )
    def delete(self, request, pk: int, evidence_id: int):
        claim = claim_for(request, pk)
        require_partner_role(request.user)
        evidence = ClaimEvidence.objects.filter(pk=evidence_id, claim=claim).first()
        if evidence is None:
            raise DomainError.of("not_found")
        ser = s.EvidenceRemoveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        kept = services.evidence_remove(evidence=evidence, actor=request.user, reason=ser.validated_data["reason"])
        if kept is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.EvidenceSerializer(kept).data)


def _action(name, request_serializer, call, *, description: str, parsers=(JSONParser,), codes=(400, 401, 403, 404, 409)):
    """A POST endpoint that runs one transition service and returns the claim."""

    class ActionView(APIView):
        parser_classes = list(parsers)

        @extend_schema(
            operation_id=f"claims_{name}",
            request=request_serializer,
            parameters=[IDEMPOTENCY],
            description=description,
            responses={200: s.ClaimDetailSerializer, **error_responses(*codes)},
        )
        @idempotent
        def post(self, request, pk: int):
            claim = claim_for(request, pk)
            data = {}
            if request_serializer is not None:
                ser = request_serializer(data=request.data)
                ser.is_valid(raise_exception=True)
                data = ser.validated_data
            call(request, claim, data)
            return detail(request, claim)

    ActionView.__name__ = f"{name.title().replace('_', '')}View"
    return ActionView.as_view()


def _as(role_check, fn):
    """Runs `fn` for callers who pass `role_check` (after the claim was found visible)."""

    def run(request, claim, data):
        role_check(request.user)
        fn(request, claim, data)

    return run


def _partner(fn):
    return _as(require_partner_role, fn)


submit = _action(
    "submit", None,
    _partner(lambda r, c, d: services.claim_submit(claim=c, actor=r.user)),
    description=str(_("Editing -> Submitted. Needs every field, valid subscriptions and at least one PoE (evidence_required).")),
)  # fmt: skip
respond = _action(
    "respond", s.RespondSerializer,
    _partner(lambda r, c, d: services.claim_respond(claim=c, actor=r.user, message=d["message"])),
    description=str(_("Answer a request for information: Partner Action Required -> Under Review.")),
)  # fmt: skip
withdraw = _action(
    "withdraw", s.WithdrawSerializer,
    _partner(lambda r, c, d: services.claim_withdraw(claim=c, actor=r.user, reason=d["reason"], message=d["message"])),
    description=str(_("Ask for the claim to be rejected (partner request); also from Approved.")),
)  # fmt: skip


class DisputeView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="claims_dispute",
        request={"application/json": s.DisputeSerializer, "multipart/form-data": s.DisputeSerializer},
        parameters=[IDEMPOTENCY],
        description=str(
            _("Rejected -> Under Review, once, within 30 days. Give a justification and/or updated PoE as multipart 'files'.")
        ),
        responses={200: s.ClaimDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @idempotent
    def post(self, request, pk: int):
        claim = claim_for(request, pk)
        require_partner_role(request.user)
        ser = s.DisputeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.claim_dispute(
            claim=claim,
            actor=request.user,
            justification=ser.validated_data["justification"],
            files=request.FILES.getlist("files"),
        )
        return detail(request, claim)


class CommentsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="comments_list", responses={200: s.CommentSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        return Response(s.CommentSerializer(claim.comments.all(), many=True).data)

    @extend_schema(
        operation_id="comments_create",
        request=s.CommentInSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: s.CommentSerializer, **error_responses(400, 401, 403, 404)},
    )
    @idempotent
    def post(self, request, pk: int):
        claim = claim_for(request, pk)
        ser = s.CommentInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        note = services.comment_add(claim=claim, actor=request.user, body=ser.validated_data["body"])
        return Response(s.CommentSerializer(note).data, status=status.HTTP_201_CREATED)


class HistoryView(APIView):
    @extend_schema(operation_id="history_list", responses={200: s.EventSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        return Response(s.EventSerializer(claim.events.all(), many=True, context={"request": request}).data)


class AssociationsView(APIView):
    @extend_schema(
        operation_id="associations_list",
        parameters=[
            OpenApiParameter(
                "status", str, enum=["active", "ended"],
                description="active (default): held now. ended: ended by an arbitration decided for another partner.",
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: s.PaginatedAssociations, **error_responses(400, 401, 403)},
    )  # fmt: skip
    def get(self, request):
        require_partner_role(request.user)
        query = s.AssociationsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["status"] == "ended":
            rows = ended_associations(request.user.company_id)
        else:
            rows = active_associations(request.user.company_id).order_by("-started_at", "-pk")
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(s.AssociationSerializer(page, many=True).data)


class MpnsView(APIView):
    @extend_schema(operation_id="mpns_list", responses={200: s.MpnSerializer(many=True), **error_responses(401, 403)})
    def get(self, request):
        require_partner_role(request.user)
        mpns = Mpn.objects.filter(company_id=request.user.company_id).order_by("-incentive_enrolled", "mpn_id")
        return Response(s.MpnSerializer(mpns, many=True).data)


class CatalogView(APIView):
    @extend_schema(operation_id="catalog", responses={200: s.CatalogAreaSerializer(many=True), **error_responses(401)})
    def get(self, request):
        return Response(s.catalog_data(list(Product.objects.order_by("name"))))
