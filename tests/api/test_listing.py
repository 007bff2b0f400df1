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


def test_prepared_pages_hold_the_same_rows_as_the_orm_for_every_status_and_sort(build, fabrikam, ana):
    """claims.prepared runs a list shape compiled once with each call's values: for every
    status and sort, for a partner and a reviewer, the page is what filter_claims reads."""
    from claims.api.listing import prepared_claims
    from claims.api.views import ORDERINGS
    from claims.choices import ClaimState
    from claims.selectors import visible_claims

    build.editing({"name": "bare draft"}, poe=False)
    build.submitted(claim_data())
    build.par(m365_data(products=[{"product": "teams"}, {"product": "intune"}]))
    build.approved(m365_data(name="approved", products=[{"product": "onedrive"}]))
    build.rejected(m365_data(name="rejected", products=[{"product": "exchange_online"}]))
    for user in (fabrikam, ana):
        for state in (None, *ClaimState.values):
            for sort in ORDERINGS:
                qs = filter_claims(visible_claims(user), state=state, sort=sort)
                page = prepared_claims(user, state=state, sort=sort)
                assert page.count() == qs.count(), (user, state, sort)
                for start, stop in ((0, 2), (1, 4), (0, 50)):
                    want = rendered(list_rows(list(list_values(qs)[start:stop])))
                    assert rendered(list_rows(page[start:stop])) == want, (user, state, sort, start)


def test_a_prepared_shape_runs_each_calls_values_not_the_first_ones(build, fabrikam, northwind):
    """Another company's page is its own: the compiled SQL takes the caller's company."""
    from claims.api.listing import prepared_claims

    mine = build.submitted(claim_data())
    assert northwind.company_id != fabrikam.company_id
    first = prepared_claims(fabrikam, state=None, sort="-created")
    assert first.count() == 1 and [r["id"] for r in first[0:10]] == [mine.pk]
    other = prepared_claims(northwind, state=None, sort="-created")
    assert other.count() == 0 and other[0:10] == []
    assert prepared_claims(fabrikam, state="submitted", sort="name").count() == 1
    assert prepared_claims(northwind, state="submitted", sort="name").count() == 0
