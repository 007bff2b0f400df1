from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import review_queue


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not request.user.is_reviewer:
        return render(request, "claims/no_role.html", {"reviewer_page": True}, status=403)
    page = Paginator(review_queue(), 50).get_page(request.GET.get("page"))
    return render(request, "reviews/queue.html", {"page": page, "claims": page.object_list})
