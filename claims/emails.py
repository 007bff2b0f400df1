"""Emails (and the in-app notifications page, which lists them) subscribe to claim history.

For each history row handed to claims.events, the action's emails (claims.history.ACTIONS)
become outbox rows in the same transaction: one query reads the recipients of the whole
batch, one INSERT writes the rows, whatever the batch's size (a service's one row, a sweep
batch's thousand). A row stores only who gets which email about which history row; what
the email says is read from that history row when it is rendered (`context`), so the
services and the sweep cannot describe one change in two ways.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from . import events, notifications
from .choices import CLAIM_ROLES, RejectionReason
from .consent import consent_url
from .history import ACTIONS, ASSIGNED_REVIEWER, CUSTOMER_CONTACT, PARTNER_CONTACT, PARTNER_PEOPLE
from .models import Claim, ClaimComment, ClaimEvent, Notification, Product, User

# --- Who, in which language ------------------------------------------------------------------


def partner_language(claim: str = "claim") -> Coalesce:
    """The partner's language, as SQL on a row that reaches a claim through `claim` ("" for
    the Claim itself): the partner contact's saved language when the contact is a user of the
    company, else the language of the user who filed the claim (docs/rules.md, "Languages")."""
    p = f"{claim}__" if claim else ""
    contact = User.objects.filter(
        company_id=OuterRef(f"{p}company_id"), email__iexact=OuterRef(f"{p}partner_contact_email")
    ).exclude(language="")
    return Coalesce(Subquery(contact.values("language")[:1]), F(f"{p}created_by__language"), Value(""))


def partner_language_of(claim: Claim | int) -> str:
    """The same rule for one claim, for text the system writes into its comments."""
    pk = claim if isinstance(claim, int) else claim.pk
    found = Claim.objects.filter(pk=pk).annotate(language=partner_language("")).values_list("language", flat=True).first()
    return found or settings.LANGUAGE_CODE


_COLUMNS = (
    "pk", "claim_id", "action", "actor_role", "at", "claim__company_id", "claim__partner_contact_email", "partner_language",
    "claim__customer_contact_email", "claim__customer_contact_language", "claim__assigned_reviewer__email",
    "claim__assigned_reviewer__language",
)  # fmt: skip


def _people(company_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """(email, language) of every active claims-role user of these companies."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    users = User.objects.filter(company_id__in=company_ids, role__in=sorted(CLAIM_ROLES), is_active=True).exclude(email="")
    for company_id, email, language in users.order_by("pk").values_list("company_id", "email", "language"):
        found[company_id].append((email, language))
    return found


def _recipients(rule: str, row: dict, people: dict[int, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    partner = (row["claim__partner_contact_email"], row["partner_language"])
    if rule == PARTNER_CONTACT:
        found = [partner]
    elif rule == CUSTOMER_CONTACT:
        found = [(row["claim__customer_contact_email"], row["claim__customer_contact_language"])]
    elif rule == ASSIGNED_REVIEWER:
        found = [(row["claim__assigned_reviewer__email"], row["claim__assigned_reviewer__language"])]
    elif rule == PARTNER_PEOPLE:
        found = [partner, *((email, language or partner[1]) for email, language in people.get(row["claim__company_id"], ()))]
    else:
        raise ValueError(f"unknown recipient {rule!r}")
    seen, unique = set(), []
    for email, language in found:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            unique.append((email, language or ""))
    return unique


def write(batch: events.Batch) -> list[int]:
    """The outbox rows of these history rows' emails, in the caller's transaction."""
    actions = [a for a in batch.actions if a in ACTIONS and ACTIONS[a].emails]
    if not actions:
        return []
    rows = list(batch.rows().filter(action__in=actions).annotate(partner_language=partner_language()).values(*_COLUMNS))
    if not rows:
        return []
    rules = {a: ACTIONS[a].emails for a in actions}
    needs_people = any(e.to == PARTNER_PEOPLE for specs in rules.values() for e in specs)
    people = _people({r["claim__company_id"] for r in rows}) if needs_people else {}
    outbox = [
        Notification(
            kind=email.kind,
            claim_id=row["claim_id"],
            event_id=row["pk"],
            to=to,
            language=language,
            created_at=row["at"],
            next_attempt_at=row["at"],
        )  # fmt: skip
        for row in rows
        for email in rules[row["action"]]
        if not email.actor_role or email.actor_role == row["actor_role"]
        for to, language in _recipients(email.to, row, people)
    ]
    return [n.pk for n in Notification.objects.bulk_create(outbox)] if outbox else []


def subscribe() -> None:
    # Looked up when called: the delivery request is the outbox module's (tests replace it there).
    events.subscribe("emails", write=write, deliver=lambda ids: notifications.request_delivery(ids))


# --- What each email says, read from its history row ------------------------------------------


_when = notifications.parse_time


def _products(claim: Claim) -> list[str]:
    return [cp.product.name for cp in claim.products.select_related("product").order_by("id")]


def _comment(event: ClaimEvent) -> str:
    pk = event.details.get("comment_id")
    return ClaimComment.objects.filter(pk=pk, claim_id=event.claim_id).values_list("body", flat=True).first() or ""


def _review_url(claim: Claim) -> str:
    return notifications.absolute_url(reverse("reviews:review", args=[claim.pk]))


def _rejection(event: ClaimEvent, claim: Claim) -> dict:
    d = event.details
    if event.action == "consent_denied":
        reason, message = RejectionReason.CUSTOMER_DENIAL, d.get("reason", "")
    else:
        reason, message = d.get("reason", ""), d.get("message", "")
    window = d.get("clock") == "dispute_window"
    return {
        "reason": reason,  # a code: the renderer shows its label in the recipient's language
        "message": message,
        "dispute_until": _when(d.get("clock_ends_at")) if window else None,
        "is_final": not window,
    }


CONTEXT: dict[str, Callable[[ClaimEvent, Claim], dict]] = {
    "claim_submitted": lambda e, c: {"review_by": _when(e.details.get("clock_ends_at"))},
    "comment_posted": lambda e, c: {"body": _comment(e)},
    "partner_commented": lambda e, c: {"body": _comment(e), "review_url": _review_url(c)},
    "partner_answered": lambda e, c: {
        "body": e.details.get("message", ""),
        "review_url": _review_url(c),
        "decide_by": _when(e.details.get("clock_ends_at")),
    },  # fmt: skip
    "info_requested": lambda e, c: {
        "reasons": list(e.details.get("reasons", [])),
        "message": e.details.get("message", ""),
        "remove_products": list(
            Product.objects.filter(code__in=e.details.get("remove_products", [])).order_by("name").values_list("name", flat=True)
        ),
        "answer_by": _when(e.details.get("clock_ends_at")),
    },
    "claim_approved": lambda e, c: {"products": _products(c), "consent_until": _when(e.details.get("clock_ends_at"))},
    "consent_request": lambda e, c: {
        "products": _products(c),
        "consent_url": consent_url(c),
        "consent_until": _when(e.details.get("clock_ends_at")),
    },  # fmt: skip
    "claim_rejected": _rejection,
    "claim_withdrawn": lambda e, c: {"reason": e.details.get("reason", ""), "message": e.details.get("message", "")},
    "arbitration_lost": lambda e, c: {
        "products": list(e.details.get("products", [])),
        "association_ended": bool(e.details.get("association_ended")),
        "decided_on": e.at,
    },
    "association_restored": lambda e, c: {"products": list(e.details.get("products", [])), "restored_on": e.at},
    "review_overdue": lambda e, c: {"due_at": _when(e.details.get("due_at"))},
    "consent_period_passed": lambda e, c: {},
    "evidence_infected": lambda e, c: {"file": e.details.get("file", ""), "signature": e.details.get("signature", "")},
}


def context(n: Notification, claim: Claim | None) -> dict:
    """What the email of this outbox row says: from its history row, or, for an email about
    no claim change (a webhook endpoint turned off), the context stored with it."""
    if n.event_id is not None and n.kind in CONTEXT and claim is not None:
        return CONTEXT[n.kind](n.event, claim)
    return notifications.decode(n.context or {})
