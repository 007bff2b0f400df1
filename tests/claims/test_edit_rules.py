"""Editable fields per state, forged edits, and evidence uploads."""

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings

from claims import services
from claims.errors import DomainError
from tests.conftest import SUB_SERVICE, claim_data, pdf

LIMITED = {
    "mpn_id": "4567891",
    "customer_contact": {"name": "Nestor Wilke", "email": "nestor@contoso.com", "phone": ""},
    "partner_contact": {"name": "Lee Gu", "email": "lee@fabrikam.example", "phone": "1"},
    "products": [
        {"product": "d365_sales", "subscription_id": "11111111-1111-4111-8111-111111111111"},
        {"product": "d365_customer_service", "subscription_id": SUB_SERVICE},
    ],
}
LOCKED = {
    "name": "Renamed",
    "customer_tenant_id": "2f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f",
    "customer_domain": "contoso",
    "solution_area": "microsoft_365",
    "activity": "presales",
}


def test_everything_is_editable_in_editing(build, fabrikam):
    claim = build.editing()
    services.claim_update(claim=claim, actor=fabrikam, data={"name": "Renamed", "activity": "presales", **LIMITED})
    claim.refresh_from_db()
    assert claim.name == "Renamed" and claim.activity == "presales" and claim.mpn.mpn_id == "4567891"
    assert claim.products.count() == 2
    event = claim.events.filter(action="updated").get()
    assert event.changes["name"] == ["Contoso Sales adoption", "Renamed"]
    assert event.changes["mpn"] == ["4567890", "4567891"]
    assert len(event.changes["products"][1]) == 2


@pytest.mark.parametrize("state", ["submitted", "par"])
@pytest.mark.parametrize("key", sorted(LIMITED))
def test_limited_fields_are_editable_after_submission(build, fabrikam, state, key):
    claim = getattr(build, state)()
    services.claim_update(claim=claim, actor=fabrikam, data={key: LIMITED[key]})
    assert claim.events.filter(action="updated").count() == 1


@pytest.mark.parametrize("state", ["submitted", "par"])
@pytest.mark.parametrize("key", sorted(LOCKED))
def test_other_fields_are_refused_after_submission(build, fabrikam, state, key):
    claim = getattr(build, state)()
    with pytest.raises(DomainError) as info:
        services.claim_update(claim=claim, actor=fabrikam, data={key: LOCKED[key], "mpn_id": "4567891"})
    assert info.value.codes == ["not_editable"] and info.value.errors[0].field == key
    claim.refresh_from_db()
    assert claim.mpn.mpn_id == "4567890"  # nothing of the forged request was applied


def test_unchanged_values_of_locked_fields_pass(build, fabrikam):
    claim = build.submitted()
    services.claim_update(
        claim=claim, actor=fabrikam, data={"name": claim.name, "customer_domain": "CONTOSO.COM", "mpn_id": "4567891"}
    )
    claim.refresh_from_db()
    assert claim.mpn.mpn_id == "4567891"


@pytest.mark.parametrize("state", ["under_review", "approved", "rejected"])
def test_nothing_is_editable_in_other_states(build, fabrikam, state):
    claim = getattr(build, state)()
    with pytest.raises(DomainError) as info:
        services.claim_update(claim=claim, actor=fabrikam, data={"mpn_id": "4567891"})
    assert info.value.code == "not_editable"


def test_products_cannot_be_emptied_after_submission(build, fabrikam):
    with pytest.raises(DomainError) as info:
        services.claim_update(claim=build.submitted(), actor=fabrikam, data={"products": []})
    assert info.value.codes == ["required"]


def test_changing_solution_area_in_editing_rechecks_products(build, fabrikam):
    claim = build.editing()
    with pytest.raises(DomainError) as info:
        services.claim_update(claim=claim, actor=fabrikam, data={"solution_area": "microsoft_365", "activity": "usage"})
    assert info.value.codes == ["product_not_in_solution_area"]


def test_evidence_is_listed_with_who_and_when(build, fabrikam):
    claim = build.editing()
    evidence = claim.evidence.get()
    assert evidence.uploaded_by == fabrikam and evidence.size > 100 and evidence.content_type == "application/pdf"
    assert evidence.original_name == "signed-poe.pdf" and len(evidence.sha256) == 64
    assert claim.events.filter(action="evidence_added").exists()


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("notes.txt", b"plain text", "evidence_type_not_allowed"),
        ("fake.pdf", b"MZ\x90\x00 an executable", "evidence_type_not_allowed"),
        ("empty.pdf", b"", "evidence_empty"),
    ],
)
def test_upload_refusals(build, fabrikam, name, content, code):
    claim = build.editing(poe=False)
    with pytest.raises(DomainError) as info:
        services.evidence_add(claim=claim, actor=fabrikam, file=ContentFile(content, name=name))
    assert info.value.codes == [code]
    assert claim.evidence.count() == 0


@override_settings(CPOR_EVIDENCE_MAX_BYTES=1024 * 1024)
def test_upload_too_large_says_the_limit(build, fabrikam):
    claim = build.editing(poe=False)
    big = ContentFile(b"%PDF" + b"0" * (1024 * 1024), name="big.pdf")
    with pytest.raises(DomainError) as info:
        services.evidence_add(claim=claim, actor=fabrikam, file=big)
    assert info.value.codes == ["evidence_too_large"] and "1 MB" in info.value.errors[0].message


@pytest.mark.parametrize(
    "name, head", [("p.png", b"\x89PNG\r\n\x1a\n"), ("p.jpg", b"\xff\xd8\xff\xe0"), ("p.docx", b"PK\x03\x04")]
)
def test_images_and_office_documents_are_accepted(build, fabrikam, name, head):
    claim = build.editing(poe=False)
    services.evidence_add(claim=claim, actor=fabrikam, file=ContentFile(head + b"rest", name=name))
    assert claim.evidence.count() == 1


def test_new_poe_may_be_added_in_par_but_not_under_review(build, fabrikam):
    services.evidence_add(claim=build.par(), actor=fabrikam, file=pdf("signed.pdf"))
    with pytest.raises(DomainError) as info:
        services.evidence_add(
            claim=build.under_review(
                claim_data(name="b", products=[{"product": "d365_customer_service", "subscription_id": SUB_SERVICE}])
            ),
            actor=fabrikam,
            file=pdf(),
        )
    assert info.value.code == "not_editable"


def test_evidence_removed_in_editing_is_deleted(build, fabrikam):
    claim = build.editing()
    services.evidence_remove(evidence=claim.evidence.get(), actor=fabrikam)
    assert claim.evidence.count() == 0 and claim.events.filter(action="evidence_removed").exists()


def test_comments_by_partner_and_reviewer_reviewer_comment_emails_partner(
    build, fabrikam, ana, mailoutbox, django_capture_on_commit_callbacks
):
    claim = build.under_review()
    services.comment_add(claim=claim, actor=fabrikam, body="Any news?")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(claim=claim, actor=ana, body="Looking at it today.")
    assert list(claim.comments.values_list("author_role", flat=True)) == ["partner", "reviewer"]
    assert len(mailoutbox) == 1 and "Looking at it today." in mailoutbox[0].body
    with pytest.raises(DomainError):
        services.comment_add(claim=claim, actor=fabrikam, body="   ")


def test_history_is_append_only(build):
    from claims.models import AppendOnlyError

    event = build.editing().events.first()
    event.details = {"forged": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
