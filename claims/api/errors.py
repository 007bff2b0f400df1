"""One error shape for the whole API: {"errors": [{"code", "field", "message"}]}.

Domain refusals keep their stable codes and HTTP status (400, 403, 404, 409); DRF's own
refusals (authentication, parsing, throttling, input shape) are mapped to the same shape.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from claims.errors import DomainError
from cpor.storage import StorageUnavailable

# A client may retry a 503 storage_unavailable after this many seconds.
STORAGE_RETRY_AFTER = "30"

DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def _flatten(detail, field: str | None = None) -> list[dict]:
    """DRF validation details (nested dicts/lists of ErrorDetail) as flat error items."""
    items: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else (f"{field}.{key}" if field else str(key))
            items += _flatten(value, name if name is not None else field)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and field is not None:
                items += _flatten(value, f"{field}[{index}]")
            else:
                items += _flatten(value, field)
    else:
        code = getattr(detail, "code", "invalid") or "invalid"
        items.append(
            {"code": "required" if code in ("required", "null", "blank") else code, "field": field, "message": str(detail)}
        )
    return items


def error_response(items: list[dict], status_code: int, headers: dict | None = None) -> Response:
    return Response({"errors": items}, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        # A refusal that says how long to wait (a throttle) says it in Retry-After too.
        seconds = dict(exc.errors[0].params).get("seconds") if exc.http_status == 429 else None
        return error_response(
            [e.as_dict() for e in exc.errors], exc.http_status, headers={"Retry-After": str(seconds)} if seconds else None
        )
    if isinstance(exc, RequestDataTooBig):
        return error_response(_items("request_too_large"), 413)
    if isinstance(exc, StorageUnavailable):
        return error_response(_items("storage_unavailable"), 503, headers={"Retry-After": STORAGE_RETRY_AFTER})
    if isinstance(exc, SuspiciousOperation):
        return error_response(_items("bad_request"), 400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django turns it into a logged 500
    if isinstance(exc, exceptions.ValidationError):
        items = _flatten(exc.detail)
    else:
        # A refusal of our own (claims.api.auth.TokenRefused) carries its code.
        code = getattr(exc, "cpor_code", None) or next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
        items = [{"code": code, "field": None, "message": str(exc.detail)}]
    response.data = {"errors": items}
    return response


def _max_mb() -> int:
    from django.conf import settings

    return max(1, settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024))


def _items(code: str, field: str | None = None, **params) -> list[dict]:
    if code == "request_too_large" and not params:
        params = {"max_mb": _max_mb()}
    return [e.as_dict() for e in DomainError.of(code, field, **params).errors]


def json_error(code: str, status: int | None = None, field: str | None = None, **params) -> JsonResponse:
    """The envelope outside DRF (middleware, URL resolver and server error handlers)."""
    error = DomainError.of(code, field, **params)
    return JsonResponse({"errors": [e.as_dict() for e in error.errors]}, status=status or error.http_status)


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


# Django's handlers for what never reaches a view (unmatched URL, bad request, crash):
# the envelope under /api/, Django's own pages elsewhere.
def handler400(request, exception=None):
    from django.views import defaults

    if isinstance(exception, RequestDataTooBig):
        if is_api(request):
            return json_error("request_too_large", 413, max_mb=_max_mb())
        response = defaults.bad_request(request, exception)
        response.status_code = 413
        return response
    if is_api(request):
        return json_error("bad_request", 400)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    from django.views import defaults

    if is_api(request):
        return json_error("permission_denied", 403)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    from django.views import defaults

    if is_api(request):
        return json_error("unknown_url", 404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    import sys

    from django.views import defaults

    if isinstance(sys.exc_info()[1], StorageUnavailable):
        # Raised where no process_exception sees it (in another middleware, or while a
        # response streams): still the 503 of cpor.middleware.StorageUnavailableMiddleware.
        return storage_unavailable_response(request)

    if is_api(request):
        return json_error("server_error", 500)
    return defaults.server_error(request)


def storage_unavailable_response(request):
    """503 storage_unavailable: the API's envelope, or a page in words."""
    if is_api(request):
        response = json_error("storage_unavailable", 503)
    else:
        from django.template.loader import render_to_string

        message = DomainError.of("storage_unavailable").errors[0].message
        response = HttpResponse(render_to_string("errors/unavailable.html", {"message": message}, request=request), status=503)
    response["Retry-After"] = STORAGE_RETRY_AFTER
    return response


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable, machine-readable code, e.g. domain_tenant_mismatch."))
    field = serializers.CharField(
        allow_null=True, help_text=_("The input field concerned, e.g. products[0].subscription_id, or null.")
    )
    message = serializers.CharField(help_text=_("What to do, in words for a person."))


class ErrorSerializer(serializers.Serializer):
    errors = ErrorItemSerializer(many=True)


STATUS_TEXT = {
    400: _("Invalid input or a domain rule refused it (see code)."),
    401: _("Not authenticated: send Authorization: Token <token>."),
    403: _("Your role may not do this."),
    404: _("No such claim for you (another company's claim is never revealed)."),
    406: _("Not acceptable: the API answers application/json (downloads: the file's type)."),
    409: _("Not allowed in the claim's current status, or lost to a concurrent change."),
    412: _("If-Match did not match the claim's current ETag: read the claim again."),
    413: _("The request body or an uploaded file is too large."),
    414: _("The address is too long."),
    415: _("Unsupported media type."),
    429: _("Too many requests (or sign-in paused after failures): retry after Retry-After seconds."),
    500: _("A server error; it has been logged."),
    503: _("The file store is not answering (storage_unavailable): nothing was saved; retry after Retry-After seconds."),
}


def error_responses(*codes: int) -> dict:
    from drf_spectacular.utils import OpenApiExample, OpenApiResponse

    examples = {
        400: [{"code": "domain_tenant_mismatch", "field": "customer_domain", "message": "This subdomain or domain does not belong to that tenant. Contact your customer to make sure you have the correct details."}],
        401: [{"code": "not_authenticated", "field": None, "message": "Authentication credentials were not provided."}],
        403: [{"code": "permission_denied", "field": None, "message": "You need the Global admin, Billing admin or Incentives admin role to work with claims."}],
        404: [{"code": "not_found", "field": None, "message": "No such claim."}],
        409: [{"code": "invalid_transition", "field": None, "message": "This action is not possible in the claim's current status. Reload the claim to see its status."}],
        415: [{"code": "unsupported_media_type", "field": None, "message": 'Unsupported media type "text/plain" in request.'}],
        429: [{"code": "throttled", "field": None, "message": "Request was throttled."}],
        503: [{"code": "storage_unavailable", "field": None, "message": "Files cannot be stored or opened right now: our file store is not answering. Nothing was saved. Try again in a few minutes."}],
    }  # fmt: skip
    return {
        code: OpenApiResponse(
            ErrorSerializer,
            description=str(STATUS_TEXT[code]),
            examples=[
                OpenApiExample(f"error {code}", value={"errors": examples[code]}, response_only=True, status_codes=[str(code)])
            ],
        )
        for code in codes
    }
