"""A team's invitations and its access log (issue 21, point 4).

A team is a company's users, or, for staff, the reviewers (users with the reviewer role and
no company): `company` is empty for the reviewers' team.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.choices import Role
from claims.models import PartnerCompany


class Invitation(models.Model):
    company = models.ForeignKey(
        PartnerCompany,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("partner company"),
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            # The team page's pending invitations of one company.
            models.Index(
                fields=["company", "created_at"],
                name="invitation_pending_idx",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class AccessAction(models.TextChoices):
    INVITED = "invited", _("Invited")
    INVITATION_WITHDRAWN = "invitation_withdrawn", _("Invitation withdrawn")
    JOINED = "joined", _("Joined the team")
    ROLE_CHANGED = "role_changed", _("Role changed")
    DEACTIVATED = "deactivated", _("Deactivated")
    REACTIVATED = "reactivated", _("Reactivated")
    ROLE_REQUESTED = "role_requested", _("Asked for a role")


class AccessLogEntry(models.Model):
    """Who changed whose access, how, and when: one row per change, never edited."""

    company = models.ForeignKey(
        PartnerCompany, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner company")
    )
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("who")
    )
    action = models.CharField(_("what"), max_length=32, choices=AccessAction.choices)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("member")
    )
    email = models.EmailField(_("email address"), blank=True)
    old_role = models.CharField(_("previous role"), max_length=32, choices=Role.choices, blank=True)
    new_role = models.CharField(_("new role"), max_length=32, choices=Role.choices, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [models.Index(fields=["company", "-at", "-id"], name="access_log_company_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
