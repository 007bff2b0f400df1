"""Cells of the files the product writes (the claims CSV export, the import's rejected-rows
CSV, the import template), made safe to open in a spreadsheet.

Excel and LibreOffice run a cell that starts with = + - @, a tab or a carriage return as a
formula (OWASP "CSV injection"); a leading apostrophe makes it text. Every cell of every
file we write, header cells included, goes through `safe_cell`; `unescape_cell` undoes it
when one of our own files comes back as an upload.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value, with a leading apostrophe if it is text a spreadsheet would run as a
    formula. Numbers, dates and other non-text values are kept as they are."""
    if isinstance(value, Promise):  # a lazy translation is text too
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


def unescape_cell(text: str) -> str:
    """The inverse of safe_cell for a text cell read back from an upload."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text
