"""Staff's view of the email outbox: emails given up after days of retries, with "retry"."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from claims import outbox
from claims.choices import NotificationStatus
from claims.models import Notification

from .views import reviewer_required


def failed_email_count(request: HttpRequest) -> dict:
    """Context processor: the number beside the failed-emails link in reviewers' headers. A
    callable, so its one query runs only on pages that show it, and only for reviewers."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_reviewer:
        return {}
    return {"failed_emails": outbox.failed_count}


@reviewer_required
def failed_emails(request: HttpRequest) -> HttpResponse:
    page = Paginator(outbox.failed(), 50).get_page(request.GET.get("page"))
    retrying = Notification.objects.filter(status=NotificationStatus.PENDING, attempts__gt=0).count()
    return render(request, "reviews/outbox.html", {"page": page, "emails": page.object_list, "retrying": retrying})


@reviewer_required
@require_POST
def retry_emails(request: HttpRequest) -> HttpResponse:
    if request.POST.get("all") == "1":
        ids = list(outbox.failed().values_list("pk", flat=True))
    else:
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    n = outbox.retry(notification_ids=ids)
    if n:
        outbox_drain_soon(ids)
    messages.success(
        request, ngettext("%(n)d email will be sent again now.", "%(n)d emails will be sent again now.", n) % {"n": n}
    )
    return redirect("reviews:outbox")


def outbox_drain_soon(ids: list[int]) -> None:
    from claims.notifications import request_delivery

    request_delivery(ids)
