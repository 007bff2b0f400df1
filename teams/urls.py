from django.urls import path

from . import views

app_name = "teams"
urlpatterns = [
    path("", views.team_page, name="page"),
    path("invitations/", views.invite, name="invite"),
    path("invitations/<int:pk>/withdraw/", views.invitation_withdraw, name="invitation-withdraw"),
    path("members/<int:pk>/role/", views.member_role, name="member-role"),
    path("members/<int:pk>/deactivate/", views.member_deactivate, name="member-deactivate"),
    path("members/<int:pk>/reactivate/", views.member_reactivate, name="member-reactivate"),
    path("request-role/", views.request_role, name="request-role"),
    path("join/<str:token>/", views.accept, name="accept"),
]
