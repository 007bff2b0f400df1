from django.urls import path

from claims.actions import endpoints

from . import insights, views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("claims/", views.ClaimListView.as_view(), name="api-claims"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="api-claim"),
    path("claims/<int:pk>/evidence/", views.EvidenceListView.as_view(), name="api-evidence"),
    path("claims/<int:pk>/evidence/<int:evidence_id>/", views.EvidenceDownloadView.as_view(), name="api-evidence-file"),
    path("claims/<int:pk>/comments/", views.CommentsView.as_view(), name="api-comments"),
    path("claims/<int:pk>/comments/<int:comment_id>/", views.CommentView.as_view(), name="api-comment"),
    path("claims/<int:pk>/history/", views.HistoryView.as_view(), name="api-history"),
    # Every action of the registry (claims.actions): submit, respond, withdraw, dispute, start-review …
    *(path(f"claims/<int:pk>/{a.path}/", views.action_view(a), name=f"api-{a.path}") for a in endpoints()),
    path("associations/", views.AssociationsView.as_view(), name="api-associations"),
    path("mpns/", views.MpnsView.as_view(), name="api-mpns"),
    path("catalog/", views.CatalogView.as_view(), name="api-catalog"),
    path("insights/claims/", insights.ClaimInsightsView.as_view(), name="api-insights-claims"),
]
