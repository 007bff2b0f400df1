"""Reviewer pages. Partners and other users get a 403 page that says these are for reviewers."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from claims import precheck
from claims.actions import REGISTRY, REVIEWER, ClaimAction, endpoints
from claims.choices import InfoRequestReason, RejectionReason, SolutionArea
from claims.competition import competitors
from claims.errors import MESSAGES, DomainError
from claims.forms import CommentForm
from claims.models import Claim
from claims.presentation import catalog_names, timeline, withdraw_reason
from claims.selectors import get_claim_for_user, with_page_relations
from claims.states import STATES
from claims.views import insights_download, render_insights

from . import services
from .forms import AssignForm
from .insights import review_insights
from .selectors import (
    FILTER_KEYS,
    FILTER_LABELS,
    QUEUE_SORTS,
    CountedPaginator,
    overview,
    queue_counts,
    queue_generation,
    queue_rows,
)


def reviewer_required(view):
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_reviewer:
            return render(request, "claims/no_role.html", {"reviewer_page": True}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


QUEUE_COLUMNS = [
    ("claim", _lazy("Claim")), ("partner", _lazy("Partner")), ("customer", _lazy("Customer")), (None, _lazy("Products")),
    ("status", _lazy("Status")), ("assigned", _lazy("Assigned to")), ("deadline", _lazy("Deadline")),
]  # fmt: skip


def _queue_params(request: HttpRequest) -> dict:
    show = request.GET.get("show", "")
    area = request.GET.get("area", "")
    sort = request.GET.get("sort", "")
    return {
        "show": show if show in FILTER_KEYS else "",
        "area": area if area in SolutionArea.values else "",
        "q": request.GET.get("q", "")[:100],
        "sort": sort if sort.lstrip("-") in QUEUE_SORTS else "",
    }


@reviewer_required
def queue(request: HttpRequest) -> HttpResponse:
    params = _queue_params(request)
    # One read of the queue's state for the counts and the rows (a search counts as it is asked).
    generation = None if params["q"].strip() else queue_generation()
    counts = queue_counts(me=request.user, area=params["area"], q=params["q"], generation=generation)
    total = counts[params["show"] or "all"]
    rows = queue_rows(me=request.user, **params, generation=generation)
    page = CountedPaginator(rows, 50, total=total).get_page(request.GET.get("page"))
    keep = {k: v for k, v in params.items() if v}
    return render(
        request,
        "reviews/queue.html",
        {
            "page": page,
            "claims": page.object_list,
            **params,
            "keep": urlencode(keep),
            "keep_filters": urlencode({k: v for k, v in keep.items() if k != "sort"}),
            "areas": SolutionArea.choices,
            "columns": QUEUE_COLUMNS,
            "filters": [("", _("All"), counts["all"])] + [(k, FILTER_LABELS[k], counts[k]) for k in FILTER_KEYS],
            "assign_form": AssignForm(),
            "next_url": request.get_full_path(),
        },
    )


@reviewer_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assigns every selected claim to one reviewer; each claim is its own decision."""
    form = AssignForm(request.POST)
    ids = [int(v) for v in request.POST.getlist("claims") if v.isdigit()][:200]
    back = request.POST.get("next", "")
    back = back if back.startswith("/review/") else reverse("reviews:queue")
    if not ids or not form.is_valid():
        # Each missing input says what to do, with the code's message (claims.errors).
        if not ids:
            messages.error(request, MESSAGES["no_claims_selected"])
        if not form.is_valid():
            messages.error(request, MESSAGES["not_a_reviewer"])
        return redirect(back)
    assignee = form.cleaned_data["assignee"]
    done, refused = [], []
    for claim in Claim.objects.filter(pk__in=ids).order_by("pk"):
        try:
            services.review_assign(claim=claim, reviewer=request.user, assignee=assignee)
        except DomainError:
            refused.append(f"#{claim.pk}")
        else:
            done.append(f"#{claim.pk}")
    if done:
        messages.success(request, _("Assigned to %(name)s: %(claims)s.") % {"name": assignee.username, "claims": ", ".join(done)})
    if refused:
        messages.error(
            request,
            _("Not assigned (no longer waiting for a reviewer): %(claims)s.") % {"claims": ", ".join(refused)},
        )
    return redirect(back)


def _form(action: ClaimAction, claim: Claim, data=None):
    return import_string(action.form)(data, **action.form_kwargs(claim)) if action.form else None


def _review_page(request: HttpRequest, claim: Claim, *, status: int = 200, **forms) -> HttpResponse:
    claim = with_page_relations(claim, request.user)  # an action's claim, loaded without them
    for evidence in claim.evidence.all():  # the pre-check's checklist beside each file
        evidence.checklist = precheck.evidence_view(evidence)
    tenant_subscriptions = list(claim.tenant.subscriptions.select_related("product")) if claim.tenant else []
    now = timezone.now()
    mine = [a for a in endpoints(REVIEWER) if a.available(claim, request.user, now)]
    return render(
        request,
        "reviews/review.html",
        {
            "claim": claim,
            "timeline": timeline(claim),
            "competition": competitors(claim),
            "tenant_subscriptions": tenant_subscriptions,
            "info_reasons": [InfoRequestReason(r).label for r in claim.info_request_reasons if r in InfoRequestReason.values],
            "rejection_reason": RejectionReason(claim.rejection_reason).label if claim.rejection_reason else "",
            "withdraw_reason": withdraw_reason(claim),
            # What the reviewer may do now (claims.actions): actions without input are buttons.
            "can": {a.name: True for a in mine} | {"assign": STATES[claim.state].assignable},
            "buttons": [(reverse(f"reviews:{a.page_path}", args=[claim.pk]), a.label) for a in mine if not a.form],
            **{f"{a.name}_form": forms.get(f"{a.name}_form") or _form(a, claim) for a in endpoints(REVIEWER) if a.form},
            "assign_form": forms.get("assign_form") or AssignForm(initial={"assignee": claim.assigned_reviewer_id}),
            "comment_form": CommentForm(),
            "product_names": catalog_names(),
        },
        status=status,
    )


@reviewer_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, get_claim_for_user(request.user, pk))


def _act(request: HttpRequest, claim: Claim, form_name: str, form, call) -> HttpResponse:
    """Runs one reviewer action; a refusal re-renders the page with the errors in place."""
    if form is not None and not form.is_valid():
        return _review_page(request, claim, status=400, **{form_name: form})
    try:
        call(claim, form.cleaned_data if form is not None else {})
    except DomainError as exc:
        if form is None:
            for item in exc.errors:
                messages.error(request, item.message)
            return redirect("reviews:review", claim.pk)
        for item in exc.errors:
            if item.field in form.fields:
                form.add_error(item.field, item.message)
            else:  # e.g. invalid_transition: the form may not even be on the page now
                messages.error(request, item.message)
        # Re-read: the refusal may mean the claim moved on since this page was loaded.
        fresh = get_claim_for_user(request.user, claim.pk)
        return _review_page(request, fresh, status=409 if exc.http_status == 409 else 400, **{form_name: form})
    return redirect("reviews:review", claim.pk)


@reviewer_required
@require_POST
def act(request: HttpRequest, pk: int, *, action: str) -> HttpResponse:
    """Every reviewer action of the registry (claims.actions, reviews.actions): its form, its
    confirmation step if it has one (a plain form, works without JavaScript: the same inputs
    again, plus confirmed=1), its service, its message."""
    entry = REGISTRY[action]
    claim = get_claim_for_user(request.user, pk, page=False)  # the action redirects
    form = _form(entry, claim, request.POST)
    if entry.confirm and form is not None and form.is_valid() and request.POST.get("confirmed") != "1":
        step = entry.available(claim, request.user, timezone.now()) and entry.confirm(claim, form.cleaned_data)
        if step:
            fields = [(k, v) for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "confirmed", "form_token")]
            url = reverse(f"reviews:{entry.page_path}", args=[claim.pk])
            return render(request, "reviews/confirm.html", {"claim": claim, "action": url, "fields": fields, **step})

    def call(claim: Claim, data: dict) -> None:
        entry.run(claim, request.user, data, [])
        messages.success(request, entry.done(claim))

    return _act(request, claim, f"{entry.name}_form", form, call)


@reviewer_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    def call(claim, data):
        services.review_assign(claim=claim, reviewer=request.user, assignee=data["assignee"])
        messages.success(request, _("Assigned to %(name)s.") % {"name": data["assignee"].username})

    return _act(request, get_claim_for_user(request.user, pk, page=False), "assign_form", AssignForm(request.POST), call)


PERIODS = (7, 30, 90, 365)


@reviewer_required
def reviewer_overview(request: HttpRequest) -> HttpResponse:
    """The SLA dashboard over a chosen period: ?days=7|30|90|365, or ?from=&to= (dates, inclusive)."""
    now = timezone.now()
    days = request.GET.get("days", "")
    days = int(days) if days.isdigit() and int(days) in PERIODS else 30
    since = until = None
    start, end = parse_date(request.GET.get("from", "")[:10] or "x"), parse_date(request.GET.get("to", "")[:10] or "x")
    if start and end and start <= end:
        tz = timezone.get_current_timezone()
        since = datetime.combine(start, time.min, tzinfo=tz)
        until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    else:
        start = end = None
        since = now - timedelta(days=days)
    o = overview(now=now, since=since, until=until)
    return render(
        request,
        "reviews/overview.html",
        {
            "o": o,
            "periods": PERIODS,
            "days": days if start is None else None,
            "start": start,
            "end": end,
            "shown_until": end or now,
        },  # fmt: skip
    )


REVIEW_INSIGHT_DAYS = 182


def _review_charts(filters, now):
    return review_insights(filters, now=now)


@reviewer_required
def insights_page(request: HttpRequest) -> HttpResponse:
    """Charts of the review work (backlog, SLA, decisions, pickup, arbitrations): the same numbers as the API."""
    return render_insights(
        request,
        template="reviews/insights.html",
        charts_of=_review_charts,
        default_days=REVIEW_INSIGHT_DAYS,
        download_url="reviews:insights-download",
    )


@reviewer_required
def insights_download_view(request: HttpRequest, chart: str, fmt: str) -> HttpResponse:
    return insights_download(
        request, charts_of=_review_charts, default_days=REVIEW_INSIGHT_DAYS, chart=chart, fmt=fmt, name="cpor-review-insights"
    )
