"""Refuses malformed requests before any view or database sees them.

- a NUL character anywhere in the address, a header, a cookie or a form field: 400
  null_characters_not_allowed (PostgreSQL cannot store it; Django would crash with a 500);
- an address longer than CPOR_MAX_URI_LENGTH: 414; a body larger than the limit: 413;
- a request without its trailing slash whose slashed form exists is routed there, so a
  POST, PATCH or DELETE is never redirected (a client re-sends a 301 as a GET). Under
  /api/ both forms are served for every method; pages keep Django's redirect for reads.

Under /api/ refusals are the JSON error envelope; pages get a short page in words.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from claims.api.errors import is_api, json_error
from claims.errors import DomainError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL = "\x00"


def _refusal(request, code: str, status: int, **params) -> HttpResponse:
    if is_api(request):
        return json_error(code, status, **params)
    message = DomainError.of(code, **params).errors[0].message
    body = render_to_string("errors/refused.html", {"status": status, "message": message})
    return HttpResponse(body, status=status)


def _has_nul(values) -> bool:
    return any(NUL in value for value in values if isinstance(value, str))


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request)
        if refusal is not None:
            return refusal
        self.add_slash(request)
        return self.get_response(request)

    def refusal(self, request) -> HttpResponse | None:
        max_uri = settings.CPOR_MAX_URI_LENGTH
        if len(request.path) + len(request.META.get("QUERY_STRING", "")) + 1 > max_uri:
            return _refusal(request, "uri_too_long", 414, max=max_uri)
        headers = [v for k, v in request.META.items() if k.startswith("HTTP_") or k == "CONTENT_TYPE"]
        if (
            NUL in request.path
            or _has_nul(request.GET.keys())
            or _has_nul(v for values in request.GET.lists() for v in values[1])
            or _has_nul(headers)
        ):
            return _refusal(request, "null_characters_not_allowed", 400)
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = settings.CPOR_REQUEST_MAX_BYTES if content_type.startswith("multipart/") else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return _refusal(request, "request_too_large", 413, max_mb=max(1, limit // (1024 * 1024)))
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and content_type.startswith(FORM_TYPES):
            try:
                fields = [*request.POST.keys(), *(v for _k, values in request.POST.lists() for v in values)]
                names = [f.name or "" for _k, files in request.FILES.lists() for f in files]
            except RequestDataTooBig:
                return _refusal(request, "request_too_large", 413, max_mb=max(1, limit // (1024 * 1024)))
            except (SuspiciousOperation, MultiPartParserError):
                return _refusal(request, "bad_request", 400)
            if _has_nul(fields) or _has_nul(names):
                return _refusal(request, "null_characters_not_allowed", 400)
        return None

    def add_slash(self, request) -> None:
        path = request.path_info
        if path.endswith("/") or not (is_api(request) or request.method not in ("GET", "HEAD", "OPTIONS")):
            return
        if not _resolves(path) and _resolves(path + "/"):
            request.path_info = path + "/"
            request.path = request.path + "/"


class StorageUnavailableMiddleware:
    """A file store that does not answer (cpor.storage.StorageUnavailable) is a 503 with the
    code storage_unavailable, a page in words or the API's envelope, not a crash (500). The
    API's views answer it themselves (claims.api.errors); this catches every other view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from claims.api.errors import storage_unavailable_response
        from cpor.storage import StorageUnavailable

        if not isinstance(exception, StorageUnavailable):
            return None
        return storage_unavailable_response(request)
