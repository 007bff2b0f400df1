from django.urls import path

from . import api

urlpatterns = [
    path("team/members/", api.MemberListView.as_view(), name="api-team-members"),
    path("team/members/<int:pk>/", api.MemberDetailView.as_view(), name="api-team-member"),
    path("team/invitations/", api.InvitationListView.as_view(), name="api-team-invitations"),
    path("team/invitations/<int:pk>/", api.InvitationDetailView.as_view(), name="api-team-invitation"),
    path("team/access-log/", api.AccessLogView.as_view(), name="api-team-access-log"),
]
