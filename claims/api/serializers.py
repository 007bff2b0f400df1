"""API shapes. Input serializers check only the shape of a request; every rule is the
domain's (claims.validation and the services), so the API and the browser agree."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from claims.choices import (
    ACTIVITIES_BY_AREA,
    REVIEWER_REJECTION_REASONS,
    Activity,
    ClaimState,
    DeadlineKind,
    InfoRequestReason,
    PrecheckStatus,
    PrecheckVerdict,
    RejectionReason,
    SolutionArea,
    WithdrawReason,
)
from claims.competition import conflicts
from claims.downloads import may_download, servable
from claims.history import details_for
from claims.lengths import GUID_INPUT, RATIONALE, max_length
from claims.models import Association, Claim, ClaimComment, ClaimEvent, ClaimEvidence, Mpn, Product
from claims.precheck.checks import CHECKS


class StrictCharField(serializers.CharField):
    """A string field that takes strings only (DRF's turns 0 or 1.5 into "0" and "1.5"):
    what the schema says, type: string, is what the server accepts."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "format": "email"})
class EmailText(StrictCharField):
    """An email address as text: its check is claims.validation's (code invalid_email, the
    same in the API and the form), not DRF's (code invalid)."""


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField(help_text=_("Empty while not known."))
    phone = serializers.CharField()


class CustomerContactSerializer(ContactSerializer):
    language = serializers.CharField(
        help_text=_("The language of the consent email and page (en, pt-BR, it, zh-Hans, es); empty: the default.")
    )


class ContactInSerializer(serializers.Serializer):
    # One serializer for both contacts: the customer's and the partner's columns are alike
    # (tests/claims/test_lengths.py).
    name = StrictCharField(allow_blank=True, required=False, max_length=max_length(Claim, "customer_contact_name"))
    email = EmailText(
        allow_null=True, allow_blank=True, required=False, max_length=max_length(Claim, "customer_contact_email"),
        help_text=_("An email address; null or left out while not known."),
    )  # fmt: skip
    phone = StrictCharField(allow_blank=True, required=False, max_length=max_length(Claim, "customer_contact_phone"))
    language = StrictCharField(
        allow_blank=True, required=False, max_length=max_length(Claim, "customer_contact_language"),
        help_text=_(
            "Customer contact only: the language of the consent email and page (en, pt-BR, it, zh-Hans, es). "
            "Default: the partner user's language."
        ),
    )  # fmt: skip

    def validate(self, attrs):
        if "email" in attrs and attrs["email"] is None:
            attrs["email"] = ""  # stored as "not known yet"
        return attrs


class ProductLineInSerializer(serializers.Serializer):
    product = StrictCharField(max_length=max_length(Product, "code"), help_text=_("Product code from /api/v1/catalog/."))
    subscription_id = StrictCharField(
        allow_null=True, allow_blank=True, required=False, max_length=GUID_INPUT,
        help_text=_("Required for Dynamics 365 products (a GUID); null for others."),
    )  # fmt: skip

    def validate(self, attrs):
        # A product line is whole even inside a PATCH (DRF's partial would let it go without one).
        if "product" not in attrs:
            raise serializers.ValidationError(
                {"product": [ErrorDetail(str(self.fields["product"].error_messages["required"]), code="required")]}
            )
        return attrs


class ClaimInSerializer(serializers.Serializer):
    """Create (any subset; the claim starts in Editing) and PATCH (only what changes)."""

    name = StrictCharField(max_length=max_length(Claim, "name"), required=False, allow_blank=True)
    customer_tenant_id = StrictCharField(max_length=GUID_INPUT, required=False, allow_null=True, allow_blank=True)
    customer_domain = StrictCharField(max_length=max_length(Claim, "customer_domain"), required=False, allow_blank=True)
    solution_area = serializers.ChoiceField(choices=SolutionArea.choices, required=False, allow_blank=True)
    activity = serializers.ChoiceField(choices=Activity.choices, required=False, allow_blank=True)
    mpn_id = StrictCharField(max_length=max_length(Mpn, "mpn_id"), required=False, allow_blank=True, allow_null=True)
    products = ProductLineInSerializer(many=True, required=False)
    customer_contact = ContactInSerializer(required=False)
    partner_contact = ContactInSerializer(required=False)


class ClaimCreateSerializer(ClaimInSerializer):
    """Create: a name is required; every other field may come later (the claim starts in Editing)."""

    name = StrictCharField(max_length=max_length(Claim, "name"))


class ProductLineSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    name = serializers.CharField(source="product.name")
    subscription_id = serializers.UUIDField(source="subscription.subscription_id", allow_null=True, default=None)


class ProductCheckSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The claimed product's code.")
    name = serializers.CharField()
    verdict = serializers.ChoiceField(choices=PrecheckVerdict.choices)
    page = serializers.IntegerField(allow_null=True, help_text="Page where the product is named (null when missing).")
    excerpt = serializers.CharField(allow_blank=True)


class EvidenceCheckSerializer(serializers.Serializer):
    """One check of the PoE pre-check: does the document show what a reviewer would ask for?"""

    code = serializers.ChoiceField(choices=[(c, c) for c in CHECKS])
    reason = serializers.ChoiceField(
        choices=InfoRequestReason.choices, help_text="The request-for-information reason this check anticipates."
    )
    verdict = serializers.ChoiceField(
        choices=PrecheckVerdict.choices, help_text="found, missing or unsure (a warning, never a block)."
    )
    page = serializers.IntegerField(allow_null=True, help_text="Page of the evidence (1-based), null when nothing was found.")
    excerpt = serializers.CharField(allow_blank=True, help_text="A short excerpt of the document around what was found.")
    products = ProductCheckSerializer(many=True, help_text="Per claimed product (the products check only; else empty).")


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    download_url = serializers.SerializerMethodField()
    precheck_status = serializers.ChoiceField(
        choices=PrecheckStatus.choices, read_only=True, help_text="pending while the worker reads the file."
    )
    checks = serializers.SerializerMethodField(help_text="The PoE pre-check: empty while pending or when unreadable.")

    class Meta:
        model = ClaimEvidence
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "for_dispute",
            "removed_at",
            "removal_reason",
            "scan_status",
            "download_url",
            "precheck_status",
            "checks",
        ]

    @extend_schema_field(EvidenceCheckSerializer(many=True))
    def get_checks(self, obj) -> list:
        # Listed field by field (the serializer), whatever else the stored JSON holds.
        return EvidenceCheckSerializer([{"products": [], **c} for c in obj.precheck_checks or []], many=True).data

    def get_download_url(self, obj) -> str | None:
        """Null for a file the caller may not download: awaiting its malware scan (scan_status
        pending), quarantined (infected), or a partner's removed file."""
        request = self.context.get("request")
        # Without a request: a webhook payload, which goes to the partner's company.
        allowed = may_download(request.user, obj) if request is not None else servable(obj, reviewer=False)
        return evidence_path(obj) if allowed else None


def evidence_path(obj: ClaimEvidence) -> str:
    return f"/api/v1/claims/{obj.claim_id}/evidence/{obj.pk}/"


def _contact(claim: Claim, who: str) -> dict:
    contact = {k: getattr(claim, f"{who}_contact_{k}") for k in ("name", "email", "phone")}
    if who == "customer":
        contact["language"] = claim.customer_contact_language
    return contact


class DeadlineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DeadlineKind.choices)
    due_at = serializers.DateTimeField()
    passed = serializers.BooleanField()


class ClaimListSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(source="state", choices=ClaimState.choices)
    customer = serializers.CharField(source="tenant.name", allow_null=True, default=None)
    mpn_id = serializers.CharField(source="mpn.mpn_id", allow_null=True, default=None)
    products = ProductLineSerializer(many=True)
    deadline = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id", "name", "status", "customer", "customer_tenant_id", "customer_domain", "solution_area", "activity",
            "mpn_id", "products", "deadline", "is_overdue", "is_dispute", "association_ended_at", "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {
            "association_ended_at": {
                "help_text": _(
                    "Set when an approval for another partner ended this approved claim's association (arbitration): "
                    "the claim is no longer on its way to incentive eligibility evaluation and cannot be withdrawn."
                )
            }
        }

    @extend_schema_field(DeadlineSerializer(allow_null=True))
    def get_deadline(self, obj):
        if not obj.deadline_at:
            return None
        return {"kind": obj.deadline_kind, "due_at": obj.deadline_at, "passed": obj.deadline_expired or obj.is_deadline_passed}


class ConflictSerializer(serializers.Serializer):
    product = serializers.CharField(help_text=_("Code of one of this claim's products."))
    name = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=[("held", _("another partner holds it")), ("claimed", _("another partner claims it"))],
        help_text=_(
            "held: another partner has an approved association for this customer and product; claimed: another "
            "partner's claim for it is open. Either way reviewers compare each side's proof of execution."
        ),
    )


class ClaimDetailSerializer(ClaimListSerializer):
    conflicts = serializers.SerializerMethodField(
        help_text=_(
            "Before a decision: this claim's products that another partner holds or claims for the same customer "
            "(arbitration applies). Never identifies the other partner. Empty once decided."
        )
    )
    customer_contact = serializers.SerializerMethodField()
    partner_contact = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True)
    available_actions = serializers.SerializerMethodField()
    rejection_reason = serializers.ChoiceField(choices=RejectionReason.choices, allow_blank=True)
    info_request_reasons = serializers.ListField(child=serializers.ChoiceField(choices=InfoRequestReason.choices))

    class Meta(ClaimListSerializer.Meta):
        fields = ClaimListSerializer.Meta.fields + [
            "conflicts", "customer_contact", "partner_contact", "evidence", "available_actions", "info_request_reasons",
            "info_request_message", "rejection_reason", "rejection_message", "dispute_justification",
            "submitted_at", "review_started_at", "decided_at", "disputed_at", "eligibility_sent_at",
        ]  # fmt: skip

    @extend_schema_field(ConflictSerializer(many=True))
    def get_conflicts(self, obj) -> list[dict]:
        if obj.state in (ClaimState.APPROVED, ClaimState.REJECTED):
            return []
        return conflicts(obj)

    @extend_schema_field(CustomerContactSerializer)
    def get_customer_contact(self, obj):
        return _contact(obj, "customer")

    @extend_schema_field(ContactSerializer)
    def get_partner_contact(self, obj):
        return _contact(obj, "partner")

    # Its enum is the registry of actions (claims.actions), set when the schema is built (claims.api.schema).
    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, obj) -> list[str]:
        from claims.actions import available_actions

        return available_actions(obj, self.context["request"].user)


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    # A system note (kind "arbitration") is worded in the request's language (claims.notes).
    body = serializers.CharField(source="text", read_only=True)

    class Meta:
        model = ClaimComment
        fields = ["id", "author", "author_role", "kind", "body", "created_at"]


class CommentInSerializer(serializers.Serializer):
    body = StrictCharField(max_length=max_length(ClaimComment, "body"))


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    details = serializers.SerializerMethodField()

    class Meta:
        model = ClaimEvent
        fields = ["id", "at", "actor", "actor_role", "action", "from_state", "to_state", "changes", "details"]

    @extend_schema_field(serializers.DictField())
    def get_details(self, obj) -> dict:
        # A partner reads only what claims.history allows for the action: never what identifies
        # the other side of a competing claim.
        request = self.context.get("request")
        return details_for(obj.action, obj.details, request.user if request else None)


class AssociationSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="tenant.name")
    tenant_id = serializers.UUIDField(source="tenant.tenant_id")
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    subscription_id = serializers.UUIDField(source="subscription.subscription_id", allow_null=True, default=None)

    class Meta:
        model = Association
        fields = [
            "id", "claim", "customer", "tenant_id", "product", "product_name", "subscription_id", "started_at", "ended_at",
            "end_reason",
        ]  # fmt: skip
        extra_kwargs = {"end_reason": {"help_text": _("arbitration: decided for another partner (listed with status=ended).")}}


class AssociationsQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["active", "ended"], required=False, default="active")


class MpnSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mpn
        fields = ["mpn_id", "incentive_enrolled", "program_name"]


class CatalogProductSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    needs_subscription = serializers.BooleanField()


class CatalogActivitySerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Activity.choices)
    name = serializers.CharField()
    description = serializers.CharField()


class CatalogAreaSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=SolutionArea.choices)
    name = serializers.CharField()
    activities = CatalogActivitySerializer(many=True)
    products = CatalogProductSerializer(many=True)


def catalog_data(products) -> list[dict]:
    return [
        {
            "code": area.value,
            "name": str(area.label),
            "activities": [
                {"code": act, "name": str(Activity(act).label), "description": str(text)}
                for act, text in ACTIVITIES_BY_AREA[area].items()
            ],
            "products": [
                {"code": p.code, "name": p.name, "needs_subscription": p.is_dynamics} for p in products if p.solution_area == area
            ],
        }
        for area in SolutionArea
    ]


class RespondSerializer(serializers.Serializer):
    message = StrictCharField(max_length=max_length(ClaimComment, "body"))  # the answer is posted as a comment


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=WithdrawReason.choices)
    message = StrictCharField(max_length=max_length(Claim, "rejection_message"), required=False, allow_blank=True, default="")


class DisputeSerializer(serializers.Serializer):
    justification = StrictCharField(
        max_length=max_length(Claim, "dispute_justification"), required=False, allow_blank=True, default=""
    )


class DisputeUploadSerializer(DisputeSerializer):
    """The multipart form of a dispute: the justification and any updated PoE files."""

    files = serializers.ListField(child=serializers.FileField(), required=False, help_text=_("Updated PoE files."))


class EvidenceRemoveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=max_length(ClaimEvidence, "removal_reason"), required=False, allow_blank=True, default="",
        help_text=_("Required after submission (removal_reason_required): e.g. wrong file."),
    )  # fmt: skip


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class RequestInfoSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=InfoRequestReason.choices), min_length=1)
    message = StrictCharField(max_length=max_length(Claim, "info_request_message"))
    remove_products = serializers.ListField(
        child=StrictCharField(max_length=max_length(Product, "code")), required=False, default=list
    )


class ApproveSerializer(serializers.Serializer):
    message = StrictCharField(  # posted as a comment
        max_length=max_length(ClaimComment, "body"), required=False, allow_blank=True, default=""
    )
    rationale = StrictCharField(
        max_length=RATIONALE, required=False, allow_blank=True, default="",
        help_text=_("Required when another partner holds the customer and product (arbitration)."),
    )  # fmt: skip


class RejectSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in map(RejectionReason, REVIEWER_REJECTION_REASONS)],
        help_text=_("no_partner_response, customer_denial and partner_request are set by the system only."),
    )
    message = StrictCharField(max_length=max_length(Claim, "rejection_message"))


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField()
    password = StrictCharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class CompetingSerializer(serializers.Serializer):
    associations = AssociationSerializer(many=True)
    claims = ClaimListSerializer(many=True)


def paginated(child: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page envelope of a list endpoint, for the schema."""
    return type(
        f"Paginated{child.__name__.removesuffix('Serializer')}List",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": child(many=True),
        },
    )


PaginatedClaims = paginated(ClaimListSerializer)
PaginatedAssociations = paginated(AssociationSerializer)
