from django.urls import path

from . import views

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="list"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]
