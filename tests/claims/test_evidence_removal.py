"""Removing a proof of execution file after submission: kept for audit, marked removed,
no longer the claim's PoE; one must remain. Pages and API call the same service."""

import pytest
from rest_framework.test import APIClient

from claims import services
from claims.errors import DomainError
from tests.conftest import pdf


def two_files(build, state="submitted"):
    claim = getattr(build, state)()
    services.evidence_add(claim=claim, actor=build.partner, file=pdf("wrong-file.pdf"))
    return claim, claim.evidence.get(original_name="wrong-file.pdf")


def test_after_submission_a_file_is_marked_removed_with_its_reason_and_kept(build, fabrikam):
    claim, wrong = two_files(build)
    services.evidence_remove(evidence=wrong, actor=fabrikam, reason="Wrong customer's document.")
    wrong.refresh_from_db()
    assert wrong.removed_at is not None and wrong.removed_by == fabrikam and wrong.removal_reason == "Wrong customer's document."
    assert wrong.file.storage.exists(wrong.file.name)  # kept for audit
    event = claim.events.get(action="evidence_removed")
    assert event.details["file"] == "wrong-file.pdf" and event.details["reason"] == "Wrong customer's document."
    assert claim.evidence.filter(removed_at__isnull=True).count() == 1


@pytest.mark.parametrize("state", ["submitted", "par"])
def test_the_last_file_cannot_be_removed(build, fabrikam, state):
    claim, wrong = two_files(build, state)
    services.evidence_remove(evidence=wrong, actor=fabrikam, reason="wrong file")
    with pytest.raises(DomainError) as info:
        services.evidence_remove(evidence=claim.evidence.get(original_name="signed-poe.pdf"), actor=fabrikam, reason="x")
    assert info.value.code == "evidence_required"


def test_a_reason_is_required_and_a_removed_file_cannot_be_removed_twice(build, fabrikam):
    claim, wrong = two_files(build)
    with pytest.raises(DomainError) as info:
        services.evidence_remove(evidence=wrong, actor=fabrikam, reason="  ")
    assert info.value.code == "removal_reason_required"
    services.evidence_remove(evidence=wrong, actor=fabrikam, reason="wrong")
    with pytest.raises(DomainError) as info:
        services.evidence_remove(evidence=wrong, actor=fabrikam, reason="again")
    assert info.value.code == "evidence_already_removed"


def test_under_review_nothing_can_be_removed(build, fabrikam):
    claim = build.under_review()
    with pytest.raises(DomainError) as info:
        services.evidence_remove(evidence=claim.evidence.get(), actor=fabrikam, reason="wrong")
    assert info.value.code == "not_editable"


def test_the_page_asks_for_the_reason_without_javascript_and_the_reviewer_sees_it_removed(client, build, fabrikam, ana):
    claim, wrong = two_files(build)
    client.force_login(fabrikam)
    url = f"/claims/{claim.pk}/evidence/{wrong.pk}/delete/"
    assert "Why do you remove this file?" in client.get(url).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "Wrong customer's document."}, follow=True)
    assert "wrong-file.pdf removed." in response.content.decode()
    assert "<del>wrong-file.pdf</del>" in response.content.decode()
    client.force_login(ana)
    review_page = client.get(f"/review/claims/{claim.pk}/").content.decode()
    assert "<del>wrong-file.pdf</del>" in review_page and "removed by the partner" in review_page
    assert "Wrong customer&#x27;s document." in review_page


def test_api_delete_with_a_reason_and_refusing_the_last_file(build, fabrikam, northwind):
    claim, wrong = two_files(build)
    api = APIClient()
    api.force_authenticate(fabrikam)
    base = f"/api/v1/claims/{claim.pk}/evidence/"
    no_reason = api.delete(f"{base}{wrong.pk}/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["code"] == "removal_reason_required"
    removed = api.delete(f"{base}{wrong.pk}/", {"reason": "wrong file"}, format="json")
    assert removed.status_code == 200 and removed.json()["removed_at"] and removed.json()["removal_reason"] == "wrong file"
    last = claim.evidence.get(original_name="signed-poe.pdf")
    refused = api.delete(f"{base}{last.pk}/", {"reason": "x"}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "evidence_required"
    other = APIClient()
    other.force_authenticate(northwind)
    assert other.delete(f"{base}{last.pk}/", {"reason": "x"}, format="json").status_code == 404


def test_api_delete_in_editing_deletes_the_file(build, fabrikam):
    claim = build.editing()
    api = APIClient()
    api.force_authenticate(fabrikam)
    assert api.delete(f"/api/v1/claims/{claim.pk}/evidence/{claim.evidence.get().pk}/").status_code == 204
    assert not claim.evidence.exists()


def test_a_removed_file_is_a_404_for_every_partner_role_and_still_the_reviewers(build, fabrikam, users, ana, client):
    claim, wrong = two_files(build)
    services.evidence_remove(evidence=wrong, actor=fabrikam, reason="wrong file")
    api_url = f"/api/v1/claims/{claim.pk}/evidence/{wrong.pk}/"
    page_url = f"/claims/{claim.pk}/evidence/{wrong.pk}/"
    for name in ("fabrikam-global", "fabrikam-billing", "fabrikam-incentives"):
        api = APIClient()
        api.force_authenticate(users[name])
        refused = api.get(api_url)
        assert refused.status_code == 404 and refused.json()["errors"][0]["code"] == "not_found"
        client.force_login(users[name])
        assert client.get(page_url).status_code == 404
        assert client.get(f"{page_url}?inline=1").status_code == 404
    kept = claim.evidence.get(original_name="signed-poe.pdf")
    assert client.get(f"/claims/{claim.pk}/evidence/{kept.pk}/").status_code == 200  # the file still there is served
    reviewer = APIClient()
    reviewer.force_authenticate(ana)
    assert reviewer.get(api_url).status_code == 200
    client.force_login(ana)
    assert client.get(page_url).status_code == 200
    assert claim.events.get(action="evidence_removed").details["file"] == "wrong-file.pdf"


def test_a_stale_if_match_removes_nothing(build, fabrikam):
    claim, wrong = two_files(build)
    api = APIClient()
    api.force_authenticate(fabrikam)
    stale = api.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    contact = {"name": "Alex Wilber", "email": "alex.w@fabrikam.example", "phone": ""}
    assert api.patch(f"/api/v1/claims/{claim.pk}/", {"partner_contact": contact}, format="json").status_code == 200
    url = f"/api/v1/claims/{claim.pk}/evidence/{wrong.pk}/"
    refused = api.delete(url, {"reason": "wrong file"}, format="json", HTTP_IF_MATCH=stale)
    assert refused.status_code == 412 and refused.json()["errors"][0]["code"] == "precondition_failed"
    wrong.refresh_from_db()
    assert wrong.removed_at is None and not claim.events.filter(action="evidence_removed").exists()
    fresh = api.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    assert api.delete(url, {"reason": "wrong file"}, format="json", HTTP_IF_MATCH=fresh).status_code == 200


def test_the_partners_api_lists_a_removed_file_without_a_download_link(build, fabrikam, ana):
    claim, wrong = two_files(build)
    api = APIClient()
    api.force_authenticate(fabrikam)
    url = f"/api/v1/claims/{claim.pk}/evidence/{wrong.pk}/"
    removed = api.delete(url, {"reason": "wrong file"}, format="json")
    assert removed.status_code == 200 and removed.json()["removed_at"] and removed.json()["download_url"] is None
    listed = {e["original_name"]: e for e in api.get(f"/api/v1/claims/{claim.pk}/evidence/").json()["results"]}
    detail = {e["original_name"]: e for e in api.get(f"/api/v1/claims/{claim.pk}/").json()["evidence"]}
    for files in (listed, detail):
        assert files["wrong-file.pdf"]["removed_at"] and files["wrong-file.pdf"]["download_url"] is None
        kept = files["signed-poe.pdf"]["download_url"]
        assert kept and api.get(kept).status_code == 200  # every link the partner is given works
    reviewer = APIClient()
    reviewer.force_authenticate(ana)
    assert reviewer.get(url).status_code == 200  # the reviewer still reads it
