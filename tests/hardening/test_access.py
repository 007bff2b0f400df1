"""Issue 9, items 6, 7, 8: access is checked before input, not_editable is a 409, and a
user without a claims role is told which role to ask for (403) on their own company's
claims, while another company's claim stays a 404."""

import pytest
from django.test import Client

from claims.models import Claim
from tests.api.test_api import API, client_for, codes
from tests.conftest import Builder, m365_data


@pytest.fixture
def fab(fabrikam):
    return client_for(fabrikam)


@pytest.fixture
def viewer(fabrikam_viewer):
    return client_for(fabrikam_viewer)


@pytest.mark.parametrize("action", ["start-review", "request-info", "approve", "reject"])
@pytest.mark.parametrize("body", [None, {}, {"reasons": "x", "reason": 5}, "{not json", "[" * 50 + "]" * 50])
def test_a_partner_on_a_reviewer_action_gets_403_whatever_the_body(fab, build, action, body):
    claim = build.submitted()
    url = f"{API}/claims/{claim.pk}/{action}/"
    if isinstance(body, str):
        response = fab.generic("POST", url, body, content_type="application/json")
    else:
        response = fab.post(url, body, format="json")
    assert response.status_code == 403 and codes(response) == ["reviewer_only"]
    keyed = fab.generic("POST", url, "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"k-{action}")
    assert keyed.status_code == 403 and codes(keyed) == ["reviewer_only"]


def test_a_reviewer_on_a_partner_action_gets_403_whatever_the_body(ana, build):
    rev = client_for(ana)
    claim = build.par()
    for action in ("respond", "withdraw"):
        response = rev.generic("POST", f"{API}/claims/{claim.pk}/{action}/", "{bad", content_type="application/json")
        assert response.status_code == 403 and codes(response) == ["permission_denied"], action


def test_another_company_still_gets_404_before_any_input_check(northwind, build):
    nw = client_for(northwind)
    claim = build.submitted()
    response = nw.generic("POST", f"{API}/claims/{claim.pk}/withdraw/", "{bad", content_type="application/json")
    assert response.status_code == 404 and codes(response) == ["not_found"]


def test_not_editable_is_a_409_in_every_closed_state(fab, build):
    for claim in (build.approved(), build.rejected(m365_data()), build.under_review(m365_data(name="Teams 2"))):
        response = fab.patch(f"{API}/claims/{claim.pk}/", {"name": "Renamed"}, format="json")
        assert response.status_code == 409 and codes(response) == ["not_editable"], claim.state


def test_the_viewer_gets_403_on_own_company_claims_and_404_on_others(viewer, build, northwind, ana):
    own = build.submitted()
    other = Builder(northwind, ana).submitted(m365_data(mpn_id="5678901"))
    for suffix, method, body in [
        ("", "get", None), ("", "patch", {"name": "x"}), ("", "delete", None), ("evidence/", "get", None),
        (f"evidence/{own.evidence.first().pk}/", "get", None), ("submit/", "post", None), ("withdraw/", "post", {}),
        ("comments/", "get", None), ("comments/", "post", {"body": "hi"}), ("history/", "get", None),
        ("approve/", "post", {}), ("competing/", "get", None),
    ]:  # fmt: skip
        mine = getattr(viewer, method)(f"{API}/claims/{own.pk}/{suffix}", body, format="json")
        assert mine.status_code == 403 and codes(mine) == ["permission_denied"], suffix
        assert "Global admin" in mine.json()["errors"][0]["message"]
        theirs = getattr(viewer, method)(f"{API}/claims/{other.pk}/{suffix}", body, format="json")
        assert theirs.status_code == 404 and codes(theirs) == ["not_found"], suffix
        missing = getattr(viewer, method)(f"{API}/claims/999999/{suffix}", body, format="json")
        assert missing.status_code == 404, suffix
    assert Claim.objects.get(pk=own.pk).state == "submitted"


def test_the_viewer_sees_the_ask_for_a_role_page_on_own_claims_and_404_on_others(fabrikam_viewer, build, northwind, ana):
    page = Client()
    page.force_login(fabrikam_viewer)
    own = build.submitted()
    other = Builder(northwind, ana).submitted(m365_data(mpn_id="5678901"))
    evidence = own.evidence.first().pk
    for suffix, method in [
        ("", "get"), ("edit/", "get"), ("withdraw/", "get"), ("dispute/", "get"), ("submit/", "post"),
        ("comments/", "post"), (f"evidence/{evidence}/", "get"),
    ]:  # fmt: skip
        mine = getattr(page, method)(f"/claims/{own.pk}/{suffix}")
        assert mine.status_code == 403 and b"You need a claims role" in mine.content, suffix
        assert getattr(page, method)(f"/claims/{other.pk}/{suffix}").status_code == 404, suffix
    assert page.get("/claims/").status_code == 403
