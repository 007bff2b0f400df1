"""The rejected rows as a CSV, as uploaded plus an `errors` column, to fix and upload again."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from claims.spreadsheet import safe_cell, safe_row

from ..models import ClaimImport
from .rows import message_of
from .service import CHUNK
from .templates import template_columns


def rejected_csv(batch: ClaimImport) -> Iterator[str]:
    """The rejected rows, as uploaded, plus an `errors` column ("column: message"), to fix and
    upload again. Streams. Every cell, the header's too (its column names are the uploader's),
    is spreadsheet-safe; the import undoes the escaping when the file comes back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header: list[str] | None = None
    yield "\ufeff"
    for row in batch.rows.filter(ok=False).order_by("row_number").iterator(chunk_size=CHUNK):
        if header is None:
            header = [k for k in row.raw if k != "errors"] or template_columns()
            writer.writerow(safe_row([*header, "errors"]))
        text = "; ".join(f"{e['column'] or '-'}: {message_of(e)} [{e['code']}]" for e in row.errors)
        writer.writerow([*(safe_cell(row.raw.get(k, "")) for k in header), safe_cell(text)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if header is None:
        writer.writerow(safe_row([*template_columns(), "errors"]))
        yield buffer.getvalue()
