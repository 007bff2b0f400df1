"""Reading an uploaded sheet: the format (by name and content), a CSV's encoding and
dialect, an XLSX's cells (formulas flagged, never evaluated), and the header row."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from claims.errors import DomainError
from claims.spreadsheet import unescape_cell

from .templates import BASE_COLUMNS


def detect_format(name: str, head: bytes) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext == "xlsx" and head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if ext == "csv" and not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")):
        return "csv"
    raise DomainError.of("import_not_a_spreadsheet", "file")


def _csv_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-16 without a BOM: every other byte of ASCII text is zero.
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) == 0:
        return "utf-16-be"
    return "utf-8"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


Cells = list[tuple[str, bool]]  # (text, is a formula)

# Excel's own limit on the characters of a cell: a longer one cannot have come from a
# spreadsheet, and refusing it bounds what one row holds.
MAX_CELL_CHARS = 32_767
# A row of claims is a few hundred characters; this leaves room for several full cells. A
# CSV line is read with this cap, so a file without line breaks never sits in memory whole.
MAX_ROW_CHARS = 262_144
# Cells of an XLSX row looked at: every column a claims sheet can name, well under the
# 16,384 an XLSX row may be padded to.
MAX_COLUMNS = 1_024
# Excel's own last row: a row numbered past it (which read_rows would reach through empty
# rows, one at a time) is not in a sheet Excel could have saved.
EXCEL_MAX_ROWS = 1_048_576
UNZIP_CHUNK = 1024 * 1024
MAX_WORKBOOK_MEMBERS = 1_000
# Below this size a member's compression ratio says nothing (a short XML compresses well).
RATIO_FLOOR = 1024 * 1024


class _Lines:
    """A CSV's lines for the csv reader, each read with a cap. Refuses, naming the row, a
    row (which quoted line breaks may spread over several lines) longer than MAX_ROW_CHARS,
    and a NUL character, which PostgreSQL cannot store."""

    def __init__(self, text: io.TextIOBase) -> None:
        self.text, self.row, self.chars = text, 1, 0

    def next_row(self) -> None:
        self.row, self.chars = self.row + 1, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(MAX_ROW_CHARS + 1 - self.chars)
        if not line:
            raise StopIteration
        self.chars += len(line)
        if self.chars > MAX_ROW_CHARS:
            raise DomainError.of("import_row_too_long", "file", row=self.row, max=MAX_ROW_CHARS)
        if "\x00" in line:
            raise DomainError.of("null_characters_not_allowed", "file", row=self.row)
        return line


def _csv_rows(handle) -> Iterator[Cells]:
    head = handle.read(4096)
    handle.seek(0)
    encoding = _csv_encoding(head)
    text = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
    # The csv module's limit is per process; this is the product's only CSV reader.
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        sample = text.read(8192)
        text.seek(0)
        # Only the delimiter is guessed: spreadsheets quote with " and double it inside a cell
        # (Excel's dialect), while the sniffer, from one line, takes the apostrophe that escapes
        # a formula-like cell (claims.spreadsheet) for a quote character.
        try:
            delimiter = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        lines = _Lines(text)
        reader = csv.reader(lines, csv.excel, delimiter=delimiter)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise DomainError.of("import_cell_too_long", "file", row=lines.row, max=MAX_CELL_CHARS) from None
                raise DomainError.of("import_bad_csv", "file", detail=str(exc)[:200]) from None
            lines.next_row()
            # A CSV has no formulas, but a cell starting with "=" would be one when opened in Excel.
            yield [(v, v.startswith("=")) for v in (unescape_cell(c.strip()) for c in row)]
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
        if encoding.startswith("utf-8"):
            detail = _("byte 0x%(byte)s is not UTF-8; the file looks like Windows-1252 or Latin-1") % {"byte": bad}
        else:
            detail = _("it starts like %(encoding)s but is not valid %(encoding)s") % {"encoding": encoding.upper()}
        raise DomainError.of("import_bad_encoding", "file", detail=str(detail)) from None
    finally:
        try:
            text.detach()  # leaves the stored file to its owner
        except ValueError:
            pass


def check_workbook(handle) -> None:
    """Refuses, before any of its XML is parsed, a workbook that unpacks to more than
    CPOR_IMPORT_MAX_UNZIPPED_BYTES or whose members are compressed more than
    CPOR_IMPORT_MAX_COMPRESSION_RATIO times (a "zip bomb"): first by the sizes its ZIP
    declares (the central directory), then by the sizes its members really inflate to,
    streamed a chunk at a time and stopped at the limit (a ZIP may lie about its sizes)."""
    limit, ratio = settings.CPOR_IMPORT_MAX_UNZIPPED_BYTES, settings.CPOR_IMPORT_MAX_COMPRESSION_RATIO
    too_large = DomainError.of("import_workbook_too_large", "file", max_mb=max(1, limit // (1024 * 1024)))
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            if len(members) > MAX_WORKBOOK_MEMBERS or sum(i.file_size for i in members) > limit:
                raise too_large
            if any(i.file_size > max(RATIO_FLOOR, ratio * i.compress_size) for i in members):
                raise DomainError.of("import_workbook_too_compressed", "file", max=ratio)
            inflated = 0
            for info in members:
                with archive.open(info) as member:
                    while chunk := member.read(UNZIP_CHUNK):
                        inflated += len(chunk)
                        if inflated > limit:
                            raise too_large
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
    ):
        raise DomainError.of("import_unreadable", "file") from None
    finally:
        handle.seek(0)


def _xlsx_rows(handle, size_hint=None) -> Iterator[Cells]:
    from openpyxl import load_workbook

    check_workbook(handle)
    # openpyxl parses untrusted XML and raises many kinds of errors on a broken file: each one
    # is this file's refusal, never a server error. Read-only: the sheet is streamed.
    try:
        wb = load_workbook(handle, read_only=True, data_only=False)
    except Exception:
        raise DomainError.of("import_unreadable", "file") from None
    try:
        sheet = wb["claims"] if "claims" in wb.sheetnames else wb.worksheets[0]
        if size_hint is not None and sheet.max_row:
            size_hint(max(0, sheet.max_row - 1))  # from the sheet's dimension: for the progress bar only
        # The rows as stored, from A1: the dimension a file declares (up to XFD1048576) would
        # pad every row to its width and add empty rows up to its height.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(min_row=1, min_col=1)
        number = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:
                raise DomainError.of("import_unreadable", "file") from None
            number += 1
            if number > EXCEL_MAX_ROWS:
                raise DomainError.of("import_unreadable", "file")
            # Rows copied from our rejected-rows CSV keep its escaping: undone here too.
            cells = [(unescape_cell(_cell_text(c.value)), getattr(c, "data_type", None) == "f") for c in row[:MAX_COLUMNS]]
            if any(len(text) > MAX_CELL_CHARS for text, _f in cells):
                raise DomainError.of("import_cell_too_long", "file", row=number, max=MAX_CELL_CHARS)
            yield cells
    finally:
        wb.close()


def read_rows(handle, file_format: str, size_hint=None) -> Iterator[tuple[int, dict[str, tuple[str, bool]]]]:
    """(row number, {column: (text, is_formula)}) for every non-blank row after the header."""
    rows = _xlsx_rows(handle, size_hint) if file_format == "xlsx" else _csv_rows(handle)
    try:
        yield from _rows_after_header(rows)
    finally:
        rows.close()  # before the caller closes the file


def _rows_after_header(rows: Iterator[Cells]) -> Iterator[tuple[int, dict[str, tuple[str, bool]]]]:
    header: list[str] | None = None
    for number, cells in enumerate(rows, start=1):
        if not any(text for text, _f in cells):
            continue
        if header is None:
            header = [re.sub(r"[\s\-]+", "_", text.strip().lower()) for text, _f in cells]
            missing = [c for c in BASE_COLUMNS if c not in header]
            if not any(h == "products" or re.fullmatch(r"product_\d+", h) for h in header):
                missing.append("product_1")
            if missing:
                raise DomainError.of("import_missing_columns", "file", columns=", ".join(missing))
            continue
        yield number, {h: cells[i] if i < len(cells) else ("", False) for i, h in enumerate(header) if h}
    if header is None:
        raise DomainError.of("import_empty", "file")


def count_csv_rows(handle) -> int:
    rows = 0
    for cells in _csv_rows(handle):
        if any(text for text, _f in cells):
            rows += 1
    return max(0, rows - 1)
