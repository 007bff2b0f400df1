"""Reviewer API endpoints: the queue, bulk assignment, SLA, the competing claims. The
reviewer's actions on a claim are endpoints of the registry (claims.actions, reviews.actions)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.access import require_reviewer
from claims.api import serializers as s
from claims.api.errors import error_responses
from claims.api.insights import InsightsSerializer, filter_parameters, insights_response
from claims.api.listing import list_rows, list_values
from claims.api.views import Pagination, choice_param, claim_for
from claims.choices import Role, SolutionArea
from claims.competition import competitors
from claims.errors import DomainError
from claims.lengths import max_length
from claims.models import Claim, User

from . import services
from .insights import review_insights
from .selectors import FILTER_KEYS, FILTER_LABELS, QUEUE_SORTS, CountedPaginator, queue_generation, queue_rows, queue_total
from .sla import sla_report


class QueueView(APIView):
    @extend_schema(
        operation_id="review_queue",
        parameters=[
            OpenApiParameter(
                "show",
                str,
                enum=list(FILTER_KEYS),
                description=", ".join(f"{key} ({label})" for key, label in FILTER_LABELS.items()),
            ),
            OpenApiParameter("area", str, enum=SolutionArea.values),
            OpenApiParameter("search", str, description="Claim number, partner, customer, domain or tenant ID (or its start)."),
            OpenApiParameter(
                "ordering",
                str,
                enum=[k for name in QUEUE_SORTS for k in (name, f"-{name}")],
                description="Sort column; '-' for descending. Default: overdue first, then the earliest deadline.",
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: s.PaginatedClaims, **error_responses(401, 403)},
    )
    def get(self, request):
        require_reviewer(request.user)
        show = choice_param(request, "show", FILTER_KEYS, "invalid_filter", "")
        area = choice_param(request, "area", SolutionArea.values, "invalid_filter", "")
        sorts = [*QUEUE_SORTS, *(f"-{k}" for k in QUEUE_SORTS)]
        ordering = choice_param(request, "ordering", sorts, "invalid_ordering", "")
        search = request.query_params.get("search", "")[:100]
        # One read of the queue's state for the total and the rows (a search counts as it is asked).
        generation = None if search.strip() else queue_generation()
        rows = queue_rows(
            me=request.user, show=show, area=area, q=search, sort=ordering, shape=list_values, generation=generation
        )
        # The total comes from the queue's cached filter counts, not a COUNT of the queue.
        total = queue_total(me=request.user, show=show, area=area, q=search, generation=generation)
        paginator = Pagination()
        paginator.django_paginator_class = partial(CountedPaginator, total=total)
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(list_rows(page))


class CompetingView(APIView):
    @extend_schema(operation_id="claims_competing", responses={200: s.CompetingSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk: int):
        claim = claim_for(request, pk)
        require_reviewer(request.user)
        return Response(s.CompetingSerializer(competitors(claim)).data)


class BulkAssignInSerializer(serializers.Serializer):
    claims = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=200)
    assignee = serializers.CharField(max_length=max_length(User, "username"), help_text=_("The reviewer's username."))


class BulkAssignOutSerializer(serializers.Serializer):
    assigned = serializers.ListField(child=serializers.IntegerField())
    refused = serializers.ListField(child=serializers.DictField(), help_text=_("[{id, code}] for claims not assigned."))


class BulkAssignView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="review_bulk_assign",
        request=BulkAssignInSerializer,
        responses={200: BulkAssignOutSerializer, **error_responses(400, 401, 403)},
        description=str(_("Assigns each listed claim to one reviewer; each claim is decided on its own.")),
    )
    def post(self, request):
        require_reviewer(request.user)
        ser = BulkAssignInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        assignee = User.objects.filter(username=ser.validated_data["assignee"], role=Role.REVIEWER).first()
        if assignee is None:
            raise DomainError.of("not_a_reviewer", "assignee")
        ids = list(dict.fromkeys(ser.validated_data["claims"]))
        found = {c.pk: c for c in Claim.objects.filter(pk__in=ids)}
        assigned, refused = [], []
        for pk in ids:
            if pk not in found:
                refused.append({"id": pk, "code": "not_found"})
                continue
            try:
                services.review_assign(claim=found[pk], reviewer=request.user, assignee=assignee)
            except DomainError as exc:
                refused.append({"id": pk, "code": exc.code})
            else:
                assigned.append(pk)
        return Response({"assigned": assigned, "refused": refused})


class SlaTallySerializer(serializers.Serializer):
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)


class SlaLateSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim.pk")
    name = serializers.CharField(source="claim.name")
    clock = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(source="at", allow_null=True, help_text=_("Null while still undecided."))
    reviewer = serializers.CharField()


class SlaSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    overall = SlaTallySerializer()
    clocks = serializers.DictField(child=SlaTallySerializer(), help_text=_("pickup, decision, dispute"))
    reviewers = serializers.DictField(child=SlaTallySerializer())
    late = SlaLateSerializer(many=True)


class SlaQuerySerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=[7, 30, 90, 365], required=False, default=30)


class SlaView(APIView):
    @extend_schema(
        operation_id="review_sla",
        parameters=[OpenApiParameter("days", int, enum=[7, 30, 90, 365], description="The period: the last N days (30).")],
        responses={200: SlaSerializer, **error_responses(400, 401, 403)},
        description=str(
            _(
                "SLA compliance over the period, every clock counted: review pickup (a claim the sweep moved is late), decision, dispute decision."
            )
        ),
    )
    def get(self, request):
        require_reviewer(request.user)
        query = SlaQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        report = sla_report(
            since=now - timedelta(days=int(query.validated_data["days"])), until=now + timedelta(seconds=1), now=now
        )
        return Response(
            SlaSerializer(
                {
                    "since": report.since,
                    "until": now,
                    "overall": report.overall,
                    "clocks": report.clocks,
                    "reviewers": {str(k): v for k, v in report.reviewers.items()},
                    "late": [{**row, "clock": str(row["clock"]), "reviewer": str(row["reviewer"])} for row in report.late],
                }
            ).data
        )


REVIEW_DAYS = 182


class ReviewInsightsView(APIView):
    @extend_schema(
        operation_id="review_insights",
        parameters=filter_parameters(),
        responses={200: InsightsSerializer, **error_responses(400, 401, 403)},
        description=str(
            _(
                "The review work as named series of {period, value} points: backlog by age, SLA met per clock per week, "
                "decisions per reviewer per week, time to pickup, arbitrations and disputes per month. The numbers of "
                "the review insights page."
            )
        ),
    )
    def get(self, request):
        require_reviewer(request.user)
        return insights_response(request, charts_of=lambda f, now: review_insights(f, now=now), default_days=REVIEW_DAYS)
