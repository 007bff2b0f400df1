from django.urls import path

from . import outbox_views, views

app_name = "reviews"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("overview/", views.reviewer_overview, name="overview"),
    path("outbox/", outbox_views.failed_emails, name="outbox"),
    path("outbox/retry/", outbox_views.retry_emails, name="outbox-retry"),
    path("assign/", views.bulk_assign, name="bulk-assign"),
    path("claims/<int:pk>/", views.review, name="review"),
    path("claims/<int:pk>/start/", views.start, name="start"),
    path("claims/<int:pk>/assign/", views.assign, name="assign"),
    path("claims/<int:pk>/request-info/", views.request_info, name="request-info"),
    path("claims/<int:pk>/approve/", views.approve, name="approve"),
    path("claims/<int:pk>/reject/", views.reject, name="reject"),
]
