from django.urls import path

from reviews import api as review_api

from . import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("claims/", views.ClaimListView.as_view(), name="api-claims"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="api-claim"),
    path("claims/<int:pk>/evidence/", views.EvidenceListView.as_view(), name="api-evidence"),
    path("claims/<int:pk>/evidence/<int:evidence_id>/", views.EvidenceDownloadView.as_view(), name="api-evidence-file"),
    path("claims/<int:pk>/submit/", views.submit, name="api-submit"),
    path("claims/<int:pk>/respond/", views.respond, name="api-respond"),
    path("claims/<int:pk>/withdraw/", views.withdraw, name="api-withdraw"),
    path("claims/<int:pk>/dispute/", views.DisputeView.as_view(), name="api-dispute"),
    path("claims/<int:pk>/comments/", views.CommentsView.as_view(), name="api-comments"),
    path("claims/<int:pk>/comments/<int:comment_id>/", views.CommentView.as_view(), name="api-comment"),
    path("claims/<int:pk>/history/", views.HistoryView.as_view(), name="api-history"),
    path("claims/<int:pk>/start-review/", review_api.start_review, name="api-start-review"),
    path("claims/<int:pk>/request-info/", review_api.request_info, name="api-request-info"),
    path("claims/<int:pk>/approve/", review_api.approve, name="api-approve"),
    path("claims/<int:pk>/reject/", review_api.reject, name="api-reject"),
    path("claims/<int:pk>/competing/", review_api.CompetingView.as_view(), name="api-competing"),
    path("associations/", views.AssociationsView.as_view(), name="api-associations"),
    path("mpns/", views.MpnsView.as_view(), name="api-mpns"),
    path("catalog/", views.CatalogView.as_view(), name="api-catalog"),
    path("review/queue/", review_api.QueueView.as_view(), name="api-review-queue"),
    path("review/assign/", review_api.BulkAssignView.as_view(), name="api-review-assign"),
    path("review/sla/", review_api.SlaView.as_view(), name="api-review-sla"),
]
