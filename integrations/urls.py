from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_create, name="webhook-create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/rotate/", views.webhook_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook-test"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/", views.webhook_redeliver, name="webhook-redeliver"),
    path("imports/", views.import_list, name="imports"),
    path("imports/template.csv", views.import_template, {"kind": "csv"}, name="import-template-csv"),
    path("imports/template.xlsx", views.import_template, {"kind": "xlsx"}, name="import-template-xlsx"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/status/", views.import_status, name="import-status"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import-commit"),
    path("imports/<int:pk>/rejected.csv", views.import_rejected, name="import-rejected"),
]
