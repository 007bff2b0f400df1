"""The rejected rows as a CSV, as uploaded plus an `errors` column, to fix and upload again."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ..models import ClaimImport
from .reading import FORMULA_PREFIXES
from .rows import message_of
from .service import CHUNK
from .templates import template_columns


def safe_cell(value: str) -> str:
    """Spreadsheet apps run a cell starting with = + - @ as a formula: never from our CSV."""
    return "'" + value if value and value.startswith(FORMULA_PREFIXES) else value


def rejected_csv(batch: ClaimImport) -> Iterator[str]:
    """The rejected rows, as uploaded, plus an `errors` column ("column: message"), to fix and
    upload again. Streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header: list[str] | None = None
    yield "\ufeff"
    for row in batch.rows.filter(ok=False).order_by("row_number").iterator(chunk_size=CHUNK):
        if header is None:
            header = [k for k in row.raw if k != "errors"] or template_columns()
            writer.writerow([*header, "errors"])
        text = "; ".join(f"{e['column'] or '-'}: {message_of(e)} [{e['code']}]" for e in row.errors)
        writer.writerow([*(safe_cell(row.raw.get(k, "")) for k in header), safe_cell(text)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if header is None:
        writer.writerow([*template_columns(), "errors"])
        yield buffer.getvalue()
