"""REST API of integrations: /api/v1/webhooks/ and /api/v1/imports/. Thin: access first,
then input shape, then the service, then the output serializer."""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.access import require_partner
from claims.api.errors import ErrorItemSerializer, error_responses
from claims.api.serializers import ClaimDetailSerializer, paginated
from claims.api.views import Pagination, page_of
from claims.lengths import max_length

from . import imports, selectors, services, webhooks
from .downloads import rejected_response, template_response
from .models import ClaimImport, ImportRow, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookClaimSerializer(ClaimDetailSerializer):
    """The claim as the API shows it to its owner, minus what depends on who asks."""

    class Meta(ClaimDetailSerializer.Meta):
        fields = [f for f in ClaimDetailSerializer.Meta.fields if f != "available_actions"]


EVENT_CHOICES = list(webhooks.EVENT_TYPES.items())  # lazy labels: the schema words them when it is generated


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))
    secret_rotation_ends_at = serializers.DateTimeField(source="previous_secret_expires_at", allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "events", "is_active", "disabled_reason", "failing_since",
            "secret_rotation_ends_at", "created_at", "updated_at",
        ]  # fmt: skip


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(help_text=_("Shown only now. Verify each delivery's webhook-signature with it."))

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class EndpointInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=max_length(WebhookEndpoint, "url"), help_text=_("HTTPS URL on the public internet."))
    events = serializers.ListField(
        child=serializers.CharField(max_length=max_length(WebhookDelivery, "event_type")),
        help_text=_("Event types to receive."),
    )
    description = serializers.CharField(
        max_length=max_length(WebhookEndpoint, "description"), required=False, allow_blank=True, default=""
    )
    is_active = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "url", "request_headers", "status_code", "response_body", "latency_ms", "error_code", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = AttemptSerializer(many=True)
    sequence = serializers.IntegerField(source="id")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "sequence", "msg_id", "event_type", "claim", "status", "attempts", "next_attempt_at", "created_at",
            "delivered_at", "last_status_code", "last_error", "payload", "attempt_log",
        ]  # fmt: skip


PaginatedDeliveries = paginated(DeliverySerializer)


def _own_endpoint(request, pk: int) -> WebhookEndpoint:
    # Access before input: another company's endpoint is 404, a missing role 403.
    endpoint = selectors.get_endpoint_for_user(request.user, pk)
    services.require_global_admin(request.user)
    return endpoint


class WebhookListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="webhooks_list", responses={200: paginated(EndpointSerializer), **error_responses(401, 403)})
    def get(self, request):
        services.require_global_admin(request.user)
        return page_of(request, self, selectors.endpoints_for(request.user), EndpointSerializer)

    @extend_schema(
        operation_id="webhooks_create",
        request=EndpointInSerializer,
        description=str(_("Registers an endpoint. The response holds the signing secret, shown this once.")),
        responses={201: EndpointWithSecretSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        services.require_global_admin(request.user)
        data = EndpointInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        endpoint, secret = services.endpoint_create(
            actor=request.user, url=v["url"], events=v["events"], description=v["description"]
        )
        if v.get("is_active") is False:
            endpoint = services.endpoint_update(endpoint=endpoint, actor=request.user, is_active=False)
        return Response({**EndpointSerializer(endpoint).data, "secret": secret}, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="webhooks_retrieve", responses={200: EndpointSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk: int):
        return Response(EndpointSerializer(_own_endpoint(request, pk)).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        request=EndpointInSerializer,
        responses={200: EndpointSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int):
        endpoint = _own_endpoint(request, pk)
        data = EndpointInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = {k: val for k, val in data.validated_data.items() if k in request.data}
        endpoint = services.endpoint_update(endpoint=endpoint, actor=request.user, **v)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(operation_id="webhooks_destroy", responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request, pk: int):
        services.endpoint_delete(endpoint=_own_endpoint(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateView(APIView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        request=None,
        description=str(_("A new secret, shown once; the previous one also signs during the overlap period.")),
        responses={200: EndpointWithSecretSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, pk: int):
        endpoint, secret = services.endpoint_rotate_secret(endpoint=_own_endpoint(request, pk), actor=request.user)
        return Response({**EndpointSerializer(endpoint).data, "secret": secret})


class WebhookTestView(APIView):
    @extend_schema(
        operation_id="webhooks_test",
        request=None,
        description=str(_("Sends a signed webhook.test event to the endpoint; see it in the deliveries.")),
        responses={202: DeliverySerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request, pk: int):
        delivery = services.endpoint_send_test(endpoint=_own_endpoint(request, pk), actor=request.user)
        fresh = selectors.deliveries_for(delivery.endpoint).get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveriesView(APIView):
    @extend_schema(
        operation_id="webhooks_deliveries",
        description=str(_("The delivery log, newest first: payload, attempts with response code, latency and body excerpt.")),
        responses={200: PaginatedDeliveries, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: int):
        endpoint = _own_endpoint(request, pk)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.deliveries_for(endpoint), request, view=self)
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


class WebhookRedeliverView(APIView):
    @extend_schema(
        operation_id="webhooks_redeliver",
        request=None,
        description=str(_("Sends the delivery again with the same webhook-id and body.")),
        responses={202: OpenApiResponse(DeliverySerializer), **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request, pk: int, delivery_id: int):
        endpoint = _own_endpoint(request, pk)
        delivery = services.delivery_redeliver(delivery=selectors.get_delivery(endpoint, delivery_id), actor=request.user)
        fresh = selectors.deliveries_for(endpoint).get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


# --- imports ------------------------------------------------------------------------------


class ImportSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(help_text=_("Percent of the current step (validating, then importing)."))
    error = serializers.SerializerMethodField()
    earlier_upload = serializers.SerializerMethodField()
    rejected_csv_url = serializers.SerializerMethodField()

    class Meta:
        model = ClaimImport
        fields = [
            "id", "original_name", "file_format", "sha256", "status", "progress", "total_rows", "processed_rows",
            "valid_rows", "invalid_rows", "imported_rows", "skipped_rows", "error", "earlier_upload", "created_at",
            "finished_at", "committed_at", "rejected_csv_url",
        ]  # fmt: skip

    @extend_schema_field(ErrorItemSerializer(allow_null=True))
    def get_error(self, obj):
        if not obj.error_code:
            return None
        return {
            "code": obj.error_code,
            "field": "file",
            "message": imports.message_of({"code": obj.error_code, "field": "file", "params": obj.error_params}),
        }

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text=_("An earlier import of the same file.")))
    def get_earlier_upload(self, obj):
        if hasattr(obj, "earlier_upload_pk"):  # a list's rows carry it (selectors.imports_for)
            return obj.earlier_upload_pk
        earlier = imports.earlier_upload(obj)
        return earlier.pk if earlier else None

    def get_rejected_csv_url(self, obj) -> str:
        return f"/api/v1/imports/{obj.pk}/rejected.csv"


class RowErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    column = serializers.CharField(allow_blank=True)
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportRowSerializer(serializers.ModelSerializer):
    errors = serializers.SerializerMethodField()
    duplicate_of_claim = serializers.IntegerField(source="duplicate_of", allow_null=True)
    claim = serializers.IntegerField(source="claim_id", allow_null=True)

    class Meta:
        model = ImportRow
        fields = ["row_number", "ok", "errors", "competing", "duplicate_of_claim", "claim", "raw"]

    @extend_schema_field(RowErrorSerializer(many=True))
    def get_errors(self, obj):
        return [
            {"code": e["code"], "column": e["column"], "field": e.get("field"), "message": imports.message_of(e)}
            for e in obj.errors
        ]


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text=_("CSV (UTF-8 with or without BOM, or UTF-16) or XLSX, at most 10,000 rows.")
    )
    poe_zip = serializers.FileField(
        required=False, allow_empty_file=True,
        help_text=_("Optional ZIP of proof-of-execution files that rows name in their poe_files column."),
    )  # fmt: skip


PaginatedImportRows = paginated(ImportRowSerializer)


def _own_import(request, pk: int) -> ClaimImport:
    batch = selectors.get_import_for_user(request.user, pk)
    require_partner(request.user)
    return batch


class ImportListView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(operation_id="imports_list", responses={200: paginated(ImportSerializer), **error_responses(401, 403)})
    def get(self, request):
        require_partner(request.user)
        return page_of(request, self, selectors.imports_for(request.user), ImportSerializer)

    @extend_schema(
        operation_id="imports_create",
        request={"multipart/form-data": ImportUploadSerializer},
        description=str(
            _(
                "Uploads a file of claims and validates every row (nothing is written yet). Small files come back "
                "validated (status preview); larger ones are validated by the worker: poll the import for its progress."
            )
        ),
        responses={201: ImportSerializer, **error_responses(400, 401, 403, 415, 503)},
    )
    def post(self, request):
        require_partner(request.user)
        data = ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = imports.import_create(
            actor=request.user, upload=data.validated_data["file"], poe_zip=data.validated_data.get("poe_zip")
        )
        return Response(ImportSerializer(batch).data, status=status.HTTP_201_CREATED)


class ImportDetailView(APIView):
    @extend_schema(operation_id="imports_retrieve", responses={200: ImportSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk: int):
        return Response(ImportSerializer(_own_import(request, pk)).data)


class ImportRowsView(APIView):
    @extend_schema(
        operation_id="imports_rows",
        description=str(_("The preview: every row with its per-column errors (the form's codes) and flags.")),
        parameters=[
            OpenApiParameter("rows", str, enum=["all", "valid", "rejected"], description=str(_("Which rows (default all)."))),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 100."),
        ],
        responses={200: PaginatedImportRows, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: int):
        batch = _own_import(request, pk)
        rows = batch.rows.order_by("row_number")
        which = request.query_params.get("rows")
        if which in ("valid", "rejected"):
            rows = rows.filter(ok=which == "valid")
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ImportRowSerializer(page, many=True).data)


class ImportCommitView(APIView):
    @extend_schema(
        operation_id="imports_commit",
        request=None,
        description=str(_("Imports the valid rows as Editing drafts (the worker does it for large files).")),
        responses={202: ImportSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        batch = imports.commit(batch=_own_import(request, pk), actor=request.user)
        return Response(ImportSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class FileRenderer(BaseRenderer):
    """Lets a client that asks for the file type get it (errors still come as JSON text)."""

    media_type = "text/csv"
    format = "csv"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode() if isinstance(data, dict | list) else data


class XlsxRenderer(FileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


class ImportRejectedView(APIView):
    renderer_classes = [JSONRenderer, FileRenderer]

    @extend_schema(
        operation_id="imports_rejected_csv",
        description=str(_("The rejected rows as uploaded, with an errors column, to fix and upload again.")),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR), **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: int):
        return rejected_response(_own_import(request, pk))


class ImportTemplateCsvView(APIView):
    renderer_classes = [JSONRenderer, FileRenderer]

    @extend_schema(
        operation_id="imports_template_csv",
        description=str(_("The template's header row as CSV (UTF-8 with BOM). The XLSX template explains each column.")),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR), **error_responses(401, 403)},
    )
    def get(self, request):
        require_partner(request.user)
        return template_response("csv")


class ImportTemplateXlsxView(APIView):
    renderer_classes = [JSONRenderer, XlsxRenderer]

    @extend_schema(
        operation_id="imports_template_xlsx",
        description=str(_("The template as XLSX: a claims sheet, each column's meaning and the valid codes in every language.")),
        responses={(200, XlsxRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY), **error_responses(401, 403)},
    )
    def get(self, request):
        require_partner(request.user)
        return template_response("xlsx")
