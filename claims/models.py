"""The directory a claim is checked against, and the claim itself.

State changes happen only in services (claims/services/, reviews/services.py,
claims/deadlines.py). The @transition methods here only guard source and target;
they do no I/O and never save.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from cpor import requestid

from . import notes
from .choices import (
    CLAIM_ROLES,
    Activity,
    ActorRole,
    Channel,
    ClaimState,
    DeadlineKind,
    EventAction,
    NotificationStatus,
    PrecheckStatus,
    Role,
    ScanStatus,
    SolutionArea,
    SubscriptionStatus,
)
from .states import OPEN_STATES, QUEUE_STATES, WITHDRAWABLE_STATES

S = ClaimState


# --- Directory ---------------------------------------------------------------


class PartnerCompany(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    sso_only = models.BooleanField(
        _("SSO only"),
        default=False,
        help_text=_("Its users sign in through the company's identity provider only: no local password, no password reset."),
    )

    class Meta:
        verbose_name = _("partner company")
        verbose_name_plural = _("partner companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdentityProviderLink(models.Model):
    """Links a partner company to its identity provider (issue 21, point 3; claims/sso.py): a
    token whose issuer (and, for Microsoft Entra ID, tenant id `tid`) match signs its user in to
    this company, with the claims role its `roles` or `groups` values map to."""

    class Claim(models.TextChoices):
        ROLES = "roles", _("App roles (roles)")
        GROUPS = "groups", _("Groups (groups)")

    company = models.ForeignKey(
        PartnerCompany, on_delete=models.CASCADE, related_name="identity_providers", verbose_name=_("partner company")
    )
    issuer = models.CharField(
        _("issuer"), max_length=300, help_text=_("The ID token's iss, e.g. https://login.microsoftonline.com/<tenant id>/v2.0")
    )
    tenant_id = models.CharField(
        _("tenant ID (tid)"), max_length=64, blank=True, help_text=_("Microsoft Entra ID: the directory (tenant) ID.")
    )
    role_claim = models.CharField(_("claim with the roles"), max_length=16, choices=Claim.choices, default=Claim.ROLES)

    class Meta:
        verbose_name = _("identity provider link")
        verbose_name_plural = _("identity provider links")
        constraints = [models.UniqueConstraint(fields=["issuer", "tenant_id"], name="idp_link_issuer_tenant_unique")]

    def __str__(self) -> str:
        return f"{self.company} ({self.issuer} {self.tenant_id})".strip()


class IdentityProviderRole(models.Model):
    """One value of the token's roles or groups claim and the claims role it grants."""

    link = models.ForeignKey(IdentityProviderLink, on_delete=models.CASCADE, related_name="roles", verbose_name=_("link"))
    value = models.CharField(_("value in the token"), max_length=200)
    role = models.CharField(
        _("role"), max_length=32, choices=[(r.value, r.label) for r in Role if r in CLAIM_ROLES], default=Role.INCENTIVES_ADMIN
    )

    class Meta:
        verbose_name = _("role mapping")
        verbose_name_plural = _("role mappings")
        constraints = [models.UniqueConstraint(fields=["link", "value"], name="idp_role_value_unique")]

    def __str__(self) -> str:
        return f"{self.value} -> {self.role}"


class Mpn(models.Model):
    """A Microsoft Partner Network ID of a company; enrollment is managed elsewhere."""

    company = models.ForeignKey(PartnerCompany, on_delete=models.CASCADE, related_name="mpns", verbose_name=_("partner company"))
    mpn_id = models.CharField(_("MPN ID"), max_length=20, unique=True)
    incentive_enrolled = models.BooleanField(_("enrolled in an incentive program"), default=False)
    program_name = models.CharField(_("incentive program"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("MPN ID")
        verbose_name_plural = _("MPN IDs")
        ordering = ["mpn_id"]

    def __str__(self) -> str:
        return self.mpn_id


class User(AbstractUser):
    company = models.ForeignKey(
        PartnerCompany, null=True, blank=True, on_delete=models.PROTECT, related_name="users", verbose_name=_("partner company")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.MEMBER)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the pages and emails. Empty: the browser's language."),
    )
    # The in-app notifications page (claims.feed): history rows up to this id are read ("mark
    # all read"); newer ones are unread unless marked one by one (NotificationRead).
    notifications_read_up_to = models.BigIntegerField(_("notifications read up to"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_partner_roles_have_company",
                condition=~Q(role__in=sorted(r.value for r in CLAIM_ROLES)) | Q(company__isnull=False),
            ),
        ]

    @property
    def is_partner(self) -> bool:
        return self.company_id is not None and self.role in CLAIM_ROLES

    @property
    def is_reviewer(self) -> bool:
        return self.role == Role.REVIEWER


class CustomerTenant(models.Model):
    tenant_id = models.UUIDField(_("tenant ID"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    subdomain = models.CharField(_("subdomain"), max_length=63, unique=True, help_text=_("The part before .onmicrosoft.com"))

    class Meta:
        verbose_name = _("customer tenant")
        verbose_name_plural = _("customer tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.subdomain})"

    @property
    def initial_domain(self) -> str:
        return f"{self.subdomain}.onmicrosoft.com"


class TenantDomain(models.Model):
    """A verified domain of a tenant besides its *.onmicrosoft.com domain."""

    tenant = models.ForeignKey(
        CustomerTenant, on_delete=models.CASCADE, related_name="domains", verbose_name=_("customer tenant")
    )
    domain = models.CharField(_("domain"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("verified domain")
        verbose_name_plural = _("verified domains")
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Product(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    solution_area = models.CharField(_("solution area"), max_length=32, choices=SolutionArea.choices)
    is_dynamics = models.BooleanField(
        _("Dynamics 365 product"),
        default=False,
        help_text=_("Dynamics 365 products need a subscription ID on every claim."),
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["solution_area", "name"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    subscription_id = models.UUIDField(_("subscription ID"), unique=True)
    tenant = models.ForeignKey(
        CustomerTenant, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("customer tenant")
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("product"))
    channel = models.CharField(_("purchase channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=SubscriptionStatus.choices)
    provisioned = models.BooleanField(_("provisioned"), default=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["subscription_id"]

    def __str__(self) -> str:
        return str(self.subscription_id)


# --- The claim -----------------------------------------------------------------


def clock_order():
    """0 while the claim's deadline runs (set, not yet acted on), else 1: the deadline sort of
    the dashboard puts running clocks first (indexed by claim_company_due_idx)."""
    return Case(When(deadline_at__isnull=False, deadline_expired=False, then=Value(0)), default=Value(1))


def reviewer_or_zero():
    """The assigned reviewer's id, 0 for none: one indexed value for both "mine" and
    "unassigned" in the review queue (an IS NULL condition does not read an index in order)."""
    return Coalesce("assigned_reviewer", Value(0))


class Claim(ConcurrentTransitionMixin, models.Model):
    # No index of its own: every company index below starts with it. Each index costs every
    # state change (the deadline sweep's UPDATEs write an entry in each), so none is kept
    # that another one covers.
    company = models.ForeignKey(
        PartnerCompany,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("partner company"),
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    name = models.CharField(_("claim name"), max_length=120)

    customer_tenant_id = models.UUIDField(_("customer tenant ID"), null=True, blank=True)
    customer_domain = models.CharField(_("customer subdomain or domain"), max_length=253, blank=True)
    tenant = models.ForeignKey(
        CustomerTenant, null=True, blank=True, on_delete=models.PROTECT, related_name="claims", verbose_name=_("customer tenant")
    )
    solution_area = models.CharField(_("solution area"), max_length=32, choices=SolutionArea.choices, blank=True)
    activity = models.CharField(_("activity"), max_length=32, choices=Activity.choices, blank=True)
    mpn = models.ForeignKey(Mpn, null=True, blank=True, on_delete=models.PROTECT, related_name="claims", verbose_name=_("MPN ID"))

    customer_contact_name = models.CharField(_("customer contact name"), max_length=200, blank=True)
    customer_contact_email = models.EmailField(_("customer contact email"), blank=True)
    customer_contact_phone = models.CharField(_("customer contact phone"), max_length=40, blank=True)
    customer_contact_language = models.CharField(
        _("customer contact language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the emails and the consent page the customer contact gets."),
    )
    partner_contact_name = models.CharField(_("partner contact name"), max_length=200, blank=True)
    partner_contact_email = models.EmailField(_("partner contact email"), blank=True)
    partner_contact_phone = models.CharField(_("partner contact phone"), max_length=40, blank=True)

    # No index on the status alone: the lists read it through the company, queue and
    # waiting indexes (Meta), and counts by status read the company-status index.
    state = FSMField(_("status"), default=S.EDITING, choices=ClaimState.choices, protected=True)

    # The one clock that runs in the current state (each state has at most one).
    deadline_kind = models.CharField(_("deadline"), max_length=32, choices=DeadlineKind.choices, blank=True)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    # Set once the system has acted on the deadline, so the sweep's index skips it.
    deadline_expired = models.BooleanField(default=False)

    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned reviewer"),
    )
    is_overdue = models.BooleanField(_("overdue"), default=False)
    info_request_reasons = models.JSONField(_("reasons for the request for information"), default=list, blank=True)
    # TextFields with a max_length: checked by forms, serializers and services (claims.lengths), not the database.
    info_request_message = models.TextField(_("message of the request for information"), max_length=5000, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=40, blank=True)
    # The reviewer's message, the partner's withdrawal details or the customer's denial reason.
    rejection_message = models.TextField(_("rejection message"), max_length=5000, blank=True)
    is_dispute = models.BooleanField(_("dispute"), default=False)
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    dispute_justification = models.TextField(_("business justification"), max_length=5000, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("review started at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    eligibility_sent_at = models.DateTimeField(_("sent to incentive eligibility evaluation"), null=True, blank=True)
    # When the arbitration notice was posted on this claim (competing claims), once.
    arbitration_notified_at = models.DateTimeField(null=True, blank=True)
    # Changes on every approval, so a consent link of an earlier approval stops working.
    consent_nonce = models.UUIDField(default=uuid.uuid4)
    # When an approval of another partner's claim ended this approved claim's last active
    # association (arbitration). Cleared when a customer denial of that winner restores it.
    association_ended_at = models.DateTimeField(_("association ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at"]
        indexes = [
            # The deadline sweep's only lookup: due and not yet acted on.
            models.Index(fields=["deadline_at"], name="claim_due_idx", condition=Q(deadline_expired=False)),
            # The dashboard and the claims API read a company's page in index order (0009).
            models.Index(fields=["company", "-created_at", "-id"], name="claim_company_created_idx"),
            models.Index(fields=["company", "state", "-created_at", "-id"], name="claim_company_state_new_idx"),
            # The dashboard by deadline (selectors.filter_claims): open clocks first, soonest first.
            models.Index(
                F("company"),
                clock_order(),
                F("deadline_at"),
                F("id").desc(),
                name="claim_company_due_idx",
            ),
            # The review queue in its order: overdue first, then the deadline that falls first.
            models.Index(
                fields=["-is_overdue", "deadline_at", "id"],
                name="claim_queue_idx",
                # Covering (PostgreSQL): the filter counts are an index-only scan.
                # submitted_at: the review insights' backlog by age (reviews.insights) is index-only too.
                include=["state", "is_dispute", "assigned_reviewer", "solution_area", "submitted_at"],
                condition=Q(state__in=list(QUEUE_STATES)),
            ),
            # The queue filters that are not read from claim_queue_idx, each in the queue order:
            # "Assigned to me" and "Unassigned" (reviewer_or_zero),
            models.Index(
                reviewer_or_zero(),
                F("is_overdue").desc(),
                F("deadline_at"),
                F("id"),
                name="claim_queue_reviewer_idx",
                condition=Q(state__in=list(QUEUE_STATES)),
            ),
            # disputes,
            models.Index(
                fields=["-is_overdue", "deadline_at", "id"],
                name="claim_queue_dispute_idx",
                condition=Q(state__in=list(QUEUE_STATES), is_dispute=True),
            ),
            # and the claims waiting on the partner.
            models.Index(
                fields=["-is_overdue", "deadline_at", "id"],
                name="claim_waiting_idx",
                condition=Q(state="partner_action_required"),
            ),
            # Competition: other companies' open claims on a tenant (covering the id: the check
            # of each queue row is an index-only scan).
            models.Index(
                fields=["tenant", "company"],
                name="claim_open_tenant_idx",
                include=["id"],
                condition=Q(state__in=list(OPEN_STATES)),
            ),
            # Search (pg_trgm GIN on UPPER(name), UPPER(customer_domain)) lives in migration 0009,
            # created on PostgreSQL only.
            # The review insights' time to pickup: reviews started in a period (set once per claim).
            models.Index(
                fields=["review_started_at"],
                name="claim_review_started_idx",
                include=["submitted_at", "solution_area"],
                condition=Q(review_started_at__isnull=False),
            ),
            # Search by a tenant ID or its first characters (a range scan, see selectors.guid_prefix_range).
            models.Index(fields=["customer_tenant_id"], name="claim_tenant_guid_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"

    # Transitions: guards only. Services do the rest.
    @transition(field=state, source=S.EDITING, target=S.SUBMITTED)
    def submit(self) -> None: ...

    @transition(field=state, source=S.SUBMITTED, target=S.UNDER_REVIEW)
    def start_review(self) -> None: ...

    @transition(field=state, source=S.SUBMITTED, target=S.UNDER_REVIEW)
    def expire_pickup(self) -> None: ...

    @transition(field=state, source=S.UNDER_REVIEW, target=S.PARTNER_ACTION_REQUIRED)
    def request_info(self) -> None: ...

    @transition(field=state, source=S.PARTNER_ACTION_REQUIRED, target=S.UNDER_REVIEW)
    def respond(self) -> None: ...

    @transition(field=state, source=S.UNDER_REVIEW, target=S.APPROVED)
    def approve(self) -> None: ...

    @transition(field=state, source=S.UNDER_REVIEW, target=S.REJECTED)
    def reject(self) -> None: ...

    @transition(field=state, source=S.PARTNER_ACTION_REQUIRED, target=S.REJECTED)
    def expire_answer(self) -> None: ...

    @transition(
        field=state,
        source=list(WITHDRAWABLE_STATES),
        target=S.REJECTED,
        # An approved claim whose association an arbitration ended holds nothing to withdraw.
        conditions=[lambda claim: claim.association_ended_at is None],
    )
    def withdraw(self) -> None: ...

    @transition(field=state, source=S.APPROVED, target=S.REJECTED)
    def deny_consent(self) -> None: ...

    @transition(field=state, source=S.REJECTED, target=S.UNDER_REVIEW)
    def dispute(self) -> None: ...

    @property
    def is_deadline_passed(self) -> bool:
        return self.deadline_at is not None and self.deadline_at <= timezone.now()


class ClaimProduct(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="products", verbose_name=_("claim"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claim_products",
        verbose_name=_("subscription"),
    )

    class Meta:
        verbose_name = _("claimed product")
        verbose_name_plural = _("claimed products")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "product"], name="claimproduct_unique_product"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} on claim {self.claim_id}"


def evidence_upload_to(instance: ClaimEvidence, filename: str) -> str:
    # The stored name never reuses the uploader's file name (path tricks, clashes).
    return f"evidence/{instance.claim_id}/{uuid.uuid4().hex}"


class EvidenceQuerySet(models.QuerySet):
    def scanned_clean(self) -> models.QuerySet:
        """Files the malware scan found clean: the only ones anybody is served, and the only
        ones reviewers see."""
        return self.filter(scan_status=ScanStatus.CLEAN)

    def pending_scan(self) -> models.QuerySet:
        return self.filter(scan_status=ScanStatus.PENDING)


class ClaimEvidence(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("claim"))
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    for_dispute = models.BooleanField(_("for the dispute"), default=False)
    # Removed by the partner after submission: kept for audit, no longer the claim's PoE.
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("removed by")
    )
    removal_reason = models.TextField(_("reason for removal"), max_length=2000, blank=True)
    # The pre-check (claims.precheck): read after upload by the worker; the five checks'
    # verdicts are kept here (small), the text per page in EvidencePage.
    precheck_status = models.CharField(
        _("pre-check"), max_length=16, choices=PrecheckStatus.choices, default=PrecheckStatus.PENDING
    )
    precheck_checks = models.JSONField(_("pre-check results"), default=list, blank=True)
    precheck_at = models.DateTimeField(_("pre-checked at"), null=True, blank=True)
    # Pending until clamd has read it (claims.scanning); served only when clean. An infected
    # file is quarantined: its stored bytes deleted, the row kept (marked removed) for audit.
    scan_status = models.CharField(_("malware scan"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.PENDING)
    scanned_at = models.DateTimeField(_("scanned at"), null=True, blank=True)
    scan_signature = models.CharField(_("malware found"), max_length=200, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        # The scan sweep and the cpor_uploads_pending_scan gauge read pending files only.
        indexes = [
            models.Index(fields=["uploaded_at"], condition=Q(scan_status="pending"), name="evidence_pending_scan"),
        ]
        verbose_name = _("proof of execution")
        verbose_name_plural = _("proofs of execution")

    def __str__(self) -> str:
        return self.original_name


class EvidencePage(models.Model):
    """The text of one page of a proof of execution, as the pre-check read it."""

    evidence = models.ForeignKey(
        ClaimEvidence, on_delete=models.CASCADE, related_name="pages", verbose_name=_("proof of execution")
    )
    number = models.PositiveIntegerField(pgettext_lazy("page of a document", "page"))
    text = models.TextField(pgettext_lazy("text of a page", "text"), blank=True)
    ocr = models.BooleanField(_("read by OCR"), default=False)

    class Meta:
        ordering = ["evidence", "number"]
        constraints = [models.UniqueConstraint(fields=["evidence", "number"], name="evidence_page_unique")]
        verbose_name = _("page of a proof of execution")
        verbose_name_plural = _("pages of proofs of execution")

    def __str__(self) -> str:
        return f"{self.evidence_id} p. {self.number}"


class ClaimComment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        INFO_REQUEST = "info_request", _("Request for information")
        ANSWER = "answer", _("Answer")
        DECISION = "decision", _("Decision")
        DISPUTE = "dispute", _("Dispute")
        ARBITRATION = "arbitration", _("Arbitration")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="comments", verbose_name=_("claim"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    author_role = models.CharField(_("author's role"), max_length=16, choices=ActorRole.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMMENT)
    # Comments, answers and decision messages as people type them (system notes may be longer).
    body = models.TextField(_("comment"), max_length=5000)
    # A note the system posts (claims.notes): its code and parameters, worded when shown in
    # the reader's language; `body` then holds it in the default language. Empty for people.
    code = models.CharField(_("note"), max_length=32, blank=True, default="")
    params = models.JSONField(_("note parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_author_role_display()} on claim {self.claim_id}"

    @property
    def text(self) -> str:
        """What the comment says, in the reader's (active) language for a system note."""
        return notes.comment_text(self.code, self.params, self.body)


# History actions read by period (insights, SLA): claimevent_insight_idx holds these only.
INSIGHT_ACTIONS = [
    EventAction.INFO_REQUESTED, EventAction.APPROVED, EventAction.REJECTED, EventAction.AUTO_REJECTED,
    EventAction.CONSENT_DENIED, EventAction.REVIEW_STARTED, EventAction.REVIEW_AUTO_STARTED,
    EventAction.ARBITRATION_STARTED, EventAction.DISPUTED,
]  # fmt: skip


class AppendOnlyError(Exception):
    pass


class ClaimEvent(models.Model):
    """Append-only history: every change, comment and action, who and when."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events", verbose_name=_("claim"))
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor")
    )
    actor_role = models.CharField(_("actor's role"), max_length=16, choices=ActorRole.choices)
    action = models.CharField(_("action"), max_length=40, choices=EventAction.choices)
    from_state = models.CharField(_("from status"), max_length=32, blank=True)
    to_state = models.CharField(_("to status"), max_length=32, blank=True)
    # {"field": [before, after]} for edits; reasons, messages, file names for actions.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history entries")
        ordering = ["at", "id"]
        indexes = [
            # The decisions and clocks the insights (claims.insights, reviews.insights) and the SLA
            # report (reviews.sla) count by period: only those rows, so the rest of the history
            # (edits, comments, uploads) costs no index entry.
            models.Index(
                fields=["action", "at"],
                name="claimevent_insight_idx",
                include=["claim"],
                condition=Q(action__in=INSIGHT_ACTIONS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.get_actor_role_display()}) on claim {self.claim_id}"

    def save(self, *args, **kwargs) -> None:
        # An integrity guard, not business logic: history rows are never rewritten.
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Claim history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Claim history is append-only.")


class Association(models.Model):
    """A partner's approved association with a customer tenant and product."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="associations", verbose_name=_("claim"))
    company = models.ForeignKey(
        PartnerCompany, on_delete=models.PROTECT, related_name="associations", verbose_name=_("partner company")
    )
    tenant = models.ForeignKey(
        CustomerTenant, on_delete=models.PROTECT, related_name="associations", verbose_name=_("customer tenant")
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="associations", verbose_name=_("product"))
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="associations", verbose_name=_("subscription")
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=40, blank=True)
    # The winning claim whose approval ended this one (end_reason "arbitration"): a customer
    # denial of that winner restores it.
    ended_by_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("ended by claim")
    )

    class Meta:
        verbose_name = _("customer association")
        verbose_name_plural = _("customer associations")
        ordering = ["-started_at"]
        constraints = [
            # Product decision: never two partners with an approved association for
            # the same customer tenant and product.
            models.UniqueConstraint(
                fields=["tenant", "product"],
                condition=Q(ended_at__isnull=True),
                name="association_one_active_per_tenant_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} / {self.tenant_id} / {self.product_id}"


class DeliveryRow(models.Model):
    """An outbox row: something to deliver outside (an email, a webhook event), written in the
    transaction that causes it. The one delivery engine (claims.delivery) leases, retries,
    gives up on and lists these rows for every outbox alike."""

    # pending until delivered; failed after retrying for the outbox's whole retry window,
    # then listed for people to retry. Each outbox names its delivered status.
    status = models.CharField(_("status"), max_length=16, default="pending")
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # A delivery that took this row holds it until then; a killed worker's rows come back after it.
    locked_until = models.DateTimeField(_("held by a delivery until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The retry window counts from the first attempt, not from the row's creation: workers that
    # were down do not make a row fail at its first try.
    first_attempt_at = models.DateTimeField(_("first attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # The request (or beat run) that caused the row, read from the log context when it is
    # written; the worker logs it again when it sends the row (cpor/requestid.py).
    request_id = models.CharField(
        _("request id"), max_length=requestid.MAX_LENGTH, blank=True, editable=False, default=requestid.current, db_default=""
    )

    class Meta:
        abstract = True


class Notification(DeliveryRow):
    """Outbox: an email to send, written in the transaction that causes it.

    It stores what to render (kind, recipient, language, the history row it is about); the
    delivering worker renders and sends it (claims/outbox.py) through the delivery engine."""

    kind = models.CharField(_("email"), max_length=60)
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("claim")
    )
    to = models.EmailField(pgettext_lazy("email recipient", "to"))
    language = models.CharField(_("language"), max_length=16, blank=True)
    # The history row the email is about: what it says is read from it when it is rendered
    # (claims.emails). Empty for an email about no claim change, which stores `context`.
    event = models.ForeignKey(
        ClaimEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("history entry")
    )
    context = models.JSONField(_("what the email says"), default=dict, blank=True)
    # Filled when the email is sent, for the admin and the failed list.
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["created_at", "id"]
        indexes = [
            # The drain's only lookup: pending rows whose next attempt is due.
            models.Index(fields=["next_attempt_at"], name="notification_due_idx", condition=Q(status="pending")),
            # The in-app notifications page and its unread count: one recipient's emails.
            models.Index(fields=["to", "created_at"], name="notification_to_idx"),
            # The failed-emails list (newest attempt first) and the count in every reviewer's
            # header: they read the given-up rows only, however many emails were ever sent.
            models.Index(fields=["-last_attempt_at", "-id"], name="notification_failed_idx", condition=Q(status="failed")),
            # The monitoring's age of the oldest email still waiting (cpor.metrics): one probe.
            models.Index(fields=["created_at"], name="notification_pending_age_idx", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"


class IdempotencyKey(models.Model):
    """The first result of an API POST sent with an Idempotency-Key header, replayed on retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    # The first answer's headers a retry gets again (Location of a 201, the claim's ETag).
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class Heartbeat(models.Model):
    """When a periodic job last finished (and how long it took): one row per job, written by
    the job's task and read by the monitoring (cpor.metrics, cpor.readiness). In the database,
    so every process (web, worker, beat) sees the same value on every machine."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"))

    class Meta:
        verbose_name = _("heartbeat")

    def __str__(self) -> str:
        return f"{self.name} at {self.ended_at.isoformat()}"

    @property
    def duration_seconds(self) -> float | None:
        return (self.ended_at - self.started_at).total_seconds() if self.started_at else None


class ApiToken(models.Model):
    """A personal API token (issue 21, point 5): `Authorization: Token <key>`, named by its
    owner, until `expires_at` or until revoked. Only the key's SHA-256 is stored (the key has
    240 random bits, so a fast hash is as safe as a slow one); `prefix` is its first
    characters, shown to tell a user's tokens apart. A revoked token keeps its row, so the
    API can say `token_revoked` rather than "invalid". `last_used_at` is written at most
    once per CPOR_API_TOKEN_LAST_USE_SECONDS (claims/api/auth.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16)
    digest = models.CharField(_("key digest (SHA-256)"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


class NotificationRead(models.Model):
    """One history row a user marked read on the notifications page (claims.feed), newer than
    their "mark all read" mark; "mark all read" deletes the rows it covers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    event = models.ForeignKey(ClaimEvent, on_delete=models.CASCADE, related_name="+", verbose_name=_("history entry"))

    class Meta:
        verbose_name = _("notification read")
        verbose_name_plural = _("notifications read")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notificationread_user_event_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.event_id}"
