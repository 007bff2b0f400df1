"""How long a typed value may be is its model field's max_length (claims.lengths), in the
browser forms, the API's input serializers and the services alike: the same limit, and
an over-long value refused with the same code in the form and the API."""

from __future__ import annotations

import pytest
from django import forms
from rest_framework import serializers

import integrations.api
import integrations.forms
import reviews.api
import reviews.forms
import teams.api
import teams.forms
from claims import accounts, mfa, services
from claims import forms as claim_forms
from claims.api import serializers as s
from claims.lengths import GUID_INPUT, RATIONALE, max_length
from claims.models import ApiToken, Claim, ClaimComment, ClaimEvidence, Mpn, Product, User
from integrations.models import WebhookDelivery, WebhookEndpoint
from teams.models import Invitation
from tests.conftest import m365_data, pdf

pytestmark = pytest.mark.django_db

API = "/api/v1"

# Where the length of each text input comes from: its model field, or a number for the few
# inputs no text column stores (claims.lengths), or None for inputs with no length of their
# own. Looked up along the class's MRO, so a subclass inherits its parent's entries.
SOURCES: dict[tuple[type, str], tuple[type, str] | int | None] = {
    # Browser forms
    (claim_forms.ClaimForm, "name"): (Claim, "name"),
    (claim_forms.ClaimForm, "customer_tenant_id"): GUID_INPUT,
    (claim_forms.ClaimForm, "customer_domain"): (Claim, "customer_domain"),
    (claim_forms.ClaimForm, "customer_contact_name"): (Claim, "customer_contact_name"),
    (claim_forms.ClaimForm, "customer_contact_email"): (Claim, "customer_contact_email"),
    (claim_forms.ClaimForm, "customer_contact_phone"): (Claim, "customer_contact_phone"),
    (claim_forms.ClaimForm, "partner_contact_name"): (Claim, "partner_contact_name"),
    (claim_forms.ClaimForm, "partner_contact_email"): (Claim, "partner_contact_email"),
    (claim_forms.ClaimForm, "partner_contact_phone"): (Claim, "partner_contact_phone"),
    (claim_forms.ClaimForm, "sub_*"): GUID_INPUT,  # one subscription ID per Dynamics product
    (claim_forms.CommentForm, "body"): (ClaimComment, "body"),
    (claim_forms.RespondForm, "message"): (ClaimComment, "body"),
    (claim_forms.WithdrawForm, "message"): (Claim, "rejection_message"),
    (claim_forms.DisputeForm, "justification"): (Claim, "dispute_justification"),
    (claim_forms.EvidenceRemoveForm, "reason"): (ClaimEvidence, "removal_reason"),
    (reviews.forms.RequestInfoForm, "message"): (Claim, "info_request_message"),
    (reviews.forms.ApproveForm, "message"): (ClaimComment, "body"),
    (reviews.forms.ApproveForm, "rationale"): RATIONALE,
    (reviews.forms.RejectForm, "message"): (Claim, "rejection_message"),
    (integrations.forms.WebhookForm, "url"): (WebhookEndpoint, "url"),
    (integrations.forms.WebhookForm, "description"): (WebhookEndpoint, "description"),
    (accounts.LoginForm, "password"): None,  # credentials (allauth's form): a longer one matches no user
    (mfa.AdminLoginForm, "username"): None,  # credentials (Django's admin form), as above
    (mfa.AdminLoginForm, "password"): None,
    (accounts.ResetPasswordKeyForm, "password1"): None,  # a new password (allauth's form), bounded by the validators
    (accounts.ResetPasswordKeyForm, "password2"): None,
    (claim_forms.ApiTokenForm, "name"): (ApiToken, "name"),
    (teams.forms.InviteForm, "email"): (Invitation, "email"),
    (teams.forms.AcceptForm, "username"): (User, "username"),
    (teams.forms.AcceptForm, "password1"): None,  # a new password: the validators bound it, no column stores it
    (teams.forms.AcceptForm, "password2"): None,
    # API input serializers
    (s.ContactInSerializer, "name"): (Claim, "customer_contact_name"),
    (s.ContactInSerializer, "email"): (Claim, "customer_contact_email"),
    (s.ContactInSerializer, "phone"): (Claim, "customer_contact_phone"),
    (s.ContactInSerializer, "language"): (Claim, "customer_contact_language"),
    (s.ProductLineInSerializer, "product"): (Product, "code"),
    (s.ProductLineInSerializer, "subscription_id"): GUID_INPUT,
    (s.ClaimInSerializer, "name"): (Claim, "name"),
    (s.ClaimInSerializer, "customer_tenant_id"): GUID_INPUT,
    (s.ClaimInSerializer, "customer_domain"): (Claim, "customer_domain"),
    (s.ClaimInSerializer, "mpn_id"): (Mpn, "mpn_id"),
    (s.CommentInSerializer, "body"): (ClaimComment, "body"),
    (s.RespondSerializer, "message"): (ClaimComment, "body"),
    (s.WithdrawSerializer, "message"): (Claim, "rejection_message"),
    (s.DisputeSerializer, "justification"): (Claim, "dispute_justification"),
    (s.EvidenceRemoveSerializer, "reason"): (ClaimEvidence, "removal_reason"),
    (s.RequestInfoSerializer, "message"): (Claim, "info_request_message"),
    (s.RequestInfoSerializer, "remove_products[]"): (Product, "code"),
    (s.ApproveSerializer, "message"): (ClaimComment, "body"),
    (s.ApproveSerializer, "rationale"): RATIONALE,
    (s.RejectSerializer, "message"): (Claim, "rejection_message"),
    (s.TokenRequestSerializer, "username"): None,  # credentials: a longer one matches no user
    (s.TokenRequestSerializer, "password"): None,
    (reviews.api.BulkAssignInSerializer, "assignee"): (User, "username"),
    (integrations.api.EndpointInSerializer, "url"): (WebhookEndpoint, "url"),
    (integrations.api.EndpointInSerializer, "events[]"): (WebhookDelivery, "event_type"),
    (integrations.api.EndpointInSerializer, "description"): (WebhookEndpoint, "description"),
    (teams.api.InvitationInSerializer, "email"): (Invitation, "email"),
}
INPUT_SERIALIZERS = [
    s.ContactInSerializer, s.ProductLineInSerializer, s.ClaimInSerializer, s.ClaimCreateSerializer,
    s.CommentInSerializer, s.RespondSerializer, s.WithdrawSerializer, s.DisputeSerializer, s.DisputeUploadSerializer,
    s.EvidenceRemoveSerializer, s.EvidenceUploadSerializer, s.RequestInfoSerializer, s.ApproveSerializer,
    s.RejectSerializer, s.TokenRequestSerializer, s.AssociationsQuerySerializer, reviews.api.BulkAssignInSerializer,
    reviews.api.SlaQuerySerializer, integrations.api.EndpointInSerializer, integrations.api.ImportUploadSerializer, teams.api.InvitationInSerializer,
]  # fmt: skip


def expected_length(cls: type, name: str) -> int | None:
    key = "sub_*" if name.startswith("sub_") else name
    for klass in cls.__mro__:
        if (klass, key) in SOURCES:
            source = SOURCES[(klass, key)]
            return max_length(*source) if isinstance(source, tuple) else source
    raise AssertionError(f"{cls.__name__}.{name}: say where its length comes from (SOURCES)")


def form_classes() -> list[type[forms.Form]]:
    found, pending = [], [forms.Form]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.split(".")[0] in ("claims", "reviews", "integrations", "teams"):
            found.append(cls)
    return found


def text_fields_of_form(form_class, directory) -> dict[str, forms.CharField]:
    if form_class is claim_forms.ClaimForm:  # subscription fields per Dynamics product, built per form
        fields = claim_forms.ClaimForm(company=directory["users"]["fabrikam-global"].company).fields
    else:
        fields = form_class.base_fields
    return {name: field for name, field in fields.items() if isinstance(field, forms.CharField)}


def text_fields_of_serializer(serializer_class) -> dict[str, serializers.CharField]:
    found = {}
    for name, field in serializer_class().fields.items():
        if isinstance(field, serializers.ListField) and isinstance(field.child, serializers.CharField):
            found[f"{name}[]"] = field.child
        elif isinstance(field, serializers.CharField):
            found[name] = field
    return found


def test_every_form_field_takes_its_length_from_the_model(directory):
    checked = {}
    for form_class in form_classes():
        for name, field in text_fields_of_form(form_class, directory).items():
            checked[f"{form_class.__name__}.{name}"] = (field.max_length, expected_length(form_class, name))
    assert "ClaimForm.sub_d365_sales" in checked and "WebhookEditForm.description" in checked
    assert {where: pair for where, pair in checked.items() if pair[0] != pair[1]} == {}


def test_every_input_serializer_field_takes_its_length_from_the_model():
    checked = {}
    for serializer_class in INPUT_SERIALIZERS:
        for name, field in text_fields_of_serializer(serializer_class).items():
            checked[f"{serializer_class.__name__}.{name}"] = (field.max_length, expected_length(serializer_class, name))
    assert len(checked) > 25
    assert {where: pair for where, pair in checked.items() if pair[0] != pair[1]} == {}


def test_the_api_has_no_text_input_outside_the_walked_serializers(client):
    """A new request body with a text field must join INPUT_SERIALIZERS (and SOURCES)."""
    walked = {cls.__name__.removesuffix("Serializer") for cls in INPUT_SERIALIZERS}
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name, schema in schemas.items():
        if not name.endswith("Request"):
            continue
        texts = [
            prop
            for prop, spec in schema.get("properties", {}).items()
            if "string" in spec.get("type", [])
            and spec.get("format") != "binary"
            or "string" in spec.get("items", {}).get("type", [])
        ]
        if texts:
            assert name.removeprefix("Patched").removesuffix("Request") in walked, (name, texts)


def test_contacts_share_one_length_per_detail():
    """ContactInSerializer serves both contacts: their columns must stay alike."""
    for key in ("name", "email", "phone"):
        assert max_length(Claim, f"customer_contact_{key}") == max_length(Claim, f"partner_contact_{key}")


# (form, its field, input serializer, its field): the same input in the browser and the API.
SAME_INPUT = [
    (claim_forms.ClaimForm, "name", s.ClaimCreateSerializer, "name"),
    (claim_forms.ClaimForm, "customer_domain", s.ClaimInSerializer, "customer_domain"),
    (claim_forms.ClaimForm, "customer_contact_name", s.ContactInSerializer, "name"),
    (claim_forms.ClaimForm, "partner_contact_email", s.ContactInSerializer, "email"),
    (claim_forms.ClaimForm, "customer_contact_phone", s.ContactInSerializer, "phone"),
    (claim_forms.CommentForm, "body", s.CommentInSerializer, "body"),
    (claim_forms.RespondForm, "message", s.RespondSerializer, "message"),
    (claim_forms.WithdrawForm, "message", s.WithdrawSerializer, "message"),
    (claim_forms.DisputeForm, "justification", s.DisputeSerializer, "justification"),
    (claim_forms.EvidenceRemoveForm, "reason", s.EvidenceRemoveSerializer, "reason"),
    (reviews.forms.RequestInfoForm, "message", s.RequestInfoSerializer, "message"),
    (reviews.forms.ApproveForm, "message", s.ApproveSerializer, "message"),
    (reviews.forms.ApproveForm, "rationale", s.ApproveSerializer, "rationale"),
    (reviews.forms.RejectForm, "message", s.RejectSerializer, "message"),
    (integrations.forms.WebhookForm, "url", integrations.api.EndpointInSerializer, "url"),
    (integrations.forms.WebhookForm, "description", integrations.api.EndpointInSerializer, "description"),
]


def value_of_length(n: int, field: str) -> str:
    if "email" in field:
        return "a" * (n - len("@contoso.com")) + "@contoso.com"
    if field == "url":
        return "https://crm.example.com/" + "a" * (n - len("https://crm.example.com/"))
    return "x" * n


def form_kwargs(form_class, directory, build) -> dict:
    if form_class is claim_forms.ClaimForm:
        return {"company": directory["users"]["fabrikam-global"].company}
    if form_class is reviews.forms.RequestInfoForm:
        return {"claim": build.under_review(m365_data())}
    return {}


def form_codes(form_class, field: str, value: str, kwargs: dict) -> set[str]:
    form = form_class({field: value}, **kwargs)
    form.is_valid()
    return {error.code for error in form.errors.as_data().get(field, [])}


def api_codes(serializer_class, field: str, value: str) -> set[str]:
    serializer = serializer_class(data={field: value})
    serializer.is_valid()
    return {error.code for error in serializer.errors.get(field, [])}


@pytest.mark.parametrize(("form_class", "form_field", "serializer_class", "api_field"), SAME_INPUT)
def test_an_over_long_value_is_refused_alike_by_the_form_and_the_api(
    form_class, form_field, serializer_class, api_field, directory, build
):
    longest = expected_length(form_class, form_field)
    assert longest == expected_length(serializer_class, api_field)
    kwargs = form_kwargs(form_class, directory, build)
    too_long = value_of_length(longest + 1, form_field)
    assert "max_length" in form_codes(form_class, form_field, too_long, kwargs)
    assert "max_length" in api_codes(serializer_class, api_field, too_long)
    just_right = value_of_length(longest, form_field)
    assert "max_length" not in form_codes(form_class, form_field, just_right, kwargs)
    assert "max_length" not in api_codes(serializer_class, api_field, just_right)


def test_a_comment_one_character_too_long_is_max_length_in_the_page_and_the_api(client, build, fabrikam):
    from rest_framework.test import APIClient

    claim = build.submitted(m365_data())
    longest = max_length(ClaimComment, "body")
    client.force_login(fabrikam)
    page = client.post(f"/claims/{claim.pk}/comments/", {"body": "x" * (longest + 1)})
    assert [e.code for e in page.context["comment_form"].errors.as_data()["body"]] == ["max_length"]
    assert f'maxlength="{longest}"' in page.content.decode()
    api = APIClient()
    api.force_authenticate(fabrikam)
    refused = api.post(f"{API}/claims/{claim.pk}/comments/", {"body": "x" * (longest + 1)}, format="json")
    assert refused.status_code == 400
    assert [(e["code"], e["field"]) for e in refused.json()["errors"]] == [("max_length", "body")]
    assert ClaimComment.objects.filter(claim=claim, body__startswith="xxx").count() == 0
    assert api.post(f"{API}/claims/{claim.pk}/comments/", {"body": "x" * longest}, format="json").status_code == 201


def test_the_services_keep_what_the_model_holds(build, fabrikam):
    claim = build.submitted(m365_data())
    services.evidence_add(claim=claim, actor=fabrikam, file=pdf("second.pdf"))
    first = claim.evidence.order_by("pk").first()
    kept = services.evidence_remove(evidence=first, actor=fabrikam, reason="y" * 10_000)
    assert len(kept.removal_reason) == max_length(ClaimEvidence, "removal_reason")
