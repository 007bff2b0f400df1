from allauth.account import views as account_views
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from claims import account_views as account_pages
from claims import help, inbox, sso
from claims import views as claim_views
from claims.api.docs import DocsView

from . import dev_mail, health, i18n
from .security import gated

urlpatterns = [
    path("", claim_views.home, name="home"),
    # allauth's sign-in and sign-out under the names the pages and tests use; the rest of
    # allauth's account pages (password change and reset, email addresses) below.
    path("accounts/login/", gated(sso.allow_identity_providers(account_views.LoginView.as_view())), name="login"),
    path("accounts/logout/", account_views.LogoutView.as_view(), name="logout"),
    path("account/tokens/", account_pages.api_tokens, name="api-tokens"),
    path("account/tokens/<int:pk>/revoke/", account_pages.api_token_revoke, name="api-token-revoke"),
    # allauth's openid_connect callback, with the ID token verified strictly (claims/sso.py).
    path("accounts/oidc/<str:provider_id>/login/callback/", sso.callback),
    path("accounts/oidc/<str:provider_id>/login/", sso.allow_identity_providers(oidc_views.login)),
    # allauth's removal of a security key, keeping a required user's last second factor.
    path("accounts/2fa/webauthn/keys/<int:pk>/remove/", account_pages.remove_security_key, name="mfa_remove_webauthn"),
    path("accounts/", include("allauth.urls")),  # with allauth.usersessions' /accounts/sessions/
    path("i18n/setlang/", i18n.set_language, name="set_language"),
    path("claims/", include("claims.urls")),
    path("review/", include("reviews.urls")),
    path("team/", include("teams.urls")),
    path("consent/<str:token>/", claim_views.consent, name="consent"),
    path("notifications/", inbox.notifications_page, name="notifications"),
    path("notifications/read/", inbox.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:event_id>/read/", inbox.notification_read, name="notification-read"),
    path("help/", help.help_home, name="help"),
    path("help/partner/", help.help_partner, name="help-partner"),
    path("help/reviewer/", help.help_reviewer, name="help-reviewer"),
    path("help/customer/", help.help_customer, name="help-customer"),
    path("api/v1/", include("claims.api.urls")),
    path("api/v1/", include("reviews.urls_api")),
    path("api/v1/", include("integrations.urls_api")),
    path("api/v1/", include("teams.urls_api")),
    path("integrations/", include("integrations.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/login/", gated(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
]
if settings.DEBUG:
    urlpatterns += [
        path("dev/mailbox/", dev_mail.mailbox, name="dev-mailbox"),
        path("dev/mailbox/<str:name>/", dev_mail.message, name="dev-mail-message"),
    ]

# Under /api/ every refusal, even one that never reaches a view, is the JSON envelope.
handler400 = "claims.api.errors.handler400"
handler403 = "claims.api.errors.handler403"
handler404 = "claims.api.errors.handler404"
handler500 = "claims.api.errors.handler500"
