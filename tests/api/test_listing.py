"""The API's list rows (claims.api.listing) are exactly what ClaimListSerializer renders."""

import json

from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from claims.api.listing import list_rows, list_values
from claims.api.serializers import ClaimListSerializer
from claims.models import Claim
from claims.selectors import filter_claims
from tests.conftest import claim_data, m365_data


def rendered(data) -> list:
    return json.loads(JSONRenderer().render(data))


def test_list_rows_render_like_the_serializer_for_every_kind_of_claim(build):
    build.editing({"name": "bare draft"}, poe=False)  # no customer, no MPN, no products, no deadline
    build.submitted(claim_data())  # a Dynamics line with its subscription, pickup clock
    build.par(m365_data(products=[{"product": "teams"}, {"product": "intune"}]))
    build.approved(m365_data(name="approved", products=[{"product": "onedrive"}]))
    build.rejected(m365_data(name="rejected", products=[{"product": "exchange_online"}]))
    qs = filter_claims(Claim.objects.all(), sort="name")
    expected = rendered(ClaimListSerializer(qs, many=True).data)
    assert len(expected) == 5
    assert rendered(list_rows(list(list_values(qs)))) == expected
    with timezone.override("America/Sao_Paulo"):  # times follow the active time zone, like DRF's
        expected = rendered(ClaimListSerializer(qs, many=True).data)
        assert rendered(list_rows(list(list_values(qs)))) == expected
        assert expected[0]["created_at"].endswith("-03:00")
