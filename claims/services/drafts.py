"""A claim's own fields: creating, editing and deleting (drafts, and the limited edits after
submission that the state table allows)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language

from cpor import i18n

from ..access import partner_of, require_partner
from ..choices import ActorRole, EventAction
from ..errors import DomainError
from ..models import Claim, ClaimProduct, User
from ..rules import refuse_duplicate
from ..states import EDIT_ALL, EDIT_LIMITED, edit_scope
from ..validation import normalize_domain, parse_guid, validate_claim_input
from .base import change, record

# Fields a partner may change after submission (Submitted, Partner Action Required).
LIMITED_EDIT_KEYS = frozenset({"mpn_id", "products", "customer_contact", "partner_contact"})
ALL_EDIT_KEYS = LIMITED_EDIT_KEYS | {"name", "customer_tenant_id", "customer_domain", "solution_area", "activity"}
EDIT_KEYS = {EDIT_ALL: ALL_EDIT_KEYS, EDIT_LIMITED: LIMITED_EDIT_KEYS}


def _display(value) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "mpn_id", value))


def products_snapshot(claim: Claim) -> list[str]:
    return [
        f"{cp.product.code}:{cp.subscription.subscription_id}" if cp.subscription else cp.product.code
        for cp in claim.products.select_related("product", "subscription")
    ]


def _add_products(claim: Claim, lines) -> None:
    """The claim's product lines (validated: claims.validation)."""
    if lines:
        ClaimProduct.objects.bulk_create(
            ClaimProduct(claim=claim, product=line.product, subscription=line.subscription) for line in lines
        )


def _differs(claim: Claim, key: str, raw) -> bool:
    """Whether a field outside the editable set would change (unchanged values pass)."""
    if key == "customer_tenant_id":
        return parse_guid(raw) != claim.customer_tenant_id and not (raw in (None, "") and claim.customer_tenant_id is None)
    if key == "customer_domain":
        return normalize_domain(str(raw or "")) != normalize_domain(claim.customer_domain)
    return str(raw or "").strip() != str(getattr(claim, key) or "")


def claim_create(*, actor: User, data: dict) -> Claim:
    """Creates a claim in Editing. Any subset of fields may be given; what is given is checked.

    Side effects: history row 'created'.
    """
    require_partner(actor)
    unknown = set(data) - ALL_EDIT_KEYS
    data = {k: v for k, v in data.items() if k in ALL_EDIT_KEYS}
    data.setdefault("name", "")  # a claim always has a name, even as a draft
    clean = validate_claim_input(data, company=actor.company)
    # The customer contact's language defaults to the partner user's (docs/rules.md, "Languages").
    clean.values.setdefault("customer_contact_language", i18n.recipient_language(actor, fallback=get_language()))
    now = timezone.now()
    with transaction.atomic():
        claim = Claim(company=actor.company, created_by=actor, **clean.values)
        claim.save()
        _add_products(claim, clean.products or [])
        record(
            claim,
            actor=actor,
            role=ActorRole.PARTNER,
            action=EventAction.CREATED,
            now=now,
            changes={k: [None, _display(v)] for k, v in clean.values.items() if k != "tenant"}
            | ({"products": [[], products_snapshot(claim)]} if clean.products else {}),
            details={"ignored_fields": sorted(unknown)} if unknown else None,
        )
    return claim


def claim_update(*, claim: Claim, actor: User, data: dict) -> Claim:
    """Edits a claim. Editing: every field. Submitted / Partner Action Required: only the
    MPN, products and contacts (evidence and comments have their own services).
    Anything else, or any edit in another state, is refused with `not_editable`.

    Side effects: history row 'updated' with before/after values.
    """
    # An open claim can lose an arbitration: the tenant first, as every such change.
    with change(claim, actor=actor, action=EventAction.UPDATED, access=partner_of(actor), tenant_first=True) as c:
        claim = c.claim
        scope = edit_scope(claim.state)
        if not scope:
            raise DomainError.of("not_editable")
        allowed = EDIT_KEYS[scope]
        data = {k: v for k, v in data.items() if k in ALL_EDIT_KEYS}
        forbidden = [k for k in data if k not in allowed and _differs(claim, k, data[k])]
        if forbidden:
            raise DomainError([*(DomainError.of("not_editable", k).errors[0] for k in sorted(forbidden))])
        data = {k: v for k, v in data.items() if k in allowed}
        submitted = scope == EDIT_LIMITED
        if submitted and data.get("products") == []:
            raise DomainError.of("required", "products")
        # Once submitted the claim holds its subscriptions: lock them so two claims cannot take one at once.
        clean = validate_claim_input(data, company=claim.company, claim=claim, lock_subscriptions=submitted)
        for key, value in clean.values.items():
            before = getattr(claim, key)
            if before != value:
                if key != "tenant":
                    c.changes[key] = [_display(before), _display(value)]
                setattr(claim, key, value)
        if clean.products is not None:
            before_products = products_snapshot(claim)
            claim.products.all().delete()
            _add_products(claim, clean.products)
            after_products = products_snapshot(claim)
            if after_products != before_products:
                c.changes["products"] = [before_products, after_products]
                if submitted:
                    refuse_duplicate(claim)
                    from .arbitration import notify_arbitration

                    c.then(lambda: notify_arbitration(claim, now=c.now))
        if not c.changes:
            c.action = None  # nothing changed: no history row
    return c.claim


def claim_delete(*, claim: Claim, actor: User) -> None:
    """Deletes a draft. Only in Editing; a submitted claim is withdrawn instead."""
    with transaction.atomic():
        with change(claim, actor=actor, action=None, access=partner_of(actor)) as c:
            if edit_scope(c.claim.state) != EDIT_ALL:  # only a draft is deleted
                raise DomainError.of("invalid_transition")
        files = [e.file for e in c.claim.evidence.all()]
        c.claim.delete()  # cascades to the draft's history rows
        transaction.on_commit(lambda: [f.delete(save=False) for f in files], robust=True)
