from django.urls import path

from . import api

urlpatterns = [
    path("claims/<int:pk>/competing/", api.CompetingView.as_view(), name="api-competing"),
    path("review/queue/", api.QueueView.as_view(), name="api-review-queue"),
    path("review/assign/", api.BulkAssignView.as_view(), name="api-review-assign"),
    path("review/sla/", api.SlaView.as_view(), name="api-review-sla"),
    path("review/insights/", api.ReviewInsightsView.as_view(), name="api-review-insights"),
]
