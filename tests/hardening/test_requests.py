"""Issue 9, items 1, 2, 4, 5: no input gives a 500, and under /api/ every refusal is the
JSON envelope {"errors": [{"code", "field", "message"}]} with a JSON content type."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from claims.models import Claim
from tests.api.test_api import API, client_for, codes
from tests.conftest import claim_data, pdf


@pytest.fixture
def fab(fabrikam):
    client = client_for(fabrikam)
    client.raise_request_exception = False
    return client


@pytest.fixture
def page(fabrikam):
    client = Client(raise_request_exception=False)
    client.force_login(fabrikam)
    return client


def envelope(response, status: int, code: str | None = None) -> list[dict]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    errors = response.json()["errors"]
    assert errors and all(set(e) == {"code", "field", "message"} and e["message"] for e in errors)
    if code is not None:
        assert errors[0]["code"] == code, errors
    return errors


# 1. NUL bytes
@pytest.mark.parametrize(
    "url",
    [f"{API}/claims/?search=%00", f"{API}/claims/?status=%00", f"{API}/claims/?a%00b=1", f"{API}/review/queue/?show=%00"],
)
def test_nul_in_an_api_query_is_a_400(fab, url):
    envelope(fab.get(url), 400, "null_characters_not_allowed")


def test_nul_in_an_api_json_field_key_or_header_is_a_400(fab, build):
    for body in (claim_data(name="a\x00b"), {"name\x00": "x"}, claim_data(products=[{"product": "d365\x00"}])):
        envelope(fab.post(f"{API}/claims/", body, format="json"), 400, "null_characters_not_allowed")
    envelope(fab.post(f"{API}/claims/", claim_data(), format="json", HTTP_IDEMPOTENCY_KEY="k\x00"), 400)
    claim = build.editing(poe=False)
    upload = fab.post(f"{API}/claims/{claim.pk}/evidence/", {"file": SimpleUploadedFile("poe.pdf", pdf().read()), "note": "\x00"})
    envelope(upload, 400, "null_characters_not_allowed")
    envelope(fab.patch(f"{API}/claims/{claim.pk}/", {"name": "\x00"}, format="json"), 400, "null_characters_not_allowed")
    assert not claim.evidence.exists() and Claim.objects.get(pk=claim.pk).name == claim.name


def test_nul_in_a_page_query_form_or_export_is_a_400_page(page, build, client, db):
    build.editing()
    for url in ("/claims/?q=%00", "/claims/export.csv?q=%00", "/claims/?sort=%00&status=%00", "/review/?show=%00"):
        response = page.get(url)
        assert response.status_code == 400 and not response.streaming, url
        assert b"Null characters are not allowed" in response.content
    created = page.post("/claims/new/", {**claim_data(name="x\x00y")})
    assert created.status_code == 400 and Claim.objects.count() == 1
    login = client.post("/accounts/login/", {"username": "fabrikam-global\x00", "password": "demo-password"})
    assert login.status_code == 400


# 2. Deep JSON; OPTIONS on the docs
@pytest.mark.parametrize("depth", [33, 5000, 100_000])
def test_deeply_nested_json_is_a_400(fab, depth):
    body = "[" * depth + "]" * depth
    response = fab.generic("POST", f"{API}/claims/", body, content_type="application/json")
    errors = envelope(response, 400, "json_too_deep")
    assert "32" in errors[0]["message"]


def test_json_at_the_depth_limit_is_parsed(fab):
    nested = "x"
    for _ in range(30):
        nested = [nested]
    response = fab.post(f"{API}/claims/", claim_data(products=nested), format="json")
    assert response.status_code == 400 and "json_too_deep" not in codes(response)


def test_options_and_post_on_the_docs_are_json_refusals(client, db):
    envelope(client.options("/api/docs/"), 405, "method_not_allowed")
    envelope(client.post("/api/docs/"), 405, "method_not_allowed")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"<script>" not in docs.content and b"<style>" not in docs.content
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


# 4. The envelope for everything under /api/
@pytest.mark.parametrize(
    "url", [f"{API}/nothing-here/", f"{API}/claims/abc/", f"{API}/claims/1.5/submit/", "/api/v2/claims/", "/api/"]
)
def test_unmatched_api_urls_are_json_404s(fab, url):
    envelope(fab.get(url), 404, "unknown_url")
    envelope(fab.post(url, {}, format="json"), 404, "unknown_url")


def test_a_huge_id_is_a_404(fab):
    envelope(fab.get(f"{API}/claims/99999999999999999999999/"), 404, "not_found")


def test_method_not_allowed_is_a_json_405(fab):
    envelope(fab.put(f"{API}/claims/", {}, format="json"), 405, "method_not_allowed")
    envelope(fab.delete(f"{API}/catalog/"), 405, "method_not_allowed")


def test_a_body_too_large_is_a_413(fab, build, settings):
    big = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    envelope(fab.generic("POST", f"{API}/claims/", big, content_type="application/json"), 413, "request_too_large")
    settings.CPOR_EVIDENCE_MAX_BYTES = 1000
    claim = build.editing(poe=False)
    response = fab.post(f"{API}/claims/{claim.pk}/evidence/", {"file": SimpleUploadedFile("poe.pdf", pdf().read() + b" " * 2000)})
    envelope(response, 413, "evidence_too_large")
    settings.CPOR_REQUEST_MAX_BYTES = 1500
    response = fab.post(f"{API}/claims/{claim.pk}/evidence/", {"file": SimpleUploadedFile("poe.pdf", pdf().read() + b" " * 2000)})
    envelope(response, 413, "request_too_large")
    assert not claim.evidence.exists()


def test_an_address_too_long_is_a_414(fab, page):
    envelope(fab.get(f"{API}/claims/?search=" + "x" * 5000), 414, "uri_too_long")
    assert page.get("/claims/?q=" + "x" * 5000).status_code == 414


def test_a_crash_under_api_is_a_json_500_and_a_page_crash_is_html(client, db, settings):
    settings.ROOT_URLCONF = "tests.hardening.crash_urls"
    client.raise_request_exception = False
    envelope(client.get(f"{API}/boom/"), 500, "server_error")
    crashed = client.get("/boom/")
    assert crashed.status_code == 500 and crashed["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "query, status, code, field",
    [
        ("status=bogus", 400, "invalid_status", "status"),
        ("status=", 400, "invalid_status", "status"),
        ("ordering=password", 400, "invalid_ordering", "ordering"),
        ("page_size=abc", 400, "invalid_page_size", "page_size"),
        ("page_size=0", 400, "invalid_page_size", "page_size"),
        ("page_size=101", 400, "invalid_page_size", "page_size"),
        ("page=0", 400, "invalid_page", "page"),
        ("page=abc", 400, "invalid_page", "page"),
        ("page=99", 404, "page_not_found", "page"),
    ],
)
def test_list_parameters_are_validated_never_ignored(fab, build, query, status, code, field):
    build.editing()
    errors = envelope(fab.get(f"{API}/claims/?{query}"), status, code)
    assert errors[0]["field"] == field


def test_valid_list_parameters_still_work(fab, build):
    build.editing()
    response = fab.get(f"{API}/claims/?status=editing&ordering=-name&page=1&page_size=100")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert fab.get(f"{API}/claims/?status=approved").json()["count"] == 0


@pytest.mark.parametrize("query", ["show=bogus", "area=everything", "page_size=1000", "page=-1"])
def test_review_queue_parameters_are_validated(rev_client, query):
    envelope(rev_client.get(f"{API}/review/queue/?{query}"), 400)


@pytest.fixture
def rev_client(ana):
    client = client_for(ana)
    client.raise_request_exception = False
    return client


# 5. Writes without the trailing slash are served, never redirected
def test_api_writes_without_the_trailing_slash_are_served(fab, build):
    created = fab.post(f"{API}/claims", claim_data(), format="json")
    assert created.status_code == 201 and Claim.objects.count() == 1
    pk = created.json()["id"]
    patched = fab.patch(f"{API}/claims/{pk}", {"name": "Renamed"}, format="json")
    assert patched.status_code == 200 and Claim.objects.get(pk=pk).name == "Renamed"
    assert fab.get(f"{API}/claims").status_code == 200
    assert fab.delete(f"{API}/claims/{pk}").status_code == 204 and not Claim.objects.exists()
    envelope(fab.post(f"{API}/claims/{pk}/nothing", {}, format="json"), 404, "unknown_url")


def test_page_writes_without_the_trailing_slash_are_served(page, build):
    claim = build.editing()
    response = page.post(f"/claims/{claim.pk}/submit")
    assert response.status_code == 302 and response["Location"] == f"/claims/{claim.pk}/"
    assert Claim.objects.get(pk=claim.pk).state == "submitted"
    # Reads keep Django's canonical redirect.
    assert page.get(f"/claims/{claim.pk}").status_code == 301


def test_a_broken_multipart_body_is_a_400(fab, build):
    claim = build.editing(poe=False)
    body = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF'  # never closed
    response = fab.generic("POST", f"{API}/claims/{claim.pk}/evidence/", body, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 400
    bad = fab.generic("POST", f"{API}/claims/{claim.pk}/evidence/", b"abc", content_type="multipart/form-data")
    envelope(bad, 400, "bad_request")
