"""The files of the bulk import as the pages and the API hand them out, written once."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse

from . import imports
from .models import ClaimImport


def rejected_response(batch: ClaimImport) -> StreamingHttpResponse:
    response = StreamingHttpResponse(imports.rejected_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{batch.pk}.csv"'
    return response


def template_response(kind: str) -> HttpResponse:
    if kind == "xlsx":
        return HttpResponse(
            imports.template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="claims-template.xlsx"'},
        )
    return HttpResponse(
        imports.template_csv(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="claims-template.csv"'},
    )
