"""The in-app notifications page: what was emailed to the signed-in user, newest first,
and the unread count in the page header."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import outbox
from .models import Notification, User


def _mine(user: User):
    return Notification.objects.filter(to=user.email).select_related("claim__company", "claim__tenant", "event")


def unread_count(user: User) -> int:
    if not user.email:
        return 0
    qs = Notification.objects.filter(to=user.email)
    if user.notifications_seen_at:
        qs = qs.filter(created_at__gt=user.notifications_seen_at)
    return qs.count()


def unread_notifications(request: HttpRequest) -> dict:
    """Context processor. A callable, so the count query runs only on pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": lambda: unread_count(user)}


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    seen_before = user.notifications_seen_at
    page = Paginator(_mine(user).order_by("-created_at", "-pk") if user.email else Notification.objects.none(), 50)
    page = page.get_page(request.GET.get("page"))
    # The outbox stores what to render; the page renders each email as it was (or will be) sent.
    rows = []
    for n in page.object_list:
        message = outbox.render(n, n.claim)
        rows.append(
            {
                "n": n,
                "subject": message.subject,
                "body": message.body,
                "unread": seen_before is None or n.created_at > seen_before,
            }
        )
    # Opening the page reads them: the header count starts again from here.
    User.objects.filter(pk=user.pk).update(notifications_seen_at=timezone.now())
    return render(request, "claims/notifications.html", {"page": page, "rows": rows})
