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
    path("imports/", api.ImportListView.as_view(), name="api-imports"),
    path("imports/template.csv", api.ImportTemplateCsvView.as_view(), name="api-import-template-csv"),
    path("imports/template.xlsx", api.ImportTemplateXlsxView.as_view(), name="api-import-template-xlsx"),
    path("imports/<int:pk>/", api.ImportDetailView.as_view(), name="api-import"),
    path("imports/<int:pk>/rows/", api.ImportRowsView.as_view(), name="api-import-rows"),
    path("imports/<int:pk>/commit/", api.ImportCommitView.as_view(), name="api-import-commit"),
    path("imports/<int:pk>/rejected.csv", api.ImportRejectedView.as_view(), name="api-import-rejected"),
]
