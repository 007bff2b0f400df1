"""The import template: its columns, what each means (in every language of the UI), and the
template files (CSV header row; XLSX with a help sheet and the valid codes)."""

from __future__ import annotations

import codecs
import csv
import io

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from claims.choices import ACTIVITIES_BY_AREA, Activity, SolutionArea
from claims.models import Product
from claims.spreadsheet import safe_row

TEMPLATE_PRODUCT_SLOTS = 3
BASE_COLUMNS = ["name", "customer_tenant_id", "customer_domain", "solution_area", "activity", "mpn_id"]
CONTACT_COLUMNS = [f"{who}_contact_{key}" for who in ("customer", "partner") for key in ("name", "email", "phone")]

COLUMN_HELP = {
    "name": _("Claim name: a short name of your choosing (required, at most 120 characters)."),
    "customer_tenant_id": _("Customer tenant ID: the GUID of the customer's Microsoft Entra tenant."),
    "customer_domain": _("Customer subdomain (e.g. contoso) or one of the tenant's verified domains."),
    "solution_area": _("Solution area code: see the codes below."),
    "activity": _("Activity code of that solution area: see the codes below."),
    "mpn_id": _("One of your company's MPN IDs."),
    "products": _("Optional instead of product_N: products as a ; list of code or code:subscription ID."),
    "product_N": _("Product code (product_1, product_2, … as many as needed)."),
    "subscription_id_N": _("Subscription ID of product_N: required for Dynamics 365 products, empty otherwise."),
    "customer_contact_name": _("Customer contact name (required)."),
    "customer_contact_email": _("Customer contact email (required); the consent email goes there."),
    "customer_contact_phone": _("Customer contact phone (optional)."),
    "partner_contact_name": _("Partner contact name (required)."),
    "partner_contact_email": _("Partner contact email (required)."),
    "partner_contact_phone": _("Partner contact phone (optional)."),
    "poe_files": _("Optional: proof-of-execution file names, ; separated, from the ZIP uploaded with the sheet."),
}


def template_columns() -> list[str]:
    slots = [c for i in range(1, TEMPLATE_PRODUCT_SLOTS + 1) for c in (f"product_{i}", f"subscription_id_{i}")]
    return [*BASE_COLUMNS, *slots, *CONTACT_COLUMNS, "poe_files"]


def template_csv() -> bytes:
    """The header row, UTF-8 with a BOM so Excel opens it in any language."""
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(template_columns()))
    return codecs.BOM_UTF8 + out.getvalue().encode()


def template_xlsx() -> bytes:
    """Sheet "claims" (header row to fill), sheet "help" (each column's meaning in every
    language of the UI) and sheet "codes" (valid codes with their names in every language).
    Every cell is spreadsheet-safe: openpyxl writes a text starting with "=" as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    languages = [code for code, _name in settings.LANGUAGES]
    wb = Workbook()
    sheet = wb.active
    sheet.title = "claims"
    sheet.append(safe_row(template_columns()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    help_sheet = wb.create_sheet("help")
    help_sheet.append(safe_row(["column", *languages]))
    for column, text in COLUMN_HELP.items():
        help_sheet.append(safe_row([column, *(_in(lang, text) for lang in languages)]))
    codes = wb.create_sheet("codes")
    codes.append(safe_row(["column", "code", *languages]))
    for area in SolutionArea:
        codes.append(safe_row(["solution_area", area.value, *(_in(lang, area.label) for lang in languages)]))
    for area, activities in ACTIVITIES_BY_AREA.items():
        for act in activities:
            codes.append(safe_row(["activity", act, *(_in(lang, _activity_name, area, act) for lang in languages)]))
    for product in Product.objects.order_by("solution_area", "code"):
        codes.append(safe_row(["product", product.code, *(_in(lang, _product_name, product) for lang in languages)]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _activity_name(area: str, activity: str) -> str:
    return f"{SolutionArea(area).label}: {Activity(activity).label}"


def _product_name(product: Product) -> str:
    note = _("needs a subscription ID") if product.is_dynamics else _("no subscription ID")
    return f"{product.name} ({SolutionArea(product.solution_area).label}; {note})"


def _in(language: str, text, *args) -> str:
    """`text` (a lazy translation) in `language`; or, given `args`, what the function `text`
    words from them in `language`: an f-string is worded when it is built, so it is built in
    each language's override, never once for every column."""
    with translation.override(language):
        return text(*args) if args else str(text)
