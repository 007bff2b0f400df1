"""Partner pages: editable fields per state, forged edits, uploads, CSV, search, sort."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from tests.conftest import SUB_SALES, another_customer, claim_data, m365_data, pdf
from tests.support import pdf_text


@pytest.fixture
def partner(client, fabrikam):
    client.force_login(fabrikam)
    return client


def form_post(claim_or_none=None, **overrides):
    data = {
        "name": "Contoso Sales adoption",
        "customer_tenant_id": "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d",
        "customer_domain": "contoso.com",
        "solution_area": "business_applications",
        "activity": "usage",
        "products": ["d365_sales"],
        "sub_d365_sales": SUB_SALES,
        "mpn_id": "4567890",
        "customer_contact_name": "Megan Bowen",
        "customer_contact_email": "megan.bowen@contoso.com",
        "partner_contact_name": "Alex Wilber",
        "partner_contact_email": "alex.wilber@fabrikam.example",
    }
    data.update(overrides)
    return data


def test_new_claim_form_creates_an_editing_claim(partner):
    response = partner.post("/claims/new/", form_post())
    claim = Claim.objects.get()
    assert response.status_code == 302 and response.url == f"/claims/{claim.pk}/"
    assert claim.state == "editing" and str(claim.products.get().subscription.subscription_id) == SUB_SALES


def test_a_refused_form_keeps_what_was_typed_and_saves_nothing(partner):
    response = partner.post(
        "/claims/new/", form_post(customer_domain="litware", sub_d365_sales="33333333-3333-4333-8333-333333333333")
    )
    assert response.status_code == 200 and Claim.objects.count() == 0
    html = response.content.decode()
    assert "Contact your customer" in html and "Cloud Solution Provider" in html
    assert 'value="Contoso Sales adoption"' in html and 'value="33333333-3333-4333-8333-333333333333"' in html


def test_the_mpn_picker_marks_enrollment(partner):
    html = partner.get("/claims/new/").content.decode()
    assert "4567890 — enrolled in Business Applications incentives" in html
    assert "4567891 — not enrolled in an incentive program" in html
    assert "5678901" not in html  # Northwind's


@pytest.mark.parametrize("state, offered", [("editing", True), ("submitted", False), ("par", False)])
def test_the_edit_form_offers_locked_fields_only_in_editing(partner, build, state, offered):
    claim = getattr(build, state)()
    html = partner.get(f"/claims/{claim.pk}/edit/").content.decode()
    assert ('name="customer_tenant_id"' in html) is offered and ('name="name"' in html) is offered
    assert 'name="mpn_id"' in html and 'name="products"' in html and 'name="customer_contact_email"' in html


@pytest.mark.parametrize("state", ["under_review", "approved", "rejected"])
def test_the_edit_page_is_closed_in_other_states(partner, build, state):
    claim = getattr(build, state)()
    response = partner.post(f"/claims/{claim.pk}/edit/", form_post(mpn_id="4567891"))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.mpn.mpn_id == "4567890"


@pytest.mark.parametrize("field, value", [("name", "Renamed"), ("customer_domain", "contoso"), ("activity", "presales")])
def test_a_forged_edit_of_a_locked_field_is_refused_and_changes_nothing(partner, build, field, value):
    claim = build.submitted()
    response = partner.post(f"/claims/{claim.pk}/edit/", form_post(**{field: value, "mpn_id": "4567891"}))
    assert response.status_code == 200
    assert "can no longer be changed" in response.content.decode()
    claim.refresh_from_db()
    assert claim.mpn.mpn_id == "4567890" and claim.name == "Contoso Sales adoption" and claim.activity == "usage"


def test_a_limited_edit_saves_mpn_products_and_contacts(partner, build):
    claim = build.submitted()
    post = {k: v for k, v in form_post(mpn_id="4567891", customer_contact_name="Nestor Wilke").items()
            if k not in ("name", "customer_tenant_id", "customer_domain", "solution_area", "activity")}  # fmt: skip
    assert partner.post(f"/claims/{claim.pk}/edit/", post).status_code == 302
    claim.refresh_from_db()
    assert claim.mpn.mpn_id == "4567891" and claim.customer_contact_name == "Nestor Wilke"


def test_upload_keeps_good_files_and_names_refused_ones(partner, build):
    claim = build.editing(poe=False)
    good = SimpleUploadedFile("poe.pdf", pdf().read(), content_type="application/pdf")
    bad = SimpleUploadedFile("virus.exe.pdf", b"MZ\x90 not a pdf", content_type="application/pdf")
    response = partner.post(f"/claims/{claim.pk}/evidence/", {"files": [good, bad]}, follow=True)
    html = response.content.decode()
    assert "poe.pdf uploaded." in html and "virus.exe.pdf was not uploaded" in html and "not accepted" in html
    assert list(claim.evidence.values_list("original_name", flat=True)) == ["poe.pdf"]


@override_settings(CPOR_EVIDENCE_MAX_BYTES=1024)
def test_upload_too_large_is_refused_with_the_limit(partner, build):
    claim = build.editing(poe=False)
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * 2048, content_type="application/pdf")
    html = partner.post(f"/claims/{claim.pk}/evidence/", {"files": [big]}, follow=True).content.decode()
    assert "big.pdf was not uploaded" in html and "too large" in html
    assert claim.evidence.count() == 0


def test_upload_without_a_file_says_so(partner, build):
    claim = build.editing(poe=False)
    html = partner.post(f"/claims/{claim.pk}/evidence/", {}, follow=True).content.decode()
    assert "Choose at least one file" in html


def test_csv_export_has_the_companys_rows_with_products_and_subscriptions(partner, build, northwind, ana):
    from tests.conftest import Builder

    build.submitted()
    build.editing(m365_data(name='Teams, "quoted" draft'))
    Builder(northwind, ana).editing(m365_data(name="Northwind only", mpn_id="5678901"))
    response = partner.get("/claims/export.csv?sort=name")
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["Claim name"] for r in rows] == ["Contoso Sales adoption", 'Teams, "quoted" draft']
    assert rows[0]["Status"] == "Submitted" and rows[0]["Products"] == f"Dynamics 365 Sales ({SUB_SALES})"
    assert rows[0]["Tenant ID"] == "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d" and rows[0]["Next deadline"].startswith(
        "review starts by "
    )


def test_csv_export_follows_the_filter(partner, build):
    build.submitted()
    build.editing(m365_data(name="draft"))
    body = b"".join(partner.get("/claims/export.csv?status=editing").streaming_content).decode("utf-8-sig")
    assert [r["Claim name"] for r in csv.DictReader(io.StringIO(body))] == ["draft"]


@pytest.mark.parametrize(
    "q, expected",
    [
        ("sales", ["Contoso Sales adoption"]),
        (SUB_SALES, ["Contoso Sales adoption"]),
        ("7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d", ["Contoso Sales adoption", "Teams"]),
        ("contoso", ["Contoso Sales adoption", "Teams"]),
        ("nothing", []),
        ("7c4b0e6a", ["Contoso Sales adoption", "Teams"]),  # tenant ID prefix
        ("7c4b0e6a-1d2f", ["Contoso Sales adoption", "Teams"]),
        ("11111111-11", ["Contoso Sales adoption"]),  # subscription ID prefix
        ("456789", ["Contoso Sales adoption", "Teams"]),  # MPN ID prefix
        ("4567891", []),
    ],
)
def test_search_by_name_customer_tenant_or_subscription(partner, build, q, expected):
    build.submitted()
    build.editing(m365_data(name="Teams"))
    from claims.selectors import claims_for_company

    names = sorted(c.name for c in claims_for_company(build.partner.company_id, q=q))
    assert names == sorted(expected)
    assert partner.get("/claims/", {"q": q}).status_code == 200


def test_sort_by_name_both_ways(partner, build):
    link = {name: f">#{build.editing(m365_data(name=name), poe=False).pk} {name}</a>" for name in ["b", "a", "c"]}
    html = partner.get("/claims/?sort=name").content.decode()
    assert html.index(link["a"]) < html.index(link["b"]) < html.index(link["c"])
    html = partner.get("/claims/?sort=-name").content.decode()
    assert html.index(link["c"]) < html.index(link["b"]) < html.index(link["a"])


def test_searched_and_sorted_list_query_count_is_flat(partner, build, django_assert_num_queries):
    build.editing(m365_data(name="x0"), poe=False)
    with CaptureQueriesContext(connection) as few:
        partner.get("/claims/?q=contoso&sort=deadline")
    for i in range(15):
        build.editing(m365_data(name=f"x{i + 1}", products=[{"product": "teams"}, {"product": "intune"}]), poe=False)
    with django_assert_num_queries(len(few)):
        partner.get("/claims/?q=contoso&sort=deadline")


def test_associations_page_lists_active_ones_with_flat_queries(partner, build, django_assert_num_queries):
    build.approved(m365_data(name="one"))
    with CaptureQueriesContext(connection) as few:
        html = partner.get("/claims/associations/").content.decode()
    assert "Microsoft Teams" in html and "Contoso" in html
    build.approved(m365_data(name="two", products=[{"product": "intune"}, {"product": "onedrive"}]))
    with django_assert_num_queries(len(few)):
        html = partner.get("/claims/associations/").content.decode()
    assert "Microsoft Intune" in html and "OneDrive for Business" in html


def test_the_poe_checklist_downloads_as_pdf(partner):
    response = partner.get("/claims/poe-checklist.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "signedbyacustomercontact" in pdf_text(response.content)


def test_new_claim_prefilled_from_an_earlier_one(partner, build):
    old = build.rejected()
    html = partner.get(f"/claims/new/?from={old.pk}").content.decode()
    assert 'value="Contoso Sales adoption (new claim)"' in html and f'value="{SUB_SALES}"' in html


def test_a_reviewer_comments_from_the_claim_page(client, build, ana):
    claim = build.under_review()
    client.force_login(ana)
    assert client.post(f"/claims/{claim.pk}/comments/", {"body": "Please add dates."}).status_code == 302
    assert claim.comments.get().author == ana


def test_an_empty_answer_to_par_shows_the_form_error(partner, build):
    claim = build.par()
    response = partner.post(f"/claims/{claim.pk}/respond/", {"message": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == "partner_action_required"


def test_withdraw_needs_confirmation(partner, build):
    claim = build.submitted()
    response = partner.post(f"/claims/{claim.pk}/withdraw/", {"reason": "wrong_mpn"})
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.state == "submitted"
    partner.post(f"/claims/{claim.pk}/withdraw/", {"reason": "wrong_mpn", "confirm": "on"})
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.rejection_reason == "partner_request"


def test_a_submit_refusal_is_shown_not_an_error_page(partner, build):
    claim = build.editing(claim_data(products=[{"product": "d365_sales", "subscription_id": None}]), poe=False)
    html = partner.post(f"/claims/{claim.pk}/submit/", follow=True).content.decode()
    assert "Upload at least one proof of execution" in html and "Enter the subscription ID" in html


def test_the_stepper_keeps_approved_then_rejected_after_a_withdrawal(partner, build, fabrikam):
    from claims import services
    from claims.presentation import timeline
    from claims.selectors import get_claim_for_user

    claim = build.approved()
    services.claim_withdraw(claim=claim, actor=fabrikam, reason="wrong_mpn")
    stages = timeline(get_claim_for_user(fabrikam, claim.pk))
    assert [str(s["label"]) for s in stages] == ["Editing", "Submitted", "Under Review", "Approved", "Rejected"]
    assert stages[-1]["current"] and all(s["at"] for s in stages)
    html = partner.get(f"/claims/{claim.pk}/").content.decode()
    assert "Partner request</strong> — Wrong MPN ID" in html  # the withdrawal sub-reason
    assert "wrong_mpn" not in html


def test_an_automatically_started_review_shows_its_date(build, fabrikam):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from claims import deadlines
    from claims.presentation import timeline
    from claims.selectors import get_claim_for_user

    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        claim = build.submitted()
    with time_machine.travel(start + timedelta(days=8), tick=False):
        deadlines.run_sweep()
    stage = timeline(get_claim_for_user(fabrikam, claim.pk))[2]
    assert str(stage["label"]) == "Under Review (not picked up in time)" and stage["at"] == start + timedelta(days=8)


def test_history_shows_labels_not_codes(partner, build, fabrikam):
    from claims import services

    claim = build.submitted()
    services.claim_update(
        claim=claim, actor=fabrikam, data={"products": [{"product": "d365_sales", "subscription_id": SUB_SALES}, {"product": "d365_customer_service", "subscription_id": "22222222-2222-4222-8222-222222222222"}]}
    )  # fmt: skip
    html = partner.get(f"/claims/{claim.pk}/").content.decode()
    assert f"Dynamics 365 Sales, subscription {SUB_SALES}" in html
    assert "Business Applications" in html and "business_applications" not in html
    assert f"d365_sales:{SUB_SALES}" not in html


def test_the_deadline_sort_puts_open_deadlines_first_and_closed_ones_last(build):
    from claims.selectors import claims_for_company

    draft = build.editing(m365_data(name="no clock"))
    open_one = build.submitted(m365_data(name="open", products=[{"product": "intune"}]))
    for sort in ("deadline", "-deadline"):
        names = [c.name for c in claims_for_company(build.partner.company_id, sort=sort)]
        assert names.index(open_one.name) < names.index(draft.name)


def test_a_refused_form_puts_an_error_summary_on_top_linking_each_field(partner):
    html = partner.post(
        "/claims/new/", form_post(customer_tenant_id="not-a-guid", customer_contact_email="nope")
    ).content.decode()
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#id_customer_tenant_id"' in summary and 'href="#id_customer_contact_email"' in summary
    assert html.index('class="error-summary"') < html.index('name="customer_tenant_id"')
    assert "js/error-summary.js" in html


def test_the_claim_page_and_the_review_page_query_counts_do_not_grow_with_history(
    client, build, fabrikam, ana, django_assert_max_num_queries
):
    from claims import services

    claim = build.submitted()
    services.comment_add(claim=claim, actor=fabrikam, body="first")  # a prefetch with no rows skips its joins
    pages = [(fabrikam, f"/claims/{claim.pk}/"), (ana, f"/review/claims/{claim.pk}/")]
    baseline = {}
    for user, url in pages:
        client.force_login(user)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        baseline[url] = len(few)
    for i in range(8):
        services.comment_add(claim=claim, actor=fabrikam, body=f"note {i}")
        services.evidence_add(claim=claim, actor=fabrikam, file=pdf(f"poe-{i}.pdf"))
    services.claim_update(claim=claim, actor=fabrikam, data={"products": [{"product": "d365_sales", "subscription_id": SUB_SALES}, {"product": "d365_customer_service", "subscription_id": "22222222-2222-4222-8222-222222222222"}]})  # fmt: skip
    for user, url in pages:
        client.force_login(user)
        with django_assert_max_num_queries(baseline[url]):
            assert client.get(url).status_code == 200


def test_actions_that_redirect_do_not_read_the_pages_lists(partner, build, fabrikam):
    """An answer, an upload or a submission loads the claim alone (its service reads what it
    needs) and redirects; only a refusal that shows the page again reads the page's lists."""
    from claims import services

    def lists_read(post) -> tuple:
        with CaptureQueriesContext(connection) as queries:
            response = post()
        # The page's lists are read by claim id lists (prefetches); a service may read a row.
        tables = {"claims_claimcomment", "claims_claimevent"}
        sqls = [q["sql"] for q in queries.captured_queries]
        return response, {t for t in tables for sql in sqls if f'"{t}"."claim_id" IN (' in sql}

    claim = build.par()
    services.comment_add(claim=claim, actor=fabrikam, body="Which PoE?")
    answered, read = lists_read(lambda: partner.post(f"/claims/{claim.pk}/respond/", {"message": "The signed one."}))
    assert answered.status_code == 302 and read == set()
    draft = build.editing(m365_data(**another_customer(1)), poe=False)
    good = SimpleUploadedFile("poe.pdf", pdf().read(), content_type="application/pdf")
    uploaded, read = lists_read(lambda: partner.post(f"/claims/{draft.pk}/evidence/", {"files": [good]}))
    assert uploaded.status_code == 302 and read == set()
    submitted, read = lists_read(lambda: partner.post(f"/claims/{draft.pk}/submit/"))
    assert submitted.status_code == 302 and read == set()
    draft.refresh_from_db()
    assert draft.state == "submitted"
    # A refused answer shows the whole page again, its lists with it.
    refused, read = lists_read(
        lambda: partner.post(f"/claims/{build.par(m365_data(**another_customer(2))).pk}/respond/", {"message": ""})
    )
    assert refused.status_code == 400 and read == {"claims_claimcomment", "claims_claimevent"}
