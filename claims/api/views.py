"""The partner and shared API endpoints. Thin: access, shape, service, output."""

from __future__ import annotations

from functools import partial

from django.contrib.auth import authenticate
from django.http import Http404
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import services
from claims.access import has_claims_role, is_own_company_claim, require_partner, require_reviewer
from claims.accounts import local_password_refused
from claims.actions import REVIEWER, ClaimAction
from claims.choices import ClaimState
from claims.downloads import downloadable, evidence_response, visible_evidence
from claims.errors import DomainError
from claims.mfa import password_only_refused
from claims.models import Claim, ClaimEvidence, Mpn, Product
from claims.selectors import SORTS, active_associations, ended_associations, filter_claims, get_claim_for_user, visible_claims
from cpor.security import ClientThrottle, slowed_down

from . import serializers as s
from .concurrency import etag_of, if_match
from .errors import error_responses
from .idempotency import idempotent
from .listing import CountedPaginator, list_rows, list_values, prepared_claims
from .parsers import SafeJSONParser

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description=str(_("Any unique string (e.g. a UUID). A retry with the same key returns the first result.")),
)  # fmt: skip
ORDERINGS = [key for name in SORTS for key in (name, f"-{name}")]


class Pagination(PageNumberPagination):
    """DRF's page envelope; a malformed page or page_size is a 400, a page past the end a 404."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise DomainError.of("invalid_page_size", self.page_size_query_param, max=self.max_page_size)
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not (raw.isdigit() and int(raw) >= 1):
            raise DomainError.of("invalid_page", self.page_query_param)
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise DomainError.of("page_not_found", self.page_query_param) from None


def choice_param(request, name: str, allowed, code: str, default=None):
    """A query parameter that must be one of `allowed` when given: never silently ignored."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise DomainError.of(code, name)
    return value


def claim_for(request, pk: int) -> Claim:
    """The claim if the caller may see it (own company, or any for reviewers); else 404.
    Without a claims role: 403 (which role to ask for) on the own company's claim, else 404."""
    if not has_claims_role(request.user):
        raise DomainError.of("permission_denied" if is_own_company_claim(request.user, pk) else "not_found")
    try:
        return get_claim_for_user(request.user, pk)
    except Http404:
        raise DomainError.of("not_found") from None


def detail(request, claim: Claim, code: int = status.HTTP_200_OK) -> Response:
    fresh = get_claim_for_user(request.user, claim.pk)
    data = s.ClaimDetailSerializer(fresh, context={"request": request}).data
    headers = {"ETag": etag_of(data)}
    if code == status.HTTP_201_CREATED:
        headers["Location"] = request.build_absolute_uri(reverse("api-claim", args=[fresh.pk]))
    return Response(data, status=code, headers=headers)


def page_of(request, view, items, serializer_class) -> Response:
    """Every API list answers the same page envelope: count, next, previous, results."""
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context={"request": request}).data)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    parser_classes = [SafeJSONParser]
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientThrottle]
    throttle_scope = "auth"

    @extend_schema(
        operation_id="auth_token",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, **error_responses(400, 403, 429)},
        auth=[],
        examples=[
            OpenApiExample("demo partner", value={"username": "fabrikam-global", "password": "demo-password"}, request_only=True)
        ],
    )
    def post(self, request):
        if refused := slowed_down(request._request):  # an address that keeps failing waits
            return refused
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request: django-axes marks a lockout on it for its middleware.
        user = authenticate(request._request, username=data.validated_data["username"], password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise DomainError.of("invalid_credentials")
        # A password alone must not stand in for the second factor (issue 21, point 2).
        if password_only_refused(user):
            raise DomainError.of("mfa_required")
        # A company that signs in through its identity provider only has no password sign-in.
        if local_password_refused(user):
            raise DomainError.of("sso_only")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class ClaimListView(APIView):
    parser_classes = [SafeJSONParser]

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
        state = choice_param(request, "status", ClaimState.values, "invalid_status")
        q = request.query_params.get("search", "")[:200]
        sort = choice_param(request, "ordering", ORDERINGS, "invalid_ordering", "-created")
        paginator = Pagination()
        if q.strip():
            qs = filter_claims(visible_claims(user), state=state, q=q, sort=sort)
            # Counted on the claims alone: the rows' joins (customer, MPN) do not change the count.
            paginator.django_paginator_class = partial(CountedPaginator, total=qs.count())
            page = paginator.paginate_queryset(list_values(qs), request, view=self)
        else:
            # Without a search the page has one of a few shapes (whose claims, which status,
            # which sort): each compiled once per process (claims/prepared.py).
            rows = prepared_claims(user, state=state, sort=sort)
            paginator.django_paginator_class = partial(CountedPaginator, total=rows.count())
            page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(list_rows(page))

    @extend_schema(
        operation_id="claims_create",
        request=s.ClaimCreateSerializer,
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
        require_partner(request.user)
        data = s.ClaimCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.claim_create(actor=request.user, data=dict(data.validated_data))
        return detail(request, claim, status.HTTP_201_CREATED)


class ClaimDetailView(APIView):
    parser_classes = [SafeJSONParser]

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
        require_partner(request.user)
        data = s.ClaimInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        # Only keys the client sent: an absent key is no change.
        payload = {k: v for k, v in data.validated_data.items() if k in request.data}
        with if_match(request, claim.pk):
            services.claim_update(claim=claim, actor=request.user, data=payload)
        return detail(request, claim)

    @extend_schema(operation_id="claims_destroy", responses={204: None, **error_responses(401, 403, 404, 409)})
    def delete(self, request, pk: int):
        claim = claim_for(request, pk)
        require_partner(request.user)
        with if_match(request, claim.pk):
            services.claim_delete(claim=claim, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="evidence_list", responses={200: s.paginated(s.EvidenceSerializer), **error_responses(401, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        return page_of(request, self, claim.evidence.filter(visible_evidence(request.user)), s.EvidenceSerializer)

    @extend_schema(
        operation_id="evidence_upload",
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        parameters=[IDEMPOTENCY],
        responses={201: s.EvidenceSerializer, **error_responses(400, 401, 403, 404, 415, 503)},
    )
    @idempotent
    def post(self, request, pk: int):
        claim = claim_for(request, pk)
        require_partner(request.user)
        data = s.EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with if_match(request, claim.pk):
            evidence = services.evidence_add(claim=claim, actor=request.user, file=data.validated_data["file"])
        body = s.EvidenceSerializer(evidence, context={"request": request}).data
        # The file's address even while its malware scan is pending (download_url is null until clean).
        location = request.build_absolute_uri(s.evidence_path(evidence))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class EvidenceDownloadView(APIView):
    @extend_schema(
        operation_id="evidence_download",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY), **error_responses(401, 404, 503)},
    )
    def get(self, request, pk: int, evidence_id: int):
        claim = claim_for(request, pk)
        evidence = downloadable(request.user, claim.pk, evidence_id)
        response = evidence and evidence_response(evidence, content_type="application/octet-stream")
        if response is None:
            raise DomainError.of("not_found")
        return response

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
        require_partner(request.user)
        evidence = ClaimEvidence.objects.filter(pk=evidence_id, claim=claim).first()
        if evidence is None:
            raise DomainError.of("not_found")
        ser = s.EvidenceRemoveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        with if_match(request, claim.pk):  # a stale ETag removes nothing (412)
            kept = services.evidence_remove(evidence=evidence, actor=request.user, reason=ser.validated_data["reason"])
        if kept is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.EvidenceSerializer(kept, context={"request": request}).data)


def _text(value) -> str:
    return str(value() if callable(value) else value)


def action_view(action: ClaimAction):
    """The API endpoint of one action of the registry (claims.actions): `POST` with its input,
    the role checked before the input, `If-Match` and `Idempotency-Key` honoured, the claim
    returned."""
    body = import_string(action.api_input) if action.api_input else None
    upload = import_string(action.api_upload) if action.api_upload else None

    class ActionView(APIView):
        parser_classes = [SafeJSONParser, MultiPartParser, FormParser] if upload else [SafeJSONParser]

        @extend_schema(
            operation_id=f"claims_{action.name}",
            request={"application/json": body, "multipart/form-data": upload} if upload else body,
            parameters=[IDEMPOTENCY],
            description=lazy(_text, str)(action.description),  # worded when the schema is generated
            responses={200: s.ClaimDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
        )
        @idempotent
        def post(self, request, pk: int):
            claim = claim_for(request, pk)
            # The role before the input: never describe inputs one may not send.
            (require_reviewer if action.role == REVIEWER else require_partner)(request.user)
            multipart = upload is not None and request.content_type.startswith("multipart/")
            data, files = {}, []
            if (shape := upload if multipart else body) is not None:
                ser = shape(data=request.data)
                ser.is_valid(raise_exception=True)
                data = ser.validated_data
            if multipart:
                files = request.FILES.getlist("files")
            with if_match(request, claim.pk):
                action.run(claim, request.user, data, files)
            return detail(request, claim)

    ActionView.__name__ = f"{action.name.title().replace('_', '')}View"
    return ActionView.as_view()


class CommentsView(APIView):
    parser_classes = [SafeJSONParser]

    @extend_schema(operation_id="comments_list", responses={200: s.paginated(s.CommentSerializer), **error_responses(401, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        return page_of(request, self, claim.comments.all(), s.CommentSerializer)

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
        location = request.build_absolute_uri(reverse("api-comment", args=[claim.pk, note.pk]))
        return Response(s.CommentSerializer(note).data, status=status.HTTP_201_CREATED, headers={"Location": location})


class CommentView(APIView):
    @extend_schema(operation_id="comments_retrieve", responses={200: s.CommentSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int, comment_id: int):
        claim = claim_for(request, pk)
        note = claim.comments.filter(pk=comment_id).first()
        if note is None:
            raise DomainError.of("not_found")
        return Response(s.CommentSerializer(note).data)


class HistoryView(APIView):
    @extend_schema(operation_id="history_list", responses={200: s.paginated(s.EventSerializer), **error_responses(401, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        return page_of(request, self, claim.events.all(), s.EventSerializer)


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
        require_partner(request.user)
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
    @extend_schema(operation_id="mpns_list", responses={200: s.paginated(s.MpnSerializer), **error_responses(401, 403)})
    def get(self, request):
        require_partner(request.user)
        mpns = Mpn.objects.filter(company_id=request.user.company_id).order_by("-incentive_enrolled", "mpn_id")
        return page_of(request, self, mpns, s.MpnSerializer)


class CatalogView(APIView):
    @extend_schema(operation_id="catalog", responses={200: s.paginated(s.CatalogAreaSerializer), **error_responses(401)})
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(s.catalog_data(list(Product.objects.order_by("name"))), request, view=self)
        return paginator.get_paginated_response(page)
