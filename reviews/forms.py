from django import forms
from django.utils.translation import gettext_lazy as _

from claims import precheck
from claims.choices import REVIEWER_REJECTION_REASONS, InfoRequestReason, RejectionReason, Role
from claims.lengths import RATIONALE, max_length
from claims.models import Claim, ClaimComment, User


class RequestInfoForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=_("What is missing"), choices=InfoRequestReason.choices, widget=forms.CheckboxSelectMultiple
    )
    message = forms.CharField(
        label=_("Message to the partner"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=max_length(Claim, "info_request_message"),
    )
    remove_products = forms.MultipleChoiceField(
        label=_("Ask to remove products the PoE does not cover"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, claim, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # the reasons the PoE pre-check found missing, for the reviewer to confirm
            self.initial.setdefault("reasons", precheck.missing_reasons(claim))
        self.fields["remove_products"].choices = [(cp.product.code, cp.product.name) for cp in claim.products.all()]


class ApproveForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the partner (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=max_length(ClaimComment, "body"),  # posted as a comment
    )
    rationale = forms.CharField(
        label=_("Arbitration rationale"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=RATIONALE,
        help_text=_("Required when another partner holds this customer and product: why this partner's proof wins."),
    )


class RejectForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[(r.value, r.label) for r in map(RejectionReason, REVIEWER_REJECTION_REASONS)]
    )
    message = forms.CharField(
        label=_("Message to the partner"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=max_length(Claim, "rejection_message"),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.filter(role=Role.REVIEWER).order_by("username"))
