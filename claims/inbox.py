"""The in-app notifications page: the history of the claims the signed-in user follows
(claims.feed: their company's claims, what their role follows of them), newest first, worded
in the reader's language when shown, with unread counts in the page header and per claim."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import feed
from .presentation import catalog_names


def unread_notifications(request: HttpRequest) -> dict:
    """Context processor. A callable, so the count query runs only on pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    return {"unread_notifications": lambda: feed.unread_count(user)}


def _back(request: HttpRequest):
    page = request.POST.get("page", "")
    url = reverse("notifications")
    return redirect(f"{url}?page={int(page)}" if page.isdigit() else url)


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = feed.feed(user).select_related("claim", "actor").order_by("-pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    events = list(page.object_list)
    unread_ids, per_claim = feed.page_rows(user, events)
    items = [{"event": e, "unread": e.pk in unread_ids, "claim_unread": per_claim.get(e.claim_id, 0)} for e in events]
    return render(
        request,
        "claims/notifications.html",
        {
            "page": page,
            "items": items,
            "follows": bool(feed.follows(user)),
            "any_unread": bool(unread_ids) or feed.unread_count(user) > 0,
            "newest": events[0].pk if events and page.number == 1 else None,
            "product_names": catalog_names(),
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, event_id: int) -> HttpResponse:
    if not feed.mark_read(request.user, event_id):
        raise Http404
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    up_to = request.POST.get("up_to", "")
    feed.mark_all_read(request.user, int(up_to) if up_to.isdigit() else None)
    return _back(request)
