"""Optimistic concurrency for the claim (RFC 9110 ETag / If-Match).

Every claim response carries an ETag: a hash of the representation the caller gets. A
PATCH, DELETE or state-changing POST that sends If-Match runs only if the claim still has
that representation; otherwise 412 precondition_failed and nothing changes. The check and
the change run in one transaction under the claim's row lock, so of two requests sent
with the same ETag exactly one succeeds. Without If-Match a request runs as before.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.http import parse_etags

from claims.errors import DomainError
from claims.models import Claim


def etag_of(data) -> str:
    payload = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def _current_etag(request, pk: int) -> str:
    from claims.selectors import get_claim_for_user

    from . import serializers as s

    claim = get_claim_for_user(request.user, pk)
    return etag_of(s.ClaimDetailSerializer(claim, context={"request": request}).data)


@contextmanager
def if_match(request, pk: int):
    header = request.headers.get("If-Match")
    if header is None:
        yield
        return
    wanted = parse_etags(header)
    if not wanted:
        raise DomainError.of("invalid_if_match", "If-Match")
    with transaction.atomic():
        Claim.objects.select_for_update(of=("self",)).filter(pk=pk).first()
        if wanted != ["*"] and _current_etag(request, pk) not in wanted:
            raise DomainError.of("precondition_failed")
        yield
