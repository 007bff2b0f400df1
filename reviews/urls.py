from django.urls import path

from claims.actions import REVIEWER, endpoints

from . import outbox_views, views

app_name = "reviews"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("overview/", views.reviewer_overview, name="overview"),
    path("insights/", views.insights_page, name="insights"),
    path("insights/<slug:chart>.<str:fmt>", views.insights_download_view, name="insights-download"),
    path("outbox/", outbox_views.failed_emails, name="outbox"),
    path("outbox/retry/", outbox_views.retry_emails, name="outbox-retry"),
    path("assign/", views.bulk_assign, name="bulk-assign"),
    path("claims/<int:pk>/", views.review, name="review"),
    path("claims/<int:pk>/assign/", views.assign, name="assign"),
    # Every reviewer action of the registry (claims.actions): start, request-info, approve, reject …
    *(path(f"claims/<int:pk>/{a.page_path}/", views.act, {"action": a.name}, name=a.page_path) for a in endpoints(REVIEWER)),
]
