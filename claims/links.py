"""Paths of pages named by one id, reversed once per process and then formatted.

Pages that link to many claims (an outbox batch, a queue page of 50 rows) would otherwise run
Django's URL reversal once per link.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import reverse

_PK = 987654321  # a placeholder id: the pattern is reversed once with it


@lru_cache(maxsize=32)
def _pattern(name: str) -> str:
    return reverse(name, args=[_PK]).replace(str(_PK), "{}")


def path(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL whose one argument is an id."""
    return _pattern(name).format(pk)
