"""REST API of integrations: /api/v1/webhooks/ and /api/v1/imports/. Thin: access first,
then input shape, then the service, then the output serializer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.api.errors import error_responses
from claims.api.serializers import ClaimDetailSerializer
from claims.api.views import Pagination

from . import selectors, services, webhooks
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookClaimSerializer(ClaimDetailSerializer):
    """The claim as the API shows it to its owner, minus what depends on who asks."""

    class Meta(ClaimDetailSerializer.Meta):
        fields = [f for f in ClaimDetailSerializer.Meta.fields if f != "available_actions"]


EVENT_CHOICES = [(k, str(v)) for k, v in webhooks.EVENT_TYPES.items()]


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
    url = serializers.CharField(max_length=500, help_text=_("HTTPS URL on the public internet."))
    events = serializers.ListField(child=serializers.CharField(max_length=40), help_text=_("Event types to receive."))
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
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


PaginatedDeliveries = type(
    "PaginatedDeliveryList",
    (serializers.Serializer,),
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": DeliverySerializer(many=True),
    },
)


def _own_endpoint(request, pk: int) -> WebhookEndpoint:
    # Access before input: another company's endpoint is 404, a missing role 403.
    endpoint = selectors.get_endpoint_for_user(request.user, pk)
    services.require_global_admin(request.user)
    return endpoint


class WebhookListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="webhooks_list", responses={200: EndpointSerializer(many=True), **error_responses(401, 403)})
    def get(self, request):
        services.require_global_admin(request.user)
        return Response(EndpointSerializer(selectors.endpoints_for(request.user), many=True).data)

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
        responses={202: DeliverySerializer, **error_responses(401, 403, 404, 409)},
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
        responses={202: OpenApiResponse(DeliverySerializer), **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, pk: int, delivery_id: int):
        endpoint = _own_endpoint(request, pk)
        delivery = services.delivery_redeliver(delivery=selectors.get_delivery(endpoint, delivery_id), actor=request.user)
        fresh = selectors.deliveries_for(endpoint).get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)
