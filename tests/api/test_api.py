"""The REST API: every endpoint, its errors, company isolation, roles, idempotency."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims.models import Association, Claim, IdempotencyKey
from tests.conftest import SUB_SALES, Builder, another_customer, claim_data, m365_data, pdf

API = "/api/v1"


def client_for(user) -> APIClient:
    client = APIClient()
    token = client.post(f"{API}/auth/token/", {"username": user.username, "password": "demo-password"}, format="json")
    assert token.status_code == 200, token.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


@pytest.fixture
def fab(fabrikam):
    return client_for(fabrikam)


@pytest.fixture
def nw(northwind):
    return client_for(northwind)


@pytest.fixture
def rev(ana):
    return client_for(ana)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def upload(client, pk, name="poe.pdf", content=None):
    content = content if content is not None else pdf().read()
    return client.post(f"{API}/claims/{pk}/evidence/", {"file": SimpleUploadedFile(name, content)}, format="multipart")


def test_token_then_create_upload_submit(fab):
    created = fab.post(f"{API}/claims/", claim_data(), format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "editing" and body["products"][0]["subscription_id"] == SUB_SALES
    assert set(body["available_actions"]) >= {"edit", "submit", "upload_evidence", "delete"}
    refused = fab.post(f"{API}/claims/{body['id']}/submit/")
    assert refused.status_code == 400 and codes(refused) == ["evidence_required"]
    assert upload(fab, body["id"]).status_code == 201
    submitted = fab.post(f"{API}/claims/{body['id']}/submit/")
    assert submitted.status_code == 200
    detail = submitted.json()
    assert detail["status"] == "submitted" and detail["deadline"]["kind"] == "review_pickup"
    assert detail["deadline"]["due_at"].endswith("Z") and detail["submitted_at"].endswith("Z")


def test_wrong_credentials_and_no_token(db, directory):
    client = APIClient()
    bad = client.post(f"{API}/auth/token/", {"username": "fabrikam-global", "password": "nope"}, format="json")
    assert bad.status_code == 400 and codes(bad) == ["invalid_credentials"]
    anonymous = client.get(f"{API}/claims/")
    assert anonymous.status_code == 401 and codes(anonymous) == ["not_authenticated"]
    assert anonymous["WWW-Authenticate"].startswith("Token")


def test_the_token_endpoint_is_throttled(db, directory, settings):
    from django.core.cache import cache

    settings.AXES_FAILURE_LIMIT = 1000  # the throttle, not the sign-in lockout (tests/hardening)
    cache.clear()
    client = APIClient()
    statuses = [
        client.post(f"{API}/auth/token/", {"username": "x", "password": "y"}, format="json").status_code for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    cache.clear()


@pytest.mark.parametrize(
    "data, code, field",
    [
        ({"customer_tenant_id": "0b0b0b0b-0000-4000-8000-000000000000"}, "unknown_tenant", "customer_tenant_id"),
        ({"customer_domain": "litware"}, "domain_tenant_mismatch", "customer_domain"),
        (
            {"products": [{"product": "d365_sales", "subscription_id": "33333333-3333-4333-8333-333333333333"}]},
            "subscription_is_csp",
            "products[0].subscription_id",
        ),
        (
            {"products": [{"product": "d365_sales", "subscription_id": "nope"}]},
            "invalid_subscription_id",
            "products[0].subscription_id",
        ),
        (
            {"activity": "presales", "solution_area": "microsoft_365", "products": [{"product": "teams"}]},
            "activity_not_in_solution_area",
            "activity",
        ),
        ({"mpn_id": "5678901"}, "mpn_not_in_company", "mpn_id"),
        ({"solution_area": "everything"}, "invalid_choice", "solution_area"),
        ({"products": "teams"}, "not_a_list", "products"),
    ],
)
def test_validation_errors_have_codes_and_fields(fab, data, code, field):
    response = fab.post(f"{API}/claims/", claim_data(**data), format="json")
    assert response.status_code == 400
    assert {"code": code, "field": field} in [{"code": e["code"], "field": e["field"]} for e in response.json()["errors"]]
    assert Claim.objects.count() == 0


def test_malformed_json_is_a_400_parse_error(fab):
    response = fab.generic("POST", f"{API}/claims/", "{not json", content_type="application/json")
    assert response.status_code == 400 and codes(response) == ["parse_error"]


def test_list_is_own_company_with_filters_search_ordering_and_pagination(fab, build, northwind, ana):
    for i in range(3):
        build.editing(m365_data(name=f"draft {i}"), poe=False)
    build.submitted()
    Builder(northwind, ana).editing(m365_data(name="Northwind secret", mpn_id="5678901"))
    page = fab.get(f"{API}/claims/", {"page_size": 2, "ordering": "name"}).json()
    assert page["count"] == 4 and [c["name"] for c in page["results"]] == ["Contoso Sales adoption", "draft 0"]
    assert page["next"] is not None
    assert [c["name"] for c in fab.get(f"{API}/claims/", {"status": "submitted"}).json()["results"]] == ["Contoso Sales adoption"]
    assert [c["name"] for c in fab.get(f"{API}/claims/", {"search": SUB_SALES}).json()["results"]] == ["Contoso Sales adoption"]
    assert [c["name"] for c in fab.get(f"{API}/claims/", {"ordering": "-name"}).json()["results"]][0] == "draft 2"


def test_list_query_count_is_flat(fab, build, django_assert_num_queries):
    build.editing(m365_data(name="first"), poe=False)
    with CaptureQueriesContext(connection) as few:
        fab.get(f"{API}/claims/")
    for i in range(20):
        build.editing(m365_data(name=f"x{i}", products=[{"product": "teams"}, {"product": "intune"}]), poe=False)
    with django_assert_num_queries(len(few)):
        assert fab.get(f"{API}/claims/").json()["count"] == 21


def test_northwind_gets_404_on_every_fabrikam_url(nw, build, ana):
    claims = [build.editing(m365_data(name="e")), build.par(m365_data(name="p", products=[{"product": "intune"}])),
              build.approved(m365_data(name="a", products=[{"product": "onedrive"}])), build.rejected()]  # fmt: skip
    for claim in claims:
        base = f"{API}/claims/{claim.pk}"
        evidence = claim.evidence.first().pk
        for url in [
            f"{base}/",
            f"{base}/evidence/",
            f"{base}/evidence/{evidence}/",
            f"{base}/comments/",
            f"{base}/history/",
            f"{base}/competing/",
        ]:
            response = nw.get(url)
            assert response.status_code == 404 and codes(response) == ["not_found"], url
        assert nw.patch(f"{base}/", {"mpn_id": "5678901"}, format="json").status_code == 404
        assert nw.delete(f"{base}/").status_code == 404
        for action in [
            "submit",
            "respond",
            "withdraw",
            "dispute",
            "comments",
            "start-review",
            "request-info",
            "approve",
            "reject",
        ]:
            response = nw.post(
                f"{base}/{action}/", {"message": "x", "reason": "wrong_mpn", "body": "x", "justification": "x"}, format="json"
            )
            assert response.status_code == 404, (action, response.status_code)
        assert upload(nw, claim.pk).status_code == 404
    for claim in claims:
        fresh = Claim.objects.get(pk=claim.pk)
        assert fresh.state == claim.state and not fresh.comments.filter(body="x").exists()


def test_roles_partner_cannot_review_reviewer_cannot_file_viewer_nothing(fab, rev, build, fabrikam_viewer):
    claim = build.submitted()
    for action in ["start-review", "approve", "reject", "request-info"]:
        response = fab.post(
            f"{API}/claims/{claim.pk}/{action}/",
            {"reason": "insufficient_poe", "message": "m", "reasons": ["missing_poe"]},
            format="json",
        )
        assert response.status_code == 403 and codes(response) == ["reviewer_only"], action
    assert fab.get(f"{API}/claims/{claim.pk}/competing/").status_code == 403
    assert fab.get(f"{API}/review/queue/").status_code == 403
    assert rev.post(f"{API}/claims/", claim_data(), format="json").status_code == 403
    assert rev.post(f"{API}/claims/{claim.pk}/withdraw/", {"reason": "wrong_mpn"}, format="json").status_code == 403
    viewer = client_for(fabrikam_viewer)
    for call in (lambda: viewer.get(f"{API}/claims/"), lambda: viewer.post(f"{API}/claims/", claim_data(), format="json"),
                 lambda: viewer.get(f"{API}/mpns/"), lambda: viewer.get(f"{API}/associations/")):  # fmt: skip
        response = call()
        assert response.status_code == 403 and codes(response) == ["permission_denied"]


@pytest.mark.parametrize(
    "state, field, value",
    [
        ("submitted", "name", "Renamed"),
        ("submitted", "customer_domain", "contoso"),
        ("par", "activity", "presales"),
        ("par", "customer_tenant_id", "2f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"),
    ],
)
def test_patch_of_a_locked_field_is_refused_per_state(fab, build, state, field, value):
    claim = getattr(build, state)()
    response = fab.patch(f"{API}/claims/{claim.pk}/", {field: value}, format="json")
    assert response.status_code == 409 and response.json()["errors"][0] == {
        "code": "not_editable",
        "field": field,
        "message": response.json()["errors"][0]["message"],
    }


def test_patch_in_review_is_refused_and_limited_patch_works(fab, build):
    claim = build.submitted()
    ok = fab.patch(
        f"{API}/claims/{claim.pk}/",
        {"mpn_id": "4567891", "partner_contact": {"name": "Lee", "email": "lee@fabrikam.example"}},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["mpn_id"] == "4567891" and ok.json()["partner_contact"]["name"] == "Lee"
    reviewing = build.under_review(m365_data())
    refused = fab.patch(f"{API}/claims/{reviewing.pk}/", {"mpn_id": "4567891"}, format="json")
    assert refused.status_code == 409 and codes(refused) == ["not_editable"]


def test_delete_only_in_editing(fab, build):
    draft = build.editing(m365_data())
    assert fab.delete(f"{API}/claims/{draft.pk}/").status_code == 204
    submitted = build.submitted()
    response = fab.delete(f"{API}/claims/{submitted.pk}/")
    assert response.status_code == 409 and codes(response) == ["invalid_transition"]


def test_transition_not_allowed_is_409(fab, build):
    claim = build.editing()
    response = fab.post(f"{API}/claims/{claim.pk}/respond/", {"message": "hi"}, format="json")
    assert response.status_code == 409 and codes(response) == ["invalid_transition"]


def test_evidence_list_download_and_refusals(fab, build):
    claim = build.editing(poe=False)
    refused = upload(fab, claim.pk, "notes.txt", b"text")
    assert refused.status_code == 400 and codes(refused) == ["evidence_type_not_allowed"]
    missing = fab.post(f"{API}/claims/{claim.pk}/evidence/", {}, format="multipart")
    assert missing.status_code == 400 and codes(missing) == ["required"]
    wrong_type = fab.post(f"{API}/claims/{claim.pk}/evidence/", {"file": "x"}, format="json")
    assert wrong_type.status_code == 415 and codes(wrong_type) == ["unsupported_media_type"]
    item = upload(fab, claim.pk).json()
    assert fab.get(f"{API}/claims/{claim.pk}/evidence/").json()["results"][0]["id"] == item["id"]
    download = fab.get(item["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_par_answer_withdraw_dispute_comments_history(fab, rev, build):
    claim = build.under_review()
    asked = rev.post(f"{API}/claims/{claim.pk}/request-info/", {"reasons": ["missing_poe"], "message": "Sign it."}, format="json")
    assert asked.status_code == 200 and asked.json()["status"] == "partner_action_required"
    assert "respond" in fab.get(f"{API}/claims/{claim.pk}/").json()["available_actions"]
    answered = fab.post(f"{API}/claims/{claim.pk}/respond/", {"message": "Signed."}, format="json")
    assert answered.json()["status"] == "under_review"
    rejected = rev.post(f"{API}/claims/{claim.pk}/reject/", {"reason": "insufficient_poe", "message": "Still no."}, format="json")
    assert rejected.json()["status"] == "rejected" and rejected.json()["deadline"]["kind"] == "dispute_window"
    assert "dispute" in fab.get(f"{API}/claims/{claim.pk}/").json()["available_actions"]
    disputed = fab.post(f"{API}/claims/{claim.pk}/dispute/", {"justification": "Page 2 is signed."}, format="json")
    assert disputed.json()["status"] == "under_review" and disputed.json()["is_dispute"]
    assert fab.post(f"{API}/claims/{claim.pk}/comments/", {"body": "Thanks"}, format="json").status_code == 201
    kinds = [c["kind"] for c in fab.get(f"{API}/claims/{claim.pk}/comments/").json()["results"]]
    assert kinds == ["info_request", "answer", "decision", "dispute", "comment"]
    actions = [e["action"] for e in fab.get(f"{API}/claims/{claim.pk}/history/").json()["results"]]
    assert actions[-4:] == ["responded", "rejected", "disputed", "commented"]
    other = build.submitted(m365_data())
    withdrawn = fab.post(f"{API}/claims/{other.pk}/withdraw/", {"reason": "wrong_activity", "message": ""}, format="json")
    assert withdrawn.json()["status"] == "rejected" and withdrawn.json()["rejection_reason"] == "partner_request"
    bad = fab.post(f"{API}/claims/{other.pk}/withdraw/", {"reason": "bored"}, format="json")
    assert bad.status_code == 400 and codes(bad) == ["invalid_choice"]


def test_dispute_window_closed_and_not_disputable(fab, build):
    from datetime import UTC, datetime

    import time_machine

    with time_machine.travel(datetime(2026, 9, 1, tzinfo=UTC), tick=False):
        old = build.rejected(m365_data())
    closed = fab.post(f"{API}/claims/{old.pk}/dispute/", {"justification": "late"}, format="json")
    assert closed.status_code == 400 and codes(closed) == ["dispute_window_closed"]
    withdrawn = build.submitted()
    fab.post(f"{API}/claims/{withdrawn.pk}/withdraw/", {"reason": "wrong_mpn"}, format="json")
    refused = fab.post(f"{API}/claims/{withdrawn.pk}/dispute/", {"justification": "x"}, format="json")
    assert refused.status_code == 400 and codes(refused) == ["not_disputable"]


def test_reviewer_queue_start_approve_and_competing(rev, build, northwind, ana):
    held = Builder(northwind, ana).approved(
        claim_data(
            mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": "77777777-7777-4777-8777-777777777777"}]
        )
    )
    claim = build.submitted()
    queue = rev.get(f"{API}/review/queue/", {"show": "competing"}).json()
    assert [c["id"] for c in queue["results"]] == [claim.pk]
    competing = rev.get(f"{API}/claims/{claim.pk}/competing/").json()
    assert competing["associations"][0]["claim"] == held.pk
    assert rev.post(f"{API}/claims/{claim.pk}/start-review/").json()["status"] == "under_review"
    refused = rev.post(f"{API}/claims/{claim.pk}/approve/", {}, format="json")
    assert refused.status_code == 409 and codes(refused) == ["rationale_required"]
    approved = rev.post(f"{API}/claims/{claim.pk}/approve/", {"rationale": "Better PoE."}, format="json")
    assert approved.json()["status"] == "approved"
    assert Association.objects.get(claim=held).end_reason == "arbitration"
    system_reason = rev.post(f"{API}/claims/{claim.pk}/reject/", {"reason": "customer_denial", "message": "x"}, format="json")
    assert system_reason.status_code == 400 and codes(system_reason) == ["invalid_choice"]


def test_associations_mpns_catalog(fab, build):
    build.approved(m365_data())
    associations = fab.get(f"{API}/associations/").json()["results"]
    assert [(a["customer"], a["product"]) for a in associations] == [("Contoso", "teams")]
    assert fab.get(f"{API}/mpns/").json()["results"] == [
        {"mpn_id": "4567890", "incentive_enrolled": True, "program_name": "Business Applications incentives"},
        {"mpn_id": "4567891", "incentive_enrolled": False, "program_name": ""},
    ]
    catalog = {a["code"]: a for a in fab.get(f"{API}/catalog/").json()["results"]}
    assert [a["code"] for a in catalog["microsoft_365"]["activities"]] == ["usage"]
    assert {"code": "d365_sales", "name": "Dynamics 365 Sales", "needs_subscription": True} in catalog["business_applications"][
        "products"
    ]


def test_idempotent_create_returns_the_first_result(fab):
    first = fab.post(f"{API}/claims/", claim_data(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = fab.post(f"{API}/claims/", claim_data(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    # The replay carries the first answer's headers too: where the claim is, and its version.
    assert again["Location"] == first["Location"] and again["ETag"] == first["ETag"]
    assert Claim.objects.count() == 1
    other = fab.post(f"{API}/claims/", m365_data(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 400 and codes(other) == ["idempotency_key_reused"]


def test_idempotent_transition_retry_is_not_a_409(fab, build):
    claim = build.editing()
    first = fab.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="submit-1")
    retry = fab.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="submit-1")
    assert first.status_code == retry.status_code == 200 and retry.json()["status"] == "submitted"
    assert claim.events.filter(action="submitted").count() == 1
    assert fab.post(f"{API}/claims/{claim.pk}/submit/").status_code == 409  # without the key it is a new request


def test_keys_belong_to_their_user(fab, build, fabrikam_incentives):
    fab.post(f"{API}/claims/", claim_data(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    mine = client_for(fabrikam_incentives).post(f"{API}/claims/", m365_data(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert mine.status_code == 201 and Claim.objects.count() == 2
    assert IdempotencyKey.objects.count() == 2


def test_session_auth_needs_csrf(client, fabrikam, build):
    from rest_framework.test import APIClient as Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(fabrikam)
    assert c.get(f"{API}/claims/").status_code == 200
    refused = c.post(f"{API}/claims/", claim_data(), format="json")
    assert refused.status_code == 403 and codes(refused) == ["permission_denied"]


def test_schema_and_docs_are_served_without_cdn(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/claims/{id}/submit/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs


def test_a_key_without_an_answer_never_runs_again_and_old_keys_are_pruned(fab):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from claims.api.idempotency import prune

    first = fab.post(f"{API}/claims/", m365_data(), format="json", HTTP_IDEMPOTENCY_KEY="slow")
    assert first.status_code == 201
    # A key committed without its answer (the former reservation, committed apart from the
    # work): the work may have committed, so no retry runs it again, however late.
    IdempotencyKey.objects.filter(key="slow").update(status_code=None, response=None)
    busy = fab.post(f"{API}/claims/", m365_data(), format="json", HTTP_IDEMPOTENCY_KEY="slow")
    assert busy.status_code == 409 and codes(busy) == ["idempotency_request_in_progress"]
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        later = fab.post(f"{API}/claims/", m365_data(), format="json", HTTP_IDEMPOTENCY_KEY="slow")
    assert later.status_code == 409 and codes(later) == ["idempotency_request_in_progress"]
    assert Claim.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        assert prune() == 0
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        assert prune() == 1
    assert not IdempotencyKey.objects.exists()
    # A pruned key is a new key.
    again = fab.post(f"{API}/claims/", m365_data(name="again"), format="json", HTTP_IDEMPOTENCY_KEY="slow")
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]


def test_an_overlong_idempotency_key_is_refused(fab):
    response = fab.post(f"{API}/claims/", m365_data(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400 and codes(response) == ["invalid_idempotency_key"]
    assert Claim.objects.count() == 0


def test_review_queue_query_count_is_flat(rev, build, django_assert_num_queries):
    build.submitted(m365_data(name="q0"))
    with CaptureQueriesContext(connection) as few:
        rev.get(f"{API}/review/queue/")
    for i in range(12):
        build.submitted(
            m365_data(name=f"q{i + 1}", products=[{"product": "teams"}, {"product": "onedrive"}], **another_customer(i))
        )
    with django_assert_num_queries(len(few)):
        assert rev.get(f"{API}/review/queue/").json()["count"] == 13


@pytest.mark.parametrize("who", ["customer_contact", "partner_contact"])
def test_an_invalid_contact_email_is_the_same_code_in_the_api_and_the_form(fab, fabrikam, client, who):
    contact = {"name": "Megan Bowen", "email": "megan.bowen@", "phone": ""}
    response = fab.post(f"{API}/claims/", claim_data(**{who: contact}), format="json")
    assert response.status_code == 400
    assert {"code": "invalid_email", "field": f"{who}.email"} in [
        {"code": e["code"], "field": e["field"]} for e in response.json()["errors"]
    ]
    client.force_login(fabrikam)
    page = client.post("/claims/new/", {"name": "A claim", f"{who}_email": "megan.bowen@"})
    assert page.status_code == 200 and "Enter a valid email address, such as name@contoso.com." in page.content.decode()
    assert Claim.objects.count() == 0
