"""The directory is edited here. Claims are read-only: every claim change goes
through the services, so the admin cannot bypass the state machine or history."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .accounts import mark_staff_email_verified
from .mfa import AdminLoginForm
from .models import (
    ApiToken,
    Association,
    Claim,
    ClaimComment,
    ClaimEvent,
    ClaimEvidence,
    ClaimProduct,
    CustomerTenant,
    IdentityProviderLink,
    IdentityProviderRole,
    Mpn,
    Notification,
    PartnerCompany,
    Product,
    Subscription,
    TenantDomain,
    User,
)
from .services.tokens import api_token_revoke
from .sessions import end_sessions

# A password alone does not sign a user with a second factor into the admin (claims/mfa.py).
admin.site.login_form = AdminLoginForm


class MpnInline(admin.TabularInline):
    model = Mpn
    extra = 0


@admin.register(PartnerCompany)
class PartnerCompanyAdmin(admin.ModelAdmin):
    search_fields = ["name", "mpns__mpn_id"]
    list_display = ["name", "sso_only"]
    inlines = [MpnInline]


class IdentityProviderRoleInline(admin.TabularInline):
    model = IdentityProviderRole
    extra = 1


@admin.register(IdentityProviderLink)
class IdentityProviderLinkAdmin(admin.ModelAdmin):
    """Staff link a partner company to its identity provider and map its app roles or groups
    to claims roles (README, "Single sign-on with Microsoft Entra ID")."""

    list_display = ["company", "issuer", "tenant_id", "role_claim"]
    search_fields = ["company__name", "issuer", "tenant_id"]
    list_select_related = ["company"]
    inlines = [IdentityProviderRoleInline]


@admin.register(Mpn)
class MpnAdmin(admin.ModelAdmin):
    list_display = ["mpn_id", "company", "incentive_enrolled", "program_name"]
    list_filter = ["incentive_enrolled"]
    search_fields = ["mpn_id", "company__name"]
    list_select_related = ["company"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "company", "role", "is_staff", "is_active"]
    list_filter = ["role", "company", "is_staff", "is_active"]
    list_select_related = ["company"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("CPOR"), {"fields": ["company", "role", "language"]}),
    ]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, (_("CPOR"), {"fields": ["company", "role"]})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # An address staff enter is taken as verified (claims/accounts.py); a user changing
        # their own address verifies it first.
        if not change or "email" in form.changed_data:
            mark_staff_email_verified(obj)
        # A deactivated user is signed out everywhere at once (their API tokens stop with
        # the user: claims/api/auth.py reads is_active with the token).
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_sessions(obj)


class TenantDomainInline(admin.TabularInline):
    model = TenantDomain
    extra = 0


@admin.register(CustomerTenant)
class CustomerTenantAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant_id", "subdomain"]
    search_fields = ["name", "tenant_id", "subdomain", "domains__domain"]
    inlines = [TenantDomainInline]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "solution_area", "is_dynamics"]
    list_filter = ["solution_area", "is_dynamics"]
    search_fields = ["name", "code"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["subscription_id", "tenant", "product", "channel", "status", "provisioned"]
    list_filter = ["channel", "status", "provisioned", "product"]
    search_fields = ["subscription_id", "tenant__name"]
    list_select_related = ["tenant", "product"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimProductInline(ReadOnlyInline):
    model = ClaimProduct


class ClaimEvidenceInline(ReadOnlyInline):
    model = ClaimEvidence
    exclude = ["file"]


class ClaimCommentInline(ReadOnlyInline):
    model = ClaimComment


class ClaimEventInline(ReadOnlyInline):
    model = ClaimEvent


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "company",
        "tenant",
        "solution_area",
        "activity",
        "state",
        "deadline_kind",
        "deadline_at",
        "is_overdue",
    ]
    list_filter = ["state", "solution_area", "activity", "is_overdue", "is_dispute", "deadline_kind"]
    search_fields = ["name", "company__name", "tenant__name", "customer_tenant_id"]
    list_select_related = ["company", "tenant"]
    inlines = [ClaimProductInline, ClaimEvidenceInline, ClaimCommentInline, ClaimEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = ["company", "tenant", "product", "subscription", "started_at", "ended_at", "end_reason"]
    list_filter = ["ended_at", "product"]
    list_select_related = ["company", "tenant", "product", "subscription"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    # A request id (the X-Request-ID a user quotes, docs/operations.md "Logs") finds its emails.
    search_fields = ["to", "subject", "=request_id"]
    actions = ["retry"]

    @admin.action(description=_("Send the selected failed emails again"))
    def retry(self, request, queryset):
        from . import outbox
        from .notifications import request_delivery

        ids = list(queryset.values_list("pk", flat=True))
        n = outbox.retry(notification_ids=ids)
        request_delivery(ids)
        self.message_user(request, ngettext("%(n)d email will be sent again.", "%(n)d emails will be sent again.", n) % {"n": n})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff see every personal API token (never its key: only its hash is stored) and may
    revoke a leaked one; users create and revoke their own on /account/tokens/."""

    list_display = ["name", "prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            api_token_revoke(user=token.user, token_id=token.pk)
        self.message_user(
            request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", len(queryset)) % {"n": len(queryset)}
        )
