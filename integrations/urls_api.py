from django.urls import path

from . import api

urlpatterns = [
    path("webhooks/", api.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", api.WebhookDetailView.as_view(), name="api-webhook"),
    path("webhooks/<int:pk>/rotate-secret/", api.WebhookRotateView.as_view(), name="api-webhook-rotate"),
    path("webhooks/<int:pk>/test/", api.WebhookTestView.as_view(), name="api-webhook-test"),
    path("webhooks/<int:pk>/deliveries/", api.WebhookDeliveriesView.as_view(), name="api-webhook-deliveries"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        api.WebhookRedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
]
