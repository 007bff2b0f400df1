"""Issue 9, items 16 and 17: every list is one page envelope, a 201 carries Location, and
claim edits are optimistic: ETag on every claim response, If-Match honoured (412)."""

import threading

import pytest
from django.db import connection

from claims.models import Claim
from tests.api.test_api import API, client_for, codes, upload
from tests.conftest import claim_data


@pytest.fixture
def fab(fabrikam):
    return client_for(fabrikam)


def test_every_list_is_the_same_page_envelope(fab, build, ana):
    claim = build.submitted()
    fab.post(f"{API}/claims/{claim.pk}/comments/", {"body": "hello"}, format="json")
    rev = client_for(ana)
    for url, client in [
        (f"{API}/claims/", fab), (f"{API}/claims/{claim.pk}/evidence/", fab), (f"{API}/claims/{claim.pk}/comments/", fab),
        (f"{API}/claims/{claim.pk}/history/", fab), (f"{API}/mpns/", fab), (f"{API}/catalog/", fab),
        (f"{API}/associations/", fab), (f"{API}/review/queue/", rev),
    ]:  # fmt: skip
        body = client.get(url).json()
        assert set(body) == {"count", "next", "previous", "results"}, url
        assert body["count"] == len(body["results"]) >= (0 if "associations" in url else 1), url
    first = fab.get(f"{API}/claims/{claim.pk}/history/?page_size=1").json()
    assert first["count"] >= 2 and len(first["results"]) == 1 and "page=2" in first["next"]


def test_a_201_carries_the_location_of_what_it_created(fab, build):
    created = fab.post(f"{API}/claims/", claim_data(), format="json")
    assert created["Location"] == f"http://testserver{API}/claims/{created.json()['id']}/"
    assert fab.get(created["Location"]).json()["id"] == created.json()["id"]
    evidence = upload(fab, created.json()["id"])
    assert evidence.status_code == 201 and evidence["Location"].endswith(evidence.json()["download_url"])
    comment = fab.post(f"{API}/claims/{created.json()['id']}/comments/", {"body": "hi"}, format="json")
    assert comment.status_code == 201 and fab.get(comment["Location"]).json() == comment.json()


def test_claim_responses_carry_an_etag_that_changes_with_the_claim(fab, build):
    claim = build.editing()
    first = fab.get(f"{API}/claims/{claim.pk}/")
    assert first["ETag"].startswith('"') and fab.get(f"{API}/claims/{claim.pk}/")["ETag"] == first["ETag"]
    patched = fab.patch(f"{API}/claims/{claim.pk}/", {"name": "Renamed"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert patched.status_code == 200 and patched["ETag"] != first["ETag"]
    assert fab.get(f"{API}/claims/{claim.pk}/")["ETag"] == patched["ETag"]


def test_a_stale_if_match_is_a_412_and_changes_nothing(fab, build):
    claim = build.editing()
    stale = fab.get(f"{API}/claims/{claim.pk}/")["ETag"]
    assert fab.patch(f"{API}/claims/{claim.pk}/", {"name": "First"}, format="json", HTTP_IF_MATCH=stale).status_code == 200
    second = fab.patch(f"{API}/claims/{claim.pk}/", {"name": "Second"}, format="json", HTTP_IF_MATCH=stale)
    assert second.status_code == 412 and codes(second) == ["precondition_failed"]
    assert Claim.objects.get(pk=claim.pk).name == "First"
    submit = fab.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IF_MATCH=stale)
    assert submit.status_code == 412 and Claim.objects.get(pk=claim.pk).state == "editing"
    assert fab.delete(f"{API}/claims/{claim.pk}/", HTTP_IF_MATCH=stale).status_code == 412
    malformed = fab.patch(f"{API}/claims/{claim.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH="")
    assert malformed.status_code == 400 and codes(malformed) == ["invalid_if_match"]
    assert upload(fab, claim.pk).status_code == 201  # no If-Match: runs as before
    fresh = fab.get(f"{API}/claims/{claim.pk}/")["ETag"]
    assert fab.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IF_MATCH=fresh).status_code == 200
    assert (
        fab.post(f"{API}/claims/{claim.pk}/withdraw/", {"reason": "wrong_mpn"}, format="json", HTTP_IF_MATCH="*").status_code
        == 200
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_stale_patches_sent_at_once_cannot_both_succeed(fabrikam, ana):
    from tests.conftest import Builder

    claim = Builder(fabrikam, ana).editing()
    clients = [client_for(fabrikam), client_for(fabrikam)]
    tag = clients[0].get(f"{API}/claims/{claim.pk}/")["ETag"]
    for round_ in range(10):
        barrier = threading.Barrier(2)
        statuses = []

        def patch(name, client, tag=tag, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(
                client.patch(f"{API}/claims/{claim.pk}/", {"name": name}, format="json", HTTP_IF_MATCH=tag).status_code
            )
            connection.close()

        threads = [threading.Thread(target=patch, args=(f"Name {round_}-{i}", clients[i])) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 412], (round_, statuses)
        tag = clients[0].get(f"{API}/claims/{claim.pk}/")["ETag"]
