"""The insights' numbers through the API: the same function that draws the page computes them
(claims.insights.partner_insights, reviews.insights.review_insights)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import insights
from claims.access import require_partner
from claims.choices import SolutionArea
from claims.errors import ErrorCollector

from .errors import error_responses


class PointSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("The first day of the month or week (YYYY-MM-DD), the day, or a range's key."))
    value = serializers.FloatField(
        allow_null=True, help_text=_("Null where there is nothing to measure (no decisions that month).")
    )


class SeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    points = PointSerializer(many=True)


class ChartSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["bar", "stacked", "line"])
    unit = serializers.ChoiceField(choices=["count", "percent", "days"])
    period = serializers.ChoiceField(choices=[insights.MONTH, insights.WEEK, insights.DAY, insights.BUCKET])
    period_labels = serializers.DictField(child=serializers.CharField(), help_text=_("Labels of range keys."))
    series = SeriesSerializer(many=True)


class InsightsSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField()
    solution_area = serializers.CharField(allow_null=True)
    product = serializers.CharField(allow_null=True)
    charts = ChartSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


def filter_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("from", str, description="First day of the period, YYYY-MM-DD (default: a year ago for claims, 26 weeks for reviews)."),
        OpenApiParameter("to", str, description="Last day of the period, YYYY-MM-DD (default: today). At most three years after `from`."),
        OpenApiParameter("solution_area", str, enum=SolutionArea.values),
        OpenApiParameter("product", str, description="A product code (catalog)."),
    ]  # fmt: skip


def insights_response(request, *, charts_of, default_days: int) -> Response:
    """Parses the filters (every wrong one is an error, never ignored), computes the charts."""
    now = timezone.now()
    filters, errors = insights.parse_filters(request.query_params, today=timezone.localdate(now), default_days=default_days)
    collector = ErrorCollector()
    for name, code in errors.items():
        collector.add(code, name)
    collector.raise_if_any()
    charts = charts_of(filters, now)
    return Response(
        {
            "from": filters.start,
            "to": filters.end,
            "solution_area": filters.solution_area or None,
            "product": filters.product or None,
            "charts": [c.as_dict() for c in charts],
        }
    )


PARTNER_DAYS = 365


class ClaimInsightsView(APIView):
    @extend_schema(
        operation_id="insights_claims",
        parameters=filter_parameters(),
        responses={200: InsightsSerializer, **error_responses(400, 401, 403)},
        description=str(
            _(
                "Your company's claims as named series of {period, value} points: claims by status per month, approval "
                "rate, median days to decision, reasons for requests for information and rejections, active "
                "associations, deadlines in the next 14 days. The numbers of the insights page."
            )
        ),
    )
    def get(self, request):
        require_partner(request.user)
        company = request.user.company_id
        return insights_response(
            request,
            charts_of=lambda f, now: insights.partner_insights(company, f, now=now),
            default_days=PARTNER_DAYS,
        )
