from django.urls import path

from . import views

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="list"),
    path("export.csv", views.claim_export, name="export"),
    path("export.xlsx", views.claim_export_xlsx, name="export-xlsx"),
    path("associations/", views.association_list, name="associations"),
    path("insights/", views.claim_insights, name="insights"),
    path("insights/<slug:chart>.<str:fmt>", views.claim_insights_download, name="insights-download"),
    path("new/", views.claim_create, name="create"),
    path("conflicts/", views.conflicts_check, name="conflicts"),
    path("poe-checklist.pdf", views.poe_checklist, name="poe-checklist"),
    path("poe-requirements/", views.poe_requirements, name="poe-requirements"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/edit/", views.claim_edit, name="edit"),
    path("<int:pk>/submit/", views.claim_submit, name="submit"),
    path("<int:pk>/respond/", views.claim_respond, name="respond"),
    path("<int:pk>/comments/", views.comment_post, name="comment"),
    path("<int:pk>/withdraw/", views.claim_withdraw, name="withdraw"),
    path("<int:pk>/dispute/", views.claim_dispute, name="dispute"),
    path("<int:pk>/delete/", views.claim_delete, name="delete"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence-upload"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("<int:pk>/evidence/<int:evidence_id>/delete/", views.evidence_delete, name="evidence-delete"),
]
