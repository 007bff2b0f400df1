"""Partner-facing pages. Thin: access helper, service, render."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from functools import wraps
from itertools import islice
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_fsm import can_proceed

from cpor import i18n

from . import insights, precheck, services
from .access import has_claims_role, is_own_company_claim
from .choices import ClaimState, DeadlineKind, InfoRequestReason, RejectionReason, SolutionArea
from .clocks import clock_length
from .competition import claim_warnings, warnings_for
from .consent import read_token
from .downloads import INLINE_TYPES, downloadable, evidence_response
from .errors import MESSAGES, DomainError
from .forms import ClaimForm, CommentForm, DisputeForm, EvidenceForm, EvidenceRemoveForm, RespondForm, WithdrawForm
from .lengths import max_length
from .models import Claim, ClaimEvidence, ClaimProduct, CustomerTenant, Product
from .pdf import text_pdf
from .presentation import (
    POE_CHECKLIST,
    association_ended_text,
    catalog_names,
    dispute_status,
    next_deadline_text,
    timeline,
    withdraw_reason,
)
from .rows import choice_labels
from .selectors import (
    CountedPaginator,
    active_associations,
    claims_for_company,
    claims_total,
    ended_associations,
    get_claim_for_user,
    with_page_relations,
)
from .spreadsheet import safe_row
from .states import DECIDED_STATES, EDIT_LIMITED, edit_scope
from .templatetags.claims_tags import when
from .validation import parse_guid

# Claims per fetch (and per product-line query) of the CSV export: what a worker holds while
# it streams is about one chunk's rows as Python objects (~1.3 KB a claim, twice that while the
# next chunk is fetched), so a small chunk keeps that well under a megabyte; the extra queries
# cost little next to the rows' formatting.
EXPORT_CHUNK = 100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if user.is_reviewer:
        return redirect("reviews:queue")
    if user.is_partner:
        return redirect("claims:list")
    return render(request, "claims/no_role.html", status=403)


def partner_required(view):
    """Signed in with a claims role; others get the page that says which role to ask for."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_partner:
            _refuse_without_role(request, kwargs.get("pk"))
            return render(request, "claims/no_role.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _refuse_without_role(request: HttpRequest, pk) -> None:
    """A user without a claims role on a claim URL: another company's claim stays a 404."""
    if pk is not None and not has_claims_role(request.user) and not is_own_company_claim(request.user, pk):
        raise Http404


def _no_role(request: HttpRequest, pk) -> HttpResponse | None:
    """The 'ask for a claims role' page for a user without one, on their own company's claim."""
    if has_claims_role(request.user):
        return None
    _refuse_without_role(request, pk)
    return render(request, "claims/no_role.html", status=403)


def _own_claim(request: HttpRequest, pk: int, *, page: bool = True) -> Claim:
    """The partner's own company's claim, else 404 (never reveal another company's); without
    `page`, the claim alone (get_claim_for_user), for an action that redirects."""
    claim = get_claim_for_user(request.user, pk, page=page)
    if claim.company_id != request.user.company_id:
        raise Http404
    return claim


def _list_params(request: HttpRequest) -> dict:
    state = request.GET.get("status") or None
    return {
        "state": state if state in ClaimState.values else None,
        "q": request.GET.get("q", "")[:200],
        "sort": request.GET.get("sort") or "-created",
    }


@partner_required
def claim_list(request: HttpRequest) -> HttpResponse:
    params = _list_params(request)
    claims = claims_for_company(request.user.company_id, **params)
    total = claims_total(request.user.company_id, claims, state=params["state"], q=params["q"])
    page = CountedPaginator(claims, 25, total=total).get_page(request.GET.get("page"))
    keep = urlencode({k: v for k, v in {"status": params["state"] or "", "q": params["q"], "sort": params["sort"]}.items() if v})
    return render(
        request,
        "claims/list.html",
        {
            "page": page,
            "claims": page.object_list,
            "states": ClaimState.choices,
            "current_state": params["state"],
            "q": params["q"],
            "sort": params["sort"],
            "keep": keep,
            "columns": [
                ("name", _("Claim")),
                ("customer", _("Customer")),
                ("area", _("Solution area / activity")),
                (None, _("Products")),
                ("status", _("Status")),
                ("deadline", _("Next deadline")),
            ],
        },
    )


def _export_table(request: HttpRequest) -> Iterator[list]:
    """The dashboard's rows (same filter, search and sort) as spreadsheet cells, the header
    first: what the CSV and the XLSX exports write. Every cell goes through safe_row."""
    params = _list_params(request)
    claims = claims_for_company(request.user.company_id, **params)
    # Headers and labels in the reader's language; times stay ISO 8601 (UTC) for spreadsheets.
    header = [
        _("ID"), _("Claim name"), _("Status"), _("Customer"), _("Tenant ID"), _("Customer domain"), _("Solution area"),
        _("Activity"), _("Products"), _("MPN ID"), _("Next deadline"), _("Deadline (UTC)"), _("Rejection reason"),
        _("Created (UTC)"), _("Submitted (UTC)"), _("Association ended (UTC)"),
    ]  # fmt: skip

    # Choice labels translated once, not per row (get_FOO_display hashes lazy labels each call).
    label = {field: choice_labels(field) for field in ("state", "solution_area", "activity", "deadline_kind")}

    fields = (
        "pk", "name", "state", "tenant__name", "customer_tenant_id", "customer_domain", "solution_area", "activity",
        "mpn__mpn_id", "deadline_kind", "deadline_at", "rejection_reason", "created_at", "submitted_at",
        "association_ended_at", "eligibility_sent_at", "is_overdue", "review_started_at",
    )  # fmt: skip

    yield safe_row(header)
    # Plain rows from a server-side cursor, a chunk at a time with its product lines: no
    # model instances (whose prefetch caches form cycles only the garbage collector frees),
    # so memory stays flat however many claims are exported.
    source = claims.prefetch_related(None).values_list(*fields, named=True).iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(islice(source, EXPORT_CHUNK)):
        products: dict[int, list[str]] = {}
        lines = ClaimProduct.objects.filter(claim_id__in=[c.pk for c in chunk]).order_by("id")
        for claim_id, name, sub in lines.values_list("claim_id", "product__name", "subscription__subscription_id"):
            products.setdefault(claim_id, []).append(f"{name} ({sub})" if sub else name)
        for c in chunk:
            yield safe_row([
                c.pk, c.name, label["state"].get(c.state, c.state), c.tenant__name or "",
                str(c.customer_tenant_id or ""), c.customer_domain,
                label["solution_area"].get(c.solution_area, c.solution_area),
                label["activity"].get(c.activity, c.activity), "; ".join(products.get(c.pk, [])), c.mpn__mpn_id or "",
                next_deadline_text(c),
                c.deadline_at.isoformat() if c.deadline_at else "",
                RejectionReason(c.rejection_reason).label if c.rejection_reason else "",
                c.created_at.isoformat(), c.submitted_at.isoformat() if c.submitted_at else "",
                c.association_ended_at.isoformat() if c.association_ended_at else "",
            ])  # fmt: skip
        del chunk, products  # freed before the next chunk is fetched, not after


def _export_name(extension: str) -> str:
    return f"cpor-claims-{timezone.now():%Y%m%d}.{extension}"


@partner_required
def claim_export(request: HttpRequest) -> StreamingHttpResponse:
    """The dashboard's rows (same filter, search and sort) as CSV, streamed."""

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def rows():
        table = _export_table(request)
        yield "\ufeff" + writer.writerow(next(table))  # BOM: Excel opens UTF-8 correctly
        for row in table:
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


@partner_required
def claim_export_xlsx(request: HttpRequest) -> FileResponse:
    """The CSV export's rows as an Excel workbook: Excel opens a CSV by the list separator of
    its region (a semicolon in Portuguese, Spanish and Italian), so there a CSV is one column.

    A write-only workbook writes each row to a temporary file as it comes (inline strings, no
    shared-string table), and the finished file is sent from disk: memory stays flat however
    many claims are exported."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    # A sheet's name: at most 31 characters, none of []:*?/\ (Excel's rules).
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", str(_("Claims")))[:31] or "claims")
    for row in _export_table(request):
        sheet.append(row)
    out = tempfile.TemporaryFile()  # deleted when the response closes it
    workbook.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=_export_name("xlsx"), content_type=XLSX_TYPE)


@partner_required
def association_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(active_associations(request.user.company_id).order_by("-started_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    ended = ended_associations(request.user.company_id)[:50]
    return render(request, "claims/associations.html", {"page": page, "associations": page.object_list, "ended": ended})


@partner_required
def conflicts_check(request: HttpRequest) -> HttpResponse:
    """The form's early warning: as soon as a tenant ID and products are typed, says which
    of them another partner holds or claims (never who), and which of them the company's own
    live claim already has (linked: submission would refuse a duplicate). A fragment for
    claim-form.js."""
    guid = parse_guid(request.GET.get("tenant", "")[:64])
    tenant = CustomerTenant.objects.filter(tenant_id=guid).first() if guid else None
    codes = request.GET.getlist("products")[:50]
    found, own = [], []
    if tenant is not None and codes:
        products = {p.pk: p for p in Product.objects.filter(code__in=codes)}
        exclude = request.GET.get("claim", "")
        scope = {
            "company_id": request.user.company_id,
            "exclude_claim": int(exclude) if exclude.isascii() and exclude.isdigit() else None,
        }
        found, own = warnings_for(tenant.pk, products, **scope)
    return render(request, "claims/_conflicts_live.html", {"conflicts": found, "duplicates": own})


def _claim_form(request: HttpRequest, *, claim: Claim | None, limited: bool, initial: dict | None = None):
    area = claim.solution_area if claim else ""
    return ClaimForm(request.POST or None, company=request.user.company, limited=limited, area=area, initial=initial)


@partner_required
def claim_create(request: HttpRequest) -> HttpResponse:
    initial = None
    source_pk = request.GET.get("from")
    if source_pk and source_pk.isdigit():
        source = _own_claim(request, int(source_pk))
        initial = ClaimForm.initial_from(source)
        initial["name"] = _("%(name)s (new claim)") % {"name": source.name}
    form = _claim_form(request, claim=None, limited=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_create(actor=request.user, data=form.to_data())
        except DomainError as exc:
            form.add_domain_errors(exc)
        else:
            messages.success(request, _("Claim saved as Editing. Upload proof of execution, then submit it."))
            return redirect("claims:detail", claim.pk)
    return render(request, "claims/form.html", {"form": form, "claim": None})


@partner_required
def claim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
    scope = edit_scope(claim.state)
    if not scope:
        messages.error(request, MESSAGES["not_editable"])
        return redirect("claims:detail", claim.pk)
    limited = scope == EDIT_LIMITED
    form = _claim_form(request, claim=claim, limited=limited, initial=ClaimForm.initial_from(claim))
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_update(claim=claim, actor=request.user, data=form.to_data(request.POST))
        except DomainError as exc:
            form.add_domain_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("claims:detail", claim.pk)
    return render(request, "claims/form.html", {"form": form, "claim": claim})


def _refusal(request: HttpRequest, error: DomainError) -> None:
    for item in error.errors:
        messages.error(request, item.message)


@partner_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk, page=False)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose at least one file to upload."))
        return redirect("claims:detail", claim.pk)
    for upload in form.cleaned_data["files"]:
        try:
            services.evidence_add(claim=claim, actor=request.user, file=upload)
        except DomainError as exc:
            # Each file is judged alone: the good ones are kept, the refused ones named.
            messages.error(request, _("%(file)s was not uploaded: %(why)s") % {"file": upload.name, "why": exc.errors[0].message})
        else:
            messages.success(request, _("%(file)s uploaded.") % {"file": upload.name})
    return redirect(reverse("claims:detail", args=[claim.pk]) + "#evidence")


@partner_required
@require_http_methods(["GET", "POST"])
def evidence_delete(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    """Editing: POST deletes the file. After submission: GET asks for the reason (the file
    is kept for audit and marked removed), POST with the reason removes it."""
    claim = _own_claim(request, pk)
    evidence = get_object_or_404(ClaimEvidence, pk=evidence_id, claim=claim)
    form = EvidenceRemoveForm(request.POST or None)
    if request.method == "GET" or (claim.state != ClaimState.EDITING and not form.is_valid()):
        status = 400 if request.method == "POST" else 200
        return render(request, "claims/evidence_remove.html", {"claim": claim, "evidence": evidence, "form": form}, status=status)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        services.evidence_remove(evidence=evidence, actor=request.user, reason=reason)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("%(file)s removed.") % {"file": evidence.original_name})
    return redirect(reverse("claims:detail", args=[claim.pk]) + "#evidence")


@partner_required
@require_http_methods(["GET", "POST"])
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation step (repeats any arbitration warning); POST: submits."""
    claim = _own_claim(request, pk, page=request.method == "GET")
    if request.method == "GET":
        if claim.state != ClaimState.EDITING:
            messages.error(request, MESSAGES["invalid_transition"])
            return redirect("claims:detail", claim.pk)
        conflicts, duplicates = claim_warnings(claim)
        return render(
            request,
            "claims/submit_confirm.html",
            {
                "claim": claim,
                "conflicts": conflicts,
                "duplicates": duplicates,
                "precheck": precheck.claim_checks(claim),
            },
        )
    try:
        claim = services.claim_submit(claim=claim, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request,
            _(
                "Submitted. A reviewer will start the review by %(date)s; you will get an email when they need more information and when the claim is decided."
            )
            % {"date": when(claim.deadline_at)},
        )
    return redirect("claims:detail", claim.pk)


@partner_required
@require_POST
def claim_respond(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk, page=False)
    form = RespondForm(request.POST)
    if form.is_valid():
        try:
            services.claim_respond(claim=claim, actor=request.user, message=form.cleaned_data["message"])
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Answer sent. The claim is back with the reviewer."))
            return redirect("claims:detail", claim.pk)
    return _detail(request, claim, respond_form=form)


@login_required
@require_POST
def comment_post(request: HttpRequest, pk: int) -> HttpResponse:
    if refused := _no_role(request, pk):
        return refused
    claim = get_claim_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(claim=claim, actor=request.user, body=form.cleaned_data["body"])
        except DomainError as exc:
            _refusal(request, exc)
        else:
            return redirect(reverse("claims:detail", args=[claim.pk]) + "#comments")
    return _detail(request, claim, comment_form=form)


@partner_required
def claim_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_withdraw(
                claim=claim, actor=request.user, reason=form.cleaned_data["reason"], message=form.cleaned_data["message"]
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("The claim was withdrawn and is now rejected at your request."))
        return redirect("claims:detail", claim.pk)
    return render(request, "claims/withdraw.html", {"claim": claim, "form": form})


@partner_required
def claim_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
    form = DisputeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_dispute(
                claim=claim,
                actor=request.user,
                justification=form.cleaned_data["justification"],
                files=form.cleaned_data["files"],
            )
        except DomainError as exc:
            for item in exc.errors:
                form.add_error("justification" if item.field in ("justification", None) else "files", item.message)
        else:
            messages.success(
                request,
                _("Dispute sent. A reviewer will decide within %(period)s.")
                % {"period": clock_length(DeadlineKind.DISPUTE_DECISION)},
            )
            return redirect("claims:detail", claim.pk)
    return render(request, "claims/dispute.html", {"claim": claim, "form": form, "dispute": dispute_status(claim)})


@partner_required
@require_POST
def claim_delete(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk, page=False)
    try:
        services.claim_delete(claim=claim, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
        return redirect("claims:detail", claim.pk)
    messages.success(request, _("Draft deleted."))
    return redirect("claims:list")


def poe_checklist(request: HttpRequest) -> HttpResponse:
    """A printable PDF checklist of what reviewers look for in proof of execution."""
    lines = [str(line) for line in POE_CHECKLIST]
    response = HttpResponse(text_pdf(str(_("Proof of execution checklist")), lines), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="cpor-poe-checklist.pdf"'
    return response


def poe_requirements(request: HttpRequest) -> HttpResponse:
    """What the PoE pre-check looks for, one anchor per requirement (the warnings link here)."""
    requirements = [
        {"code": code, "reason_label": InfoRequestReason(reason).label, **precheck.REQUIREMENTS[code]}
        for code, reason in precheck.CHECKS.items()
    ]
    return render(request, "claims/poe_requirements.html", {"requirements": requirements})


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.user.is_reviewer:  # links in emails lead reviewers to their own page
        return redirect("reviews:review", pk)
    if refused := _no_role(request, pk):
        return refused
    return _detail(request, get_claim_for_user(request.user, pk))


def _detail(request: HttpRequest, claim: Claim, **forms) -> HttpResponse:
    claim = with_page_relations(claim, request.user)  # an action's claim, loaded without them
    is_owner = request.user.is_partner and claim.company_id == request.user.company_id
    status = 400 if forms else 200
    # The arbitration and duplicate warnings, while the partner can still act on them.
    conflicts, duplicates = claim_warnings(claim) if is_owner and claim.state not in DECIDED_STATES else ([], [])
    return render(
        request,
        "claims/detail.html",
        {
            "claim": claim,
            "is_owner": is_owner,
            "rejection_reason": RejectionReason(claim.rejection_reason).label if claim.rejection_reason else "",
            "withdraw_reason": withdraw_reason(claim),
            "info_reasons": [InfoRequestReason(r).label for r in claim.info_request_reasons if r in InfoRequestReason.values],
            "timeline": timeline(claim),
            "dispute": dispute_status(claim),
            "evidence_form": EvidenceForm(),
            "comment_form": forms.get("comment_form") or CommentForm(),
            "respond_form": forms.get("respond_form") or RespondForm(),
            "can_edit": is_owner and bool(edit_scope(claim.state)),
            "can_withdraw": is_owner and can_proceed(claim.withdraw),
            "conflicts": conflicts,
            "duplicates": duplicates,
            "association_ended": association_ended_text(claim) if claim.association_ended_at else "",
            "ended_products": list(
                claim.associations.filter(end_reason="arbitration", ended_at__isnull=False).values_list(
                    "product__name", flat=True
                )
            )
            if claim.state == ClaimState.APPROVED
            else [],
            "max_mb": settings.CPOR_EVIDENCE_MAX_BYTES // (1024 * 1024),
            # The PoE pre-check's warnings, while the partner can still act on them.
            "precheck": precheck.claim_checks(claim) if is_owner and claim.state not in DECIDED_STATES else None,
            "inline_types": INLINE_TYPES,
            "product_names": catalog_names(),
        },
        status=status,
    )


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    if refused := _no_role(request, pk):
        return refused
    claim = get_claim_for_user(request.user, pk)  # another company's claim: 404
    evidence = downloadable(request.user, claim.pk, evidence_id)
    response = evidence and evidence_response(evidence, inline=request.GET.get("inline") == "1")
    if response is None:
        raise Http404
    return response


@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page from the approval email. No account; the signed link is the key."""
    data = read_token(token)
    claim = None
    if data is not None:
        claim = (
            Claim.objects.select_related("company", "tenant")
            .prefetch_related(Prefetch("products", queryset=ClaimProduct.objects.select_related("product")))
            .filter(pk=data.claim_id)
            .first()
        )
    if claim is None or claim.consent_nonce.hex != data.nonce:
        return render(request, "claims/consent_invalid.html", {"why": "invalid"}, status=404)
    # The visitor's picked language, else their browser's, else the language of the email that linked here.
    i18n.use_language_unless_picked(request, claim.customer_contact_language)
    if claim.state == ClaimState.REJECTED and claim.rejection_reason == RejectionReason.CUSTOMER_DENIAL:
        return render(request, "claims/consent_invalid.html", {"why": "denied", "claim": claim})
    error = None
    if request.method == "POST" and request.POST.get("confirmed") != "1":
        # A denial cannot be undone: one confirmation step, a plain form (no JavaScript needed).
        if claim.state == ClaimState.APPROVED and claim.deadline_at and not claim.is_deadline_passed:
            reason = request.POST.get("reason", "")[: max_length(Claim, "rejection_message")]
            return render(request, "claims/consent.html", {"claim": claim, "confirm": True, "reason": reason})
    elif request.method == "POST":
        try:
            services.consent_deny(claim_id=claim.pk, nonce=data.nonce, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            error = exc
        else:
            return render(request, "claims/consent_done.html", {"claim": claim})
    if claim.state != ClaimState.APPROVED or not claim.deadline_at or claim.is_deadline_passed:
        return render(request, "claims/consent_invalid.html", {"why": "closed", "claim": claim})
    return render(request, "claims/consent.html", {"claim": claim, "error": error})


# --- Insights --------------------------------------------------------------------------


def _insight_periods(chart: insights.Chart) -> list:
    """The chart's periods as the table shows them: dates (formatted in the reader's language
    by the template) or the label of a range."""
    from datetime import date as date_cls

    if chart.period == insights.BUCKET:
        return [str(chart.period_labels.get(p, p)) for p in chart.periods]
    return [date_cls.fromisoformat(p) for p in chart.periods]


def render_insights(request: HttpRequest, *, template: str, charts_of, default_days: int, download_url: str) -> HttpResponse:
    """An insights page (partner's or reviewer's): the filters, each chart with its table and
    downloads, and the charts' data for static/js/insights.js (a json_script block: no inline
    script). `charts_of(filters, now)` is the one function that computes the series."""
    now = timezone.now()
    filters, errors = insights.parse_filters(request.GET, today=timezone.localdate(now), default_days=default_days)
    charts = charts_of(filters, now)
    query = urlencode(filters.query())
    sections = [
        {
            "chart": chart,
            "header": chart.header(),
            "rows": list(zip(_insight_periods(chart), (row[1:] for row in chart.rows()), strict=True)),
            "csv": f"{reverse(download_url, args=[chart.key, 'csv'])}?{query}",
            "xlsx": f"{reverse(download_url, args=[chart.key, 'xlsx'])}?{query}",
        }
        for chart in charts
    ]
    return render(
        request,
        template,
        {
            "filters": filters,
            "errors": [(name, MESSAGES[code]) for name, code in errors.items()],
            "sections": sections,
            "data": {"charts": [c.as_dict() for c in charts]},
            "areas": SolutionArea.choices,
            "products": Product.objects.order_by("solution_area", "name").values_list("code", "name"),
            "query": query,
        },
    )


def insights_download(request: HttpRequest, *, charts_of, default_days: int, chart: str, fmt: str, name: str) -> HttpResponse:
    """One chart's table as CSV or XLSX: the page's numbers (the same function computes them)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    now = timezone.now()
    filters, _errors = insights.parse_filters(request.GET, today=timezone.localdate(now), default_days=default_days)
    found = insights.find_chart(charts_of(filters, now), chart)
    if found is None:
        raise Http404
    if fmt == "csv":
        body, content_type = insights.csv_bytes(found), "text/csv; charset=utf-8"
    else:
        body, content_type = insights.xlsx_bytes(found), insights.XLSX_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}-{found.key}-{now:%Y%m%d}.{fmt}"'
    return response


PARTNER_INSIGHT_DAYS = 365


def _partner_charts(request: HttpRequest):
    return lambda filters, now: insights.partner_insights(request.user.company_id, filters, now=now)


@partner_required
def claim_insights(request: HttpRequest) -> HttpResponse:
    """Charts of the company's own claims (every claims role): the same numbers as the API."""
    return render_insights(
        request,
        template="claims/insights.html",
        charts_of=_partner_charts(request),
        default_days=PARTNER_INSIGHT_DAYS,
        download_url="claims:insights-download",
    )


@partner_required
def claim_insights_download(request: HttpRequest, chart: str, fmt: str) -> HttpResponse:
    return insights_download(
        request, charts_of=_partner_charts(request), default_days=PARTNER_INSIGHT_DAYS, chart=chart, fmt=fmt, name="cpor-insights"
    )
