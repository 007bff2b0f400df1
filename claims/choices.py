"""Enumerations of the domain. Values are stable API strings; labels are translatable."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    GLOBAL_ADMIN = "global_admin", _("Global admin")
    BILLING_ADMIN = "billing_admin", _("Billing admin")
    INCENTIVES_ADMIN = "incentives_admin", _("Incentives admin")
    MEMBER = "member", _("Company user (no claims role)")
    REVIEWER = "reviewer", _("Reviewer")


CLAIM_ROLES = frozenset({Role.GLOBAL_ADMIN, Role.BILLING_ADMIN, Role.INCENTIVES_ADMIN})


class SolutionArea(models.TextChoices):
    BUSINESS_APPLICATIONS = "business_applications", _("Business Applications")
    MICROSOFT_365 = "microsoft_365", _("Microsoft 365")


class Activity(models.TextChoices):
    PRESALES = "presales", _("Presales")
    USAGE = "usage", _("Usage")
    REVENUE_ASSOCIATION = "revenue_association", _("Revenue association")


# The only solution area / activity pairs that exist, with what each one means.
ACTIVITIES_BY_AREA: dict[str, dict[str, str]] = {
    SolutionArea.BUSINESS_APPLICATIONS: {
        Activity.PRESALES: _(
            "You influenced the customer's purchase of an eligible product. Counts for "
            "pre-sales incentives. Only for purchases through a Volume Licensing agreement "
            "or Web-Direct, never CSP."
        ),
        Activity.USAGE: _(
            "You drive adoption and usage of an eligible workload. Counts for usage "
            "incentives. Only for purchases through a Volume Licensing agreement or "
            "Web-Direct, never CSP."
        ),
        Activity.REVENUE_ASSOCIATION: _(
            "You influenced the customer's selection as a Business Influencer. Revenue "
            "association only: never incentive payments."
        ),
    },
    SolutionArea.MICROSOFT_365: {
        Activity.USAGE: _("You drive adoption and usage of an eligible workload."),
    },
}


class Channel(models.TextChoices):
    VOLUME_LICENSING = "vl", _("Volume Licensing")
    WEB_DIRECT = "web_direct", _("Web-Direct")
    CSP = "csp", _("Cloud Solution Provider (CSP)")


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    IN_GRACE = "in_grace", _("In grace period")
    EXPIRED = "expired", _("Expired")


class ClaimState(models.TextChoices):
    EDITING = "editing", _("Editing")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under Review")
    PARTNER_ACTION_REQUIRED = "partner_action_required", _("Partner Action Required")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# Which states are open, editable, in the review queue ...: claims.states.


class DeadlineKind(models.TextChoices):
    REVIEW_PICKUP = "review_pickup", _("Review must start")
    REVIEW_DECISION = "review_decision", _("Review decision due")
    PARTNER_ANSWER = "partner_answer", _("Partner answer due")
    DISPUTE_DECISION = "dispute_decision", _("Dispute decision due")
    CONSENT_WINDOW = "consent_window", _("Customer consent window ends")
    DISPUTE_WINDOW = "dispute_window", _("Dispute window ends")


class InfoRequestReason(models.TextChoices):
    MISSING_POE = "missing_poe", _("Missing proof of execution (wrong file, or a file that does not belong to the claim)")
    MISSING_CUSTOMER_SIGNATURE = (
        "missing_customer_signature",
        _("Missing customer confirmation signature in the proof of execution"),
    )
    MISSING_OR_OLD_DATES = "missing_or_old_dates", _("Missing or old dates in the proof of execution")
    MISSING_PARTNER_SERVICE = "missing_partner_service", _("Missing description of the partner's solution or service")
    MISSING_PRODUCTS = (
        "missing_products",
        _("Missing products: the proof of execution does not cover a claimed product or workload"),
    )


class PrecheckStatus(models.TextChoices):
    PENDING = "pending", _("Being read")
    DONE = "done", _("Checked")
    UNREADABLE = "unreadable", _("Could not be read")


class PrecheckVerdict(models.TextChoices):
    FOUND = "found", pgettext_lazy("pre-check verdict", "Found")
    MISSING = "missing", pgettext_lazy("pre-check verdict", "Missing")
    UNSURE = "unsure", pgettext_lazy("pre-check verdict", "Unsure")


class RejectionReason(models.TextChoices):
    INSUFFICIENT_POE = "insufficient_poe", _("Insufficient proof of execution")
    MISSING_CUSTOMER_CONSENT = "missing_customer_consent", _("Missing customer consent in the proof of execution")
    MISSING_PRODUCTS = "missing_products", _("Missing products")
    POE_UNAVAILABLE = "poe_unavailable", _("Proof of execution unavailable")
    NO_PARTNER_RESPONSE = "no_partner_response", _("No partner response")
    CUSTOMER_DENIAL = "customer_denial", _("Customer denial")
    PARTNER_REQUEST = "partner_request", _("Partner request")


# Reasons a reviewer may choose; the others are set by the system.
REVIEWER_REJECTION_REASONS = (
    RejectionReason.INSUFFICIENT_POE,
    RejectionReason.MISSING_CUSTOMER_CONSENT,
    RejectionReason.MISSING_PRODUCTS,
    RejectionReason.POE_UNAVAILABLE,
)
# Rejections that cannot be disputed.
UNDISPUTABLE_REASONS = (RejectionReason.PARTNER_REQUEST, RejectionReason.CUSTOMER_DENIAL)


class WithdrawReason(models.TextChoices):
    WRONG_MPN = "wrong_mpn", _("Wrong MPN ID")
    WRONG_ACTIVITY = "wrong_activity", _("Wrong activity")
    NO_LONGER_WORKING_WITH_CUSTOMER = "no_longer_working_with_customer", _("No longer working with the customer")


class ActorRole(models.TextChoices):
    PARTNER = "partner", _("Partner")
    REVIEWER = "reviewer", _("Reviewer")
    CUSTOMER = "customer", _("Customer")
    SYSTEM = "system", _("System")


class EventAction(models.TextChoices):
    CREATED = "created", _("Claim created")
    UPDATED = "updated", _("Claim edited")
    EVIDENCE_ADDED = "evidence_added", _("Proof of execution uploaded")
    EVIDENCE_REMOVED = "evidence_removed", _("Proof of execution removed")
    EVIDENCE_INFECTED = "evidence_infected", _("Proof of execution quarantined: malware found")
    COMMENTED = "commented", _("Comment posted")
    SUBMITTED = "submitted", _("Submitted")
    REVIEW_STARTED = "review_started", _("Review started")
    ASSIGNED = "assigned", _("Reviewer assigned")
    ARBITRATION_STARTED = "arbitration_started", _("In arbitration with a competing claim")
    ARBITRATION_DECIDED = "arbitration_decided", _("Arbitration decided for another partner: association ended")
    ARBITRATION_DECIDED_OPEN = "arbitration_decided_open", _("Arbitration decided for another partner")
    ASSOCIATION_RESTORED = "association_restored", _("Association restored: the customer denied the other partner")
    ASSOCIATIONS_RESTORED = "associations_restored", _("Associations this approval had ended were restored")
    REVIEW_AUTO_STARTED = "review_auto_started", _("Moved to review automatically: not picked up in time")
    REVIEW_OVERDUE = "review_overdue", _("Review decision overdue")
    INFO_REQUESTED = "info_requested", _("More information requested")
    RESPONDED = "responded", _("Partner answered")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    AUTO_REJECTED = "auto_rejected", _("Rejected automatically: no partner response")
    WITHDRAWN = "withdrawn", _("Withdrawn by the partner")
    CONSENT_DENIED = "consent_denied", _("Customer denied consent")
    CONSENT_PERIOD_PASSED = "consent_period_passed", _("Consent period passed: sent to incentive eligibility evaluation")
    DISPUTED = "disputed", _("Rejection disputed")
    DISPUTE_WINDOW_CLOSED = "dispute_window_closed", _("Dispute window closed")


class ScanStatus(models.TextChoices):
    """An uploaded file's malware scan (claims.scanning): served only once clean."""

    PENDING = "pending", _("Awaiting malware scan")
    CLEAN = "clean", _("Scanned: clean")
    INFECTED = "infected", _("Quarantined: malware found")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
