"""Refusal codes of webhooks and imports, registered in the shared catalogue (claims.errors)
so DomainError renders them like every other code: stable code, helpful message."""

from django.utils.translation import gettext_lazy as _

from claims.errors import FIELD_MESSAGES, MESSAGES, STATUS

INTEGRATION_MESSAGES = {
    "global_admin_only": _("Only your company's Global admins can manage integrations. Ask one of them for help."),
    "webhook_not_found": _("No such webhook endpoint."),
    "delivery_not_found": _("No such delivery."),
    "import_not_found": _("No such import."),
    "invalid_url": _("Enter a full URL, such as https://crm.example.com/hooks/cpor."),
    "url_not_https": _("Use an HTTPS URL: events carry your customers' data and must be encrypted in transit."),
    "url_has_credentials": _("Remove the user name and password from the URL; every delivery is signed instead."),
    "host_unresolvable": _("This host name does not resolve. Check the URL, or try again once its DNS record exists."),
    "address_not_allowed": _(
        "This URL points to a private, loopback, link-local or cloud metadata address (%(address)s). "
        "Use an address reachable on the public internet."
    ),
    "events_required": _("Choose at least one event."),
    "unknown_event": _("This is not an event we send. Choose from the listed events."),
    "endpoint_disabled": _("This endpoint is turned off. Turn it on before sending events to it."),
    "webhook_action_throttled": _(
        "This endpoint was sent too many tests or redeliveries in a short time. Wait %(seconds)s seconds, then try again."
    ),
    "too_many_endpoints": _("A company can register at most %(max)s endpoints. Remove one first."),
    "import_not_a_spreadsheet": _("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."),
    "import_bad_encoding": _(
        "This CSV file is not in UTF-8 or UTF-16 (%(detail)s). Save it again as “CSV UTF-8” and upload it again."
    ),
    "import_bad_csv": _("This CSV file cannot be read (%(detail)s). Save it again as “CSV UTF-8” and upload it again."),
    "import_empty": _("This file has no claim rows. Fill in the template below its header row."),
    "import_too_many_rows": _(
        "This file has %(rows)s rows; at most %(max)s can be imported at once. Split it into smaller files."
    ),
    "import_too_large": _("This file is too large. Upload a file of at most %(max_mb)s MB."),
    "import_missing_columns": _("The header row lacks these columns: %(columns)s. Start from the downloadable template."),
    "import_unreadable": _("This workbook cannot be read. Save it again in Excel as .xlsx and upload it again."),
    "formula_not_allowed": _("Formulas are never evaluated. Type the value itself in this cell."),
    "duplicate_row": _("This row repeats row %(row)s of the file; only the first one is imported."),
    "poe_zip_missing": _("This row names proof-of-execution files: upload the ZIP that holds them together with the sheet."),
    "poe_file_not_in_zip": _("The ZIP has no file named %(name)s. Check the name (with its extension) against the ZIP."),
    "poe_zip_unreadable": _(
        "The proof-of-execution ZIP cannot be read. Make it again (a plain .zip) and upload it with the sheet."
    ),
    "import_infected": _(
        "The malware scan found a threat in this upload (%(signature)s), so it was deleted unread. Check the "
        "device the file came from, then upload a clean copy."
    ),
    "import_too_large_to_scan": _(
        "This upload is larger than the malware scanner accepts, so it was deleted unread. Split the sheet, or "
        "the ZIP of proof-of-execution files, into smaller ones and upload them separately."
    ),
    "import_not_ready": _("This import is still being validated. Wait until the preview is ready."),
    "import_already_committed": _("This import was already done; its claims are in your list."),
    "import_has_no_valid_rows": _("No row is valid, so there is nothing to import. Fix the rejected rows and upload them again."),
    "import_row_too_long": _(
        "Row %(row)s of this file is longer than %(max)s characters, far more than a claim takes. Check that each "
        "claim is on its own line (an unclosed quotation mark joins lines), then upload the file again."
    ),
    "import_cell_too_long": _(
        "Row %(row)s of this file has a cell longer than %(max)s characters, the most a spreadsheet cell holds. "
        "Shorten it and upload the file again."
    ),
    "import_workbook_too_large": _(
        "This workbook unpacks to more than %(max_mb)s MB, more than a sheet of claims takes. Keep only the claims "
        "sheet (no images or other sheets), or save it as “CSV UTF-8”, and upload it again."
    ),
    "import_workbook_too_compressed": _(
        "This workbook is compressed more than %(max)s times, which spreadsheets never are, so it is not opened. "
        "Save it again in Excel as .xlsx, or as “CSV UTF-8”, and upload it again."
    ),
    "import_failed": _(
        "This import stopped because of an error on our side; it has been logged. Upload the file again: rows "
        "already imported as drafts are skipped."
    ),
    "import_timed_out": _(
        "This file took too long to process. Split it into smaller files and upload them one by one: rows already "
        "imported as drafts are skipped."
    ),
}

# A NUL character in a file: the request's code (cpor.middleware), worded for the file's row.
FIELD_MESSAGES[("null_characters_not_allowed", "file")] = _(
    "Row %(row)s of this file contains a null character (invisible, often left by a conversion tool), which cannot "
    "be stored. Delete it from that row and upload the file again."
)

MESSAGES.update(INTEGRATION_MESSAGES)
STATUS.update(
    {
        "global_admin_only": 403,
        "webhook_not_found": 404,
        "delivery_not_found": 404,
        "import_not_found": 404,
        "import_not_ready": 409,
        "import_already_committed": 409,
        "endpoint_disabled": 409,
        "webhook_action_throttled": 429,
    }
)
