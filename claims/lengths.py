"""How long a value may be. The model field says it, once: forms, API input serializers
and services read its max_length here instead of repeating the number, so a longer column
(and its migration) changes every entry point together. Free texts stored in TextFields
carry a max_length too: Django checks it in forms and validation, the database does not.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models

# A GUID as typed (tenant ID, subscription ID): 36 characters, with room for braces and
# spaces around. It is parsed, then stored as a UUID, so no text column bounds it.
GUID_INPUT = 64
# An arbitration's rationale is kept in the approval's history details (JSON), not a column.
RATIONALE = 5000


def max_length(model: type[models.Model], field: str) -> int:
    """`model.field`'s max_length; a field without one is a mistake of the caller."""
    length = model._meta.get_field(field).max_length
    if length is None:
        raise ImproperlyConfigured(f"{model.__name__}.{field} has no max_length")
    return length
