from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from claims import views as claim_views

from . import dev_mail, health

urlpatterns = [
    path("", claim_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("claims/", include("claims.urls")),
    path("review/", include("reviews.urls")),
    path("consent/<str:token>/", claim_views.consent, name="consent"),
    path("api/v1/", include("claims.api.urls")),
    path("api/v1/", include("integrations.urls_api")),
    path("integrations/", include("integrations.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
if settings.DEBUG:
    urlpatterns += [
        path("dev/mailbox/", dev_mail.mailbox, name="dev-mailbox"),
        path("dev/mailbox/<str:name>/", dev_mail.message, name="dev-mail-message"),
    ]
