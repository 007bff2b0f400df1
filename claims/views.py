"""Partner-facing pages. Thin: access helper, service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import services
from .choices import ClaimState, RejectionReason
from .consent import read_token
from .errors import DomainError
from .models import Claim, ClaimEvidence
from .selectors import claims_for_company, get_claim_for_user, visible_claims


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if user.is_reviewer:
        return redirect("reviews:queue")
    if user.is_partner:
        return redirect("claims:list")
    return render(request, "claims/no_role.html", status=403)


def _partner_or_no_role(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_partner:
        return render(request, "claims/no_role.html", status=403)
    return None


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    if refusal := _partner_or_no_role(request):
        return refusal
    state = request.GET.get("status") or None
    if state not in ClaimState.values:
        state = None
    page = Paginator(claims_for_company(request.user.company_id, state=state), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "claims/list.html",
        {"page": page, "claims": page.object_list, "states": ClaimState.choices, "current_state": state},
    )


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    return render(
        request,
        "claims/detail.html",
        {
            "claim": claim,
            "rejection_reason": RejectionReason(claim.rejection_reason).label if claim.rejection_reason else "",
        },
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
    return FileResponse(handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type)


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
