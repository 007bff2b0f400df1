"""Partner-facing pages. Thin: access helper, service, render."""

from __future__ import annotations

import csv
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_fsm import can_proceed

from cpor import i18n

from . import services
from .choices import LIMITED_EDIT_STATES, ClaimState, InfoRequestReason, RejectionReason
from .consent import read_token
from .errors import MESSAGES, DomainError
from .forms import ClaimForm, CommentForm, DisputeForm, EvidenceForm, RespondForm, WithdrawForm
from .models import Claim, ClaimEvidence
from .pdf import text_pdf
from .presentation import POE_CHECKLIST, dispute_status, timeline
from .selectors import active_associations, claims_for_company, get_claim_for_user, visible_claims

INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


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
            return render(request, "claims/no_role.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _own_claim(request: HttpRequest, pk: int) -> Claim:
    """The partner's own company's claim, else 404 (never reveal another company's)."""
    claim = get_claim_for_user(request.user, pk)
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
    page = Paginator(claims_for_company(request.user.company_id, **params), 25).get_page(request.GET.get("page"))
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


@partner_required
def claim_export(request: HttpRequest) -> StreamingHttpResponse:
    """The dashboard's rows (same filter, search and sort) as CSV, streamed."""
    params = _list_params(request)
    claims = claims_for_company(request.user.company_id, **params)

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    # Headers and labels in the reader's language; times stay ISO 8601 (UTC) for spreadsheets.
    header = [
        _("ID"), _("Claim name"), _("Status"), _("Customer"), _("Tenant ID"), _("Customer domain"), _("Solution area"),
        _("Activity"), _("Products"), _("MPN ID"), _("Next deadline"), _("Deadline (UTC)"), _("Rejection reason"),
        _("Created (UTC)"), _("Submitted (UTC)"),
    ]  # fmt: skip

    def rows():
        yield "\ufeff" + writer.writerow(header)  # BOM: Excel opens UTF-8 correctly
        for c in claims.iterator(chunk_size=500):
            products = "; ".join(
                f"{cp.product.name} ({cp.subscription.subscription_id})" if cp.subscription else cp.product.name
                for cp in c.products.all()
            )
            yield writer.writerow(
                [
                    c.pk, c.name, c.get_state_display(), c.tenant.name if c.tenant else "", c.customer_tenant_id or "",
                    c.customer_domain, c.get_solution_area_display(), c.get_activity_display(), products,
                    c.mpn.mpn_id if c.mpn else "", c.get_deadline_kind_display() if c.deadline_kind else "",
                    c.deadline_at.isoformat() if c.deadline_at else "", RejectionReason(c.rejection_reason).label if c.rejection_reason else "",
                    c.created_at.isoformat(), c.submitted_at.isoformat() if c.submitted_at else "",
                ]
            )  # fmt: skip

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cpor-claims-{timezone.now():%Y%m%d}.csv"'
    return response


@partner_required
def association_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(active_associations(request.user.company_id).order_by("-started_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "claims/associations.html", {"page": page, "associations": page.object_list})


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
    if claim.state not in (ClaimState.EDITING, *LIMITED_EDIT_STATES):
        messages.error(request, MESSAGES["not_editable"])
        return redirect("claims:detail", claim.pk)
    limited = claim.state != ClaimState.EDITING
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
    claim = _own_claim(request, pk)
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
@require_POST
def evidence_delete(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    claim = _own_claim(request, pk)
    evidence = get_object_or_404(ClaimEvidence, pk=evidence_id, claim=claim)
    try:
        services.evidence_remove(evidence=evidence, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("%(file)s removed.") % {"file": evidence.original_name})
    return redirect(reverse("claims:detail", args=[claim.pk]) + "#evidence")


@partner_required
@require_POST
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
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
            % {"date": formats.date_format(timezone.localtime(claim.deadline_at), "DATETIME_FORMAT")},
        )
    return redirect("claims:detail", claim.pk)


@partner_required
@require_POST
def claim_respond(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
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
            messages.success(request, _("Dispute sent. A reviewer will decide within 5 business days."))
            return redirect("claims:detail", claim.pk)
    return render(request, "claims/dispute.html", {"claim": claim, "form": form, "dispute": dispute_status(claim)})


@partner_required
@require_POST
def claim_delete(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
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


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.user.is_reviewer:  # links in emails lead reviewers to their own page
        return redirect("reviews:review", pk)
    return _detail(request, get_claim_for_user(request.user, pk))


def _detail(request: HttpRequest, claim: Claim, **forms) -> HttpResponse:
    is_owner = request.user.is_partner and claim.company_id == request.user.company_id
    status = 400 if forms else 200
    return render(
        request,
        "claims/detail.html",
        {
            "claim": claim,
            "is_owner": is_owner,
            "rejection_reason": RejectionReason(claim.rejection_reason).label if claim.rejection_reason else "",
            "info_reasons": [InfoRequestReason(r).label for r in claim.info_request_reasons if r in InfoRequestReason.values],
            "timeline": timeline(claim),
            "dispute": dispute_status(claim),
            "evidence_form": EvidenceForm(),
            "comment_form": forms.get("comment_form") or CommentForm(),
            "respond_form": forms.get("respond_form") or RespondForm(),
            "can_edit": is_owner and claim.state in (ClaimState.EDITING, *LIMITED_EDIT_STATES),
            "can_withdraw": is_owner and can_proceed(claim.withdraw),
            "max_mb": settings.CPOR_EVIDENCE_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    claim_ids = visible_claims(request.user).filter(pk=pk).values("pk")
    evidence = ClaimEvidence.objects.filter(pk=evidence_id, claim_id__in=claim_ids).first()
    if evidence is None:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    # PDFs and images may open in the browser (reviewers read PoE there); the stored type
    # comes from our own allow-list and nosniff is on, so nothing else is rendered inline.
    inline = request.GET.get("inline") == "1" and evidence.content_type in INLINE_TYPES
    return FileResponse(handle, as_attachment=not inline, filename=evidence.original_name, content_type=evidence.content_type)


@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page from the approval email. No account; the signed link is the key."""
    data = read_token(token)
    claim = None
    if data is not None:
        claim = (
            Claim.objects.select_related("company", "tenant")
            .prefetch_related("products__product")
            .filter(pk=data.claim_id)
            .first()
        )
    if claim is None or claim.consent_nonce.hex != data.nonce:
        return render(request, "claims/consent_invalid.html", {"why": "invalid"}, status=404)
    # The page speaks the language of the email that linked here, unless the visitor picked another.
    i18n.use_language_unless_picked(request, claim.customer_contact_language)
    if claim.state == ClaimState.REJECTED and claim.rejection_reason == RejectionReason.CUSTOMER_DENIAL:
        return render(request, "claims/consent_invalid.html", {"why": "denied", "claim": claim})
    error = None
    if request.method == "POST":
        try:
            services.consent_deny(claim_id=claim.pk, nonce=data.nonce, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            error = exc
        else:
            return render(request, "claims/consent_done.html", {"claim": claim})
    if claim.state != ClaimState.APPROVED or not claim.deadline_at or claim.is_deadline_passed:
        return render(request, "claims/consent_invalid.html", {"why": "closed", "claim": claim})
    return render(request, "claims/consent.html", {"claim": claim, "error": error})
