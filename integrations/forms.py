"""Browser forms of integrations. They shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from claims.lengths import max_length

from .models import WebhookEndpoint
from .webhooks import EVENT_TYPES


def event_choices() -> list[tuple[str, str]]:
    """Worded when the form is built (its language, today's clock lengths), not at import."""
    return [(k, f"{k}: {v}") for k, v in EVENT_TYPES.items()]


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"), max_length=max_length(WebhookEndpoint, "url"),
        help_text=_("An HTTPS address on the public internet, e.g. https://crm.example.com/hooks/cpor."),
    )  # fmt: skip
    description = forms.CharField(label=_("Description"), max_length=max_length(WebhookEndpoint, "description"), required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=event_choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )  # fmt: skip


class WebhookEditForm(WebhookForm):
    is_active = forms.BooleanField(label=_("On: send events to this endpoint"), required=False)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"), help_text=_("A CSV (UTF-8 or UTF-16) or Excel .xlsx file made from the template.")
    )
    poe_zip = forms.FileField(
        label=_("Proof of execution (optional ZIP)"), required=False,
        help_text=_("A ZIP of the PoE files that rows name in their poe_files column; they are attached to each draft."),
    )  # fmt: skip
