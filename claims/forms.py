"""Browser forms. They only shape input for the services; every rule is in the domain
layer, and its errors come back here next to the field they concern."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cpor import i18n

from .choices import ACTIVITIES_BY_AREA, Activity, SolutionArea, WithdrawReason
from .errors import DomainError
from .lengths import GUID_INPUT, max_length
from .models import ApiToken, Claim, ClaimComment, ClaimEvidence, Mpn, Product

# Fields that cannot change after submission. A limited form does not show them; a
# request that sends them anyway is passed to the service, which refuses it.
LOCKED_FIELDS = ("name", "customer_tenant_id", "customer_domain", "solution_area", "activity")
CONTACT_FIELDS = [f"{who}_contact_{key}" for who in ("customer", "partner") for key in ("name", "email", "phone")]


def subscription_field_name(code: str) -> str:
    return f"sub_{code}"


class ClaimForm(forms.Form):
    name = forms.CharField(
        label=_("Claim name"),
        max_length=max_length(Claim, "name"),
        help_text=_("A short name of your choosing, so your lists stay readable."),
    )
    customer_tenant_id = forms.CharField(
        label=_("Customer tenant ID"), required=False, max_length=GUID_INPUT,
        help_text=_("The GUID of the customer's Microsoft Entra tenant, e.g. 7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d."),
    )  # fmt: skip
    customer_domain = forms.CharField(
        label=_("Customer subdomain or domain"), required=False, max_length=max_length(Claim, "customer_domain"),
        help_text=_("The customer's onmicrosoft.com subdomain (e.g. contoso) or one of its verified domains."),
    )  # fmt: skip
    solution_area = forms.ChoiceField(
        label=_("Solution area"), required=False, choices=[("", _("Choose…")), *SolutionArea.choices]
    )
    activity = forms.ChoiceField(
        label=_("Activity"), required=False, choices=[("", _("Choose…")), *Activity.choices], widget=forms.RadioSelect
    )
    products = forms.MultipleChoiceField(label=_("Products and workloads"), required=False, widget=forms.CheckboxSelectMultiple)
    mpn_id = forms.ChoiceField(label=_("MPN ID"), required=False)
    customer_contact_name = forms.CharField(
        label=_("Customer contact name"), required=False, max_length=max_length(Claim, "customer_contact_name")
    )
    customer_contact_email = forms.CharField(
        label=_("Customer contact email"), required=False, max_length=max_length(Claim, "customer_contact_email")
    )
    customer_contact_phone = forms.CharField(
        label=_("Customer contact phone"), required=False, max_length=max_length(Claim, "customer_contact_phone")
    )
    customer_contact_language = forms.ChoiceField(
        label=_("Customer contact's language"), required=False, choices=settings.LANGUAGES,
        help_text=_("The customer's consent email and page are written in this language."),
    )  # fmt: skip
    partner_contact_name = forms.CharField(
        label=_("Partner contact name"), required=False, max_length=max_length(Claim, "partner_contact_name")
    )
    partner_contact_email = forms.CharField(
        label=_("Partner contact email"), required=False, max_length=max_length(Claim, "partner_contact_email")
    )
    partner_contact_phone = forms.CharField(
        label=_("Partner contact phone"), required=False, max_length=max_length(Claim, "partner_contact_phone")
    )

    def __init__(self, *args, company, limited: bool = False, area: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.limited = limited
        # Default: the partner user's own language (saved, else the browser's).
        self.fields["customer_contact_language"].initial = i18n.supported(translation.get_language())
        catalog = Product.objects.order_by("solution_area", "name")
        if limited and area:
            catalog = catalog.filter(solution_area=area)  # the area is fixed once submitted
        self.catalog = list(catalog)
        self.fields["products"].choices = [(p.code, p.name) for p in self.catalog]
        mpns = list(Mpn.objects.filter(company=company).order_by("-incentive_enrolled", "mpn_id"))
        self.fields["mpn_id"].choices = [("", _("Choose…"))] + [
            (m.mpn_id, _("%(id)s — enrolled in %(program)s") % {"id": m.mpn_id, "program": m.program_name or _("an incentive program")}
             if m.incentive_enrolled else _("%(id)s — not enrolled in an incentive program") % {"id": m.mpn_id})
            for m in mpns
        ]  # fmt: skip
        for product in self.catalog:
            if product.is_dynamics:
                self.fields[subscription_field_name(product.code)] = forms.CharField(
                    label=_("Subscription ID for %(product)s") % {"product": product.name},
                    required=False,
                    max_length=GUID_INPUT,
                )
        if limited:
            for name in LOCKED_FIELDS:
                del self.fields[name]

    # --- presentation helpers for the template ---------------------------------
    def activity_explanations(self):
        return [
            {"area": area, "area_label": SolutionArea(area).label, "activity": act, "label": Activity(act).label, "text": text}
            for area, acts in ACTIVITIES_BY_AREA.items()
            for act, text in acts.items()
        ]

    def product_rows(self):
        selected = set(self["products"].value() or [])
        rows = []
        for p in self.catalog:
            sub = self[subscription_field_name(p.code)] if p.is_dynamics else None
            rows.append({"product": p, "checked": p.code in selected, "sub": sub})
        return rows

    # --- to and from the services ---------------------------------------------
    def to_data(self, raw_post=None) -> dict:
        d = self.cleaned_data
        data: dict = {}
        if not self.limited:
            for key in LOCKED_FIELDS:
                data[key] = d.get(key, "")
        elif raw_post is not None:
            # Forged locked fields go to the service, which refuses them (not_editable).
            data.update({k: raw_post[k] for k in LOCKED_FIELDS if k in raw_post})
        data["mpn_id"] = d.get("mpn_id", "")
        codes = d.get("products") or []
        self.product_order = list(codes)
        data["products"] = [
            {"product": code, "subscription_id": (d.get(subscription_field_name(code)) or "").strip() or None} for code in codes
        ]
        for who in ("customer", "partner"):
            data[f"{who}_contact"] = {k: d.get(f"{who}_contact_{k}", "") for k in ("name", "email", "phone")}
        if d.get("customer_contact_language"):
            data["customer_contact"]["language"] = d["customer_contact_language"]
        return data

    def add_domain_errors(self, error: DomainError) -> None:
        """Puts each domain error next to the field it concerns."""
        for item in error.errors:
            self.add_error(self._field_for(item.field), item.message)

    def _field_for(self, field: str | None) -> str | None:
        if not field:
            return None
        m = re.fullmatch(r"products\[(\d+)\]\.(product|subscription_id)", field)
        if m:
            index, part = int(m.group(1)), m.group(2)
            codes = getattr(self, "product_order", [])
            if part == "subscription_id" and index < len(codes) and subscription_field_name(codes[index]) in self.fields:
                return subscription_field_name(codes[index])
            return "products"
        name = field.replace(".", "_")
        return name if name in self.fields else None

    @classmethod
    def initial_from(cls, claim: Claim) -> dict:
        initial = {
            "name": claim.name,
            "customer_tenant_id": str(claim.customer_tenant_id or ""),
            "customer_domain": claim.customer_domain,
            "solution_area": claim.solution_area,
            "activity": claim.activity,
            "mpn_id": claim.mpn.mpn_id if claim.mpn else "",
            "products": [cp.product.code for cp in claim.products.all()],
        }
        for cp in claim.products.all():
            if cp.subscription:
                initial[subscription_field_name(cp.product.code)] = str(cp.subscription.subscription_id)
        for key in CONTACT_FIELDS:
            initial[key] = getattr(claim, key)
        initial["customer_contact_language"] = claim.customer_contact_language
        return initial


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.doc,.docx,.xls,.xlsx,.ppt,.pptx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple) and data:
            return [single(d, initial) for d in data]
        if not data:
            single(None, initial)  # raises "required" when the field is required
            return []
        return [single(data, initial)]


class EvidenceForm(forms.Form):
    files = MultipleFileField(
        label=_("Proof of execution documents"),
        help_text=_("PDF, PNG, JPEG or Office documents; several at once."),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=max_length(ClaimComment, "body")
    )


class RespondForm(forms.Form):
    message = forms.CharField(
        label=_("Your answer to the reviewer"), widget=forms.Textarea(attrs={"rows": 4}),
        max_length=max_length(ClaimComment, "body"),  # the answer is posted as a comment
        help_text=_("Say what you changed or uploaded. Your answer goes to the reviewer's comments."),
    )  # fmt: skip


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why do you withdraw this claim?"), choices=WithdrawReason.choices, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=max_length(Claim, "rejection_message"),
    )
    confirm = forms.BooleanField(
        label=_("I understand the claim will be rejected at my request and cannot be disputed."),
    )


class DisputeForm(forms.Form):
    justification = forms.CharField(
        label=_("Business justification"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        max_length=max_length(Claim, "dispute_justification"),
        help_text=_("Explain why the decision should change. Give a justification, updated proof of execution, or both."),
    )  # fmt: skip
    files = MultipleFileField(label=_("Updated proof of execution"), required=False)


class EvidenceRemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you remove this file?"), widget=forms.Textarea(attrs={"rows": 3}),
        max_length=max_length(ClaimEvidence, "removal_reason"),
        help_text=_("For example: wrong file, or a file that does not belong to this claim. The reviewer sees the file marked removed."),
    )  # fmt: skip


class ApiTokenForm(forms.Form):
    """A new personal API token: its name and lifetime (claims.services.tokens)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=max_length(ApiToken, "name"),
        help_text=_("What the token is for, e.g. the script or the machine that uses it."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        longest = settings.CPOR_API_TOKEN_MAX_DAYS
        self.fields["days"] = forms.IntegerField(
            label=_("Expires after (days)"),
            min_value=1,
            max_value=longest,
            initial=min(90, longest),
            help_text=_("At most %(days)s days. Create a new token before it expires.") % {"days": longest},
        )
