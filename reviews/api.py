"""Reviewer API endpoints: the queue, the decisions, the competing claims."""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.api import serializers as s
from claims.api.errors import error_responses
from claims.api.listing import list_rows, list_values
from claims.api.views import Pagination, _action, _as, choice_param, claim_for, require_reviewer
from claims.choices import SolutionArea
from claims.competition import competitors

from . import services
from .selectors import FILTER_KEYS, CountedPaginator, queue_total, review_queue


class QueueView(APIView):
    @extend_schema(
        operation_id="review_queue",
        parameters=[
            OpenApiParameter(
                "show",
                str,
                enum=list(FILTER_KEYS),
                description="overdue, competing, dispute, mine, unassigned, submitted, under_review",
            ),
            OpenApiParameter("area", str, enum=SolutionArea.values),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: s.PaginatedClaims, **error_responses(401, 403)},
    )
    def get(self, request):
        require_reviewer(request.user)
        show = choice_param(request, "show", FILTER_KEYS, "invalid_filter", "")
        area = choice_param(request, "area", SolutionArea.values, "invalid_filter", "")
        qs = review_queue(me=request.user, show=show, area=area)
        # The total comes from the queue's cached filter counts, not a COUNT of the queue.
        total = queue_total(me=request.user, show=show, area=area)
        paginator = Pagination()
        paginator.django_paginator_class = partial(CountedPaginator, total=total)
        page = paginator.paginate_queryset(list_values(qs), request, view=self)
        return paginator.get_paginated_response(list_rows(page))


class CompetingView(APIView):
    @extend_schema(operation_id="claims_competing", responses={200: s.CompetingSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        require_reviewer(request.user)
        return Response(s.CompetingSerializer(competitors(claim)).data)


def _reviewer(fn):
    return _as(require_reviewer, fn)


start_review = _action(
    "start_review", None,
    _reviewer(lambda r, c, d: services.review_start(claim=c, reviewer=r.user)),
    description=str(_("Submitted -> Under Review, assigned to the caller.")),
)  # fmt: skip
request_info = _action(
    "request_info", s.RequestInfoSerializer,
    _reviewer(lambda r, c, d: services.review_request_info(
        claim=c, reviewer=r.user, reasons=d["reasons"], message=d["message"], remove_products=d["remove_products"])),
    description=str(_("Under Review -> Partner Action Required, with reasons and a message (emailed to the partner).")),
)  # fmt: skip
approve = _action(
    "approve", s.ApproveSerializer,
    _reviewer(lambda r, c, d: services.review_approve(claim=c, reviewer=r.user, message=d["message"], rationale=d["rationale"])),
    description=str(_("Under Review -> Approved; the customer is emailed the consent link. Competing: rationale required.")),
)  # fmt: skip
reject = _action(
    "reject", s.RejectSerializer,
    _reviewer(lambda r, c, d: services.review_reject(claim=c, reviewer=r.user, reason=d["reason"], message=d["message"])),
    description=str(_("Under Review -> Rejected with a reason; final when it decides a dispute.")),
)  # fmt: skip
