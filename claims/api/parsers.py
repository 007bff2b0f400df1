"""The API's JSON parser: DRF's, refusing what would crash the server further on.

A body nested deeper than CPOR_MAX_JSON_DEPTH is json_too_deep (a 5,000-level array
would otherwise raise RecursionError in the decoder or a serializer); a NUL character in
any key or string is null_characters_not_allowed (PostgreSQL cannot store it).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.parsers import JSONParser

from claims.errors import DomainError


def check_json(data, *, max_depth: int) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise DomainError.of("null_characters_not_allowed")
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise DomainError.of("json_too_deep", max=max_depth)
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None and "\x00" in key:
                    raise DomainError.of("null_characters_not_allowed")
                stack.append((item, depth + 1))


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise DomainError.of("json_too_deep", max=settings.CPOR_MAX_JSON_DEPTH) from None
        check_json(data, max_depth=settings.CPOR_MAX_JSON_DEPTH)
        return data
