"""Checks of claim input against the directory, shared by every entry point.

A draft (Editing) may be incomplete: only what is given is checked. Submission
checks completeness and re-checks every subscription, because another claim may
have taken it since the draft was saved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from cpor import i18n

from .choices import ACTIVITIES_BY_AREA, Channel, SolutionArea, SubscriptionStatus
from .errors import ErrorCollector
from .lengths import max_length
from .models import Claim, ClaimProduct, CustomerTenant, Mpn, PartnerCompany, Product, Subscription, TenantDomain
from .states import HOLDING_STATES

CONTACT_FIELDS = ("name", "email", "phone")


@dataclass
class ProductLine:
    product: Product
    subscription: Subscription | None


@dataclass
class CleanClaim:
    """Validated values, ready to be written. Only keys present in the input are set."""

    values: dict = field(default_factory=dict)
    products: list[ProductLine] | None = None


def parse_guid(raw) -> uuid.UUID | None:
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw).strip())
    except (ValueError, AttributeError, TypeError):
        return None


def normalize_domain(raw: str) -> str:
    value = (raw or "").strip().lower().rstrip(".")
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    value = value.split("/")[0]
    if value and "." not in value:
        value = f"{value}.onmicrosoft.com"
    return value


def domain_belongs_to(tenant: CustomerTenant, raw_domain: str) -> bool:
    domain = normalize_domain(raw_domain)
    return domain == tenant.initial_domain or TenantDomain.objects.filter(tenant=tenant, domain=domain).exists()


def check_subscription(
    raw,
    *,
    product: Product,
    tenant: CustomerTenant | None,
    exclude_claim_id: int | None,
    company_id: int | None = None,
    lock: bool = False,
) -> tuple[Subscription | None, str | None, dict]:
    """The subscription for a Dynamics product line, or the code of the first failure and
    its message's parameters.

    The order follows the claim flow's messages: not a subscription at all, not for
    Dynamics, not on this tenant/product, CSP, not provisioned, not active, taken. Taken by
    a claim of `company_id` itself, the message names that claim (never another company's).
    """
    guid = parse_guid(raw)
    if guid is None:
        return None, "invalid_subscription_id", {}
    qs = Subscription.objects.select_related("product")
    if lock:
        # Serializes two claims racing for one subscription (PostgreSQL row lock).
        qs = qs.select_for_update(of=("self",))
    sub = qs.filter(subscription_id=guid).first()
    if sub is None:
        return None, "invalid_subscription_id", {}
    if not sub.product.is_dynamics:
        return None, "subscription_not_dynamics", {}
    if sub.product_id != product.pk or (tenant is not None and sub.tenant_id != tenant.pk):
        return None, "product_not_on_tenant", {}
    if sub.channel == Channel.CSP:
        return None, "subscription_is_csp", {}
    if not sub.provisioned:
        return None, "subscription_not_provisioned", {}
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.IN_GRACE):
        return None, "subscription_inactive", {}
    taken = ClaimProduct.objects.filter(subscription=sub, claim__state__in=HOLDING_STATES)
    if exclude_claim_id is not None:
        taken = taken.exclude(claim_id=exclude_claim_id)
    # The holders, the company's own first: normally one claim holds a subscription.
    holders = list(taken.order_by("claim_id").values_list("claim_id", "claim__name", "claim__company_id")[:10])
    if holders:
        own = next((h for h in holders if company_id is not None and h[2] == company_id), None)
        if own is not None:
            return None, "subscription_already_claimed", {"case": "own_claim", "claim": f"#{own[0]} “{own[1]}”"}
        return None, "subscription_already_claimed", {}
    return sub, None, {}


def _check_contact(errors: ErrorCollector, name: str, raw) -> dict:
    if not isinstance(raw, dict):
        raw = {}
    clean = {}
    for key in CONTACT_FIELDS:
        value = str(raw.get(key) or "").strip()
        longest = max_length(Claim, f"{name}_{key}")
        if len(value) > longest:
            errors.add("too_long", f"{name}.{key}", max=longest)
            continue
        if key == "email" and value:
            try:
                validate_email(value)
            except ValidationError:
                errors.add("invalid_email", f"{name}.{key}")
                continue
        clean[f"{name}_{key}"] = value
    if name == "customer_contact" and raw.get("language"):
        language = i18n.supported(str(raw["language"]))
        if language is None:
            errors.add("unsupported_language", f"{name}.language")
        else:
            clean["customer_contact_language"] = language
    return clean


def validate_claim_input(
    data: dict,
    *,
    company: PartnerCompany,
    claim: Claim | None = None,
    lock_subscriptions: bool = False,
) -> CleanClaim:
    """Checks the keys present in `data`; the rest of the claim stays as it is.

    Raises DomainError with every field error found.
    """
    errors = ErrorCollector()
    out = CleanClaim()
    v = out.values

    def current(key: str):
        return getattr(claim, key) if claim is not None else ""

    if "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            errors.add("required", "name")
        elif len(name) > max_length(Claim, "name"):
            errors.add("too_long", "name", max=max_length(Claim, "name"))
        else:
            v["name"] = name

    tenant = claim.tenant if claim is not None else None
    if "customer_tenant_id" in data:
        raw = data.get("customer_tenant_id")
        if raw in (None, ""):
            v["customer_tenant_id"], v["tenant"], tenant = None, None, None
        else:
            guid = parse_guid(raw)
            if guid is None:
                errors.add("invalid_tenant_id", "customer_tenant_id")
                tenant = None
            else:
                tenant = CustomerTenant.objects.filter(tenant_id=guid).first()
                if tenant is None:
                    errors.add("unknown_tenant", "customer_tenant_id")
                else:
                    v["customer_tenant_id"], v["tenant"] = guid, tenant
    tenant_ok = not errors.has("customer_tenant_id")

    if "customer_domain" in data or ("customer_tenant_id" in data and tenant is not None):
        raw_domain = str(data.get("customer_domain", current("customer_domain")) or "").strip()
        if len(raw_domain) > max_length(Claim, "customer_domain"):
            errors.add("too_long", "customer_domain", max=max_length(Claim, "customer_domain"))
        else:
            if raw_domain and tenant is not None and tenant_ok and not domain_belongs_to(tenant, raw_domain):
                errors.add("domain_tenant_mismatch", "customer_domain")
            elif "customer_domain" in data:
                v["customer_domain"] = raw_domain.lower()

    area = current("solution_area")
    if "solution_area" in data:
        area = str(data.get("solution_area") or "")
        if area and area not in SolutionArea.values:
            errors.add("solution_area_unknown", "solution_area")
            area = None
        else:
            v["solution_area"] = area
    if "activity" in data or "solution_area" in data:
        activity = str(data.get("activity", current("activity")) or "")
        if activity and area is not None and (not area or activity not in ACTIVITIES_BY_AREA[area]):
            errors.add("activity_not_in_solution_area", "activity")
        elif "activity" in data:
            v["activity"] = activity

    if "mpn_id" in data:
        raw = str(data.get("mpn_id") or "").strip()
        if not raw:
            v["mpn"] = None
        else:
            mpn = Mpn.objects.filter(company=company, mpn_id=raw).first()
            if mpn is None:
                errors.add("mpn_not_in_company", "mpn_id")
            else:
                v["mpn"] = mpn

    for contact in ("customer_contact", "partner_contact"):
        if contact in data:
            v.update(_check_contact(errors, contact, data.get(contact)))

    if "products" in data or ("solution_area" in data and claim is not None):
        lines = data.get("products")
        if lines is None:
            lines = [
                {"product": cp.product.code, "subscription_id": cp.subscription and str(cp.subscription.subscription_id)}
                for cp in (claim.products.select_related("product", "subscription") if claim else [])
            ]
        out.products = _check_products(
            errors,
            lines,
            area=area,
            tenant=tenant if tenant_ok else None,
            claim=claim,
            company_id=company.pk,
            lock=lock_subscriptions,
        )

    errors.raise_if_any()
    return out


def _check_products(errors, lines, *, area, tenant, claim, company_id: int, lock: bool) -> list[ProductLine]:
    if not isinstance(lines, list):
        errors.add("invalid_products", "products")
        return []
    codes = [str((line or {}).get("product") or "") if isinstance(line, dict) else "" for line in lines]
    by_code = {p.code: p for p in Product.objects.filter(code__in=codes)}
    clean: list[ProductLine] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        prefix = f"products[{i}]"
        code = codes[i]
        product = by_code.get(code)
        if product is None:
            errors.add("unknown_product", f"{prefix}.product")
            continue
        if code in seen:
            errors.add("duplicate_product", f"{prefix}.product")
            continue
        seen.add(code)
        if area and product.solution_area != area:
            errors.add("product_not_in_solution_area", f"{prefix}.product")
            continue
        raw_sub = line.get("subscription_id")
        raw_sub = "" if raw_sub is None else str(raw_sub).strip()
        sub = None
        if product.is_dynamics:
            if raw_sub:
                sub, code_err, params = check_subscription(
                    raw_sub,
                    product=product,
                    tenant=tenant,
                    exclude_claim_id=claim.pk if claim else None,
                    company_id=company_id,
                    lock=lock,
                )
                if code_err:
                    errors.add(code_err, f"{prefix}.subscription_id", **params)
                    continue
            # A draft may leave the subscription for later; submission requires it.
        elif raw_sub:
            errors.add("subscription_not_applicable", f"{prefix}.subscription_id")
            continue
        clean.append(ProductLine(product, sub))
    return clean


def check_complete(claim: Claim, *, lock_subscriptions: bool) -> None:
    """Everything submission needs. Raises DomainError listing every gap."""
    errors = ErrorCollector()
    for key in ("name", "customer_domain", "solution_area", "activity"):
        if not getattr(claim, key):
            errors.add("required", key)
    if claim.tenant_id is None:
        errors.add("required", "customer_tenant_id")
    if claim.mpn_id is None:
        errors.add("required", "mpn_id")
    elif claim.mpn.company_id != claim.company_id:
        errors.add("mpn_not_in_company", "mpn_id")
    for contact in ("customer_contact", "partner_contact"):
        for key in ("name", "email"):
            if not getattr(claim, f"{contact}_{key}"):
                errors.add("required", f"{contact}.{key}")
    if claim.tenant_id and claim.customer_domain and not domain_belongs_to(claim.tenant, claim.customer_domain):
        errors.add("domain_tenant_mismatch", "customer_domain")
    if claim.solution_area and claim.activity and claim.activity not in ACTIVITIES_BY_AREA[claim.solution_area]:
        errors.add("activity_not_in_solution_area", "activity")
    lines = list(claim.products.select_related("product", "subscription"))
    if not lines:
        errors.add("required", "products")
    for i, line in enumerate(lines):
        prefix = f"products[{i}]"
        if claim.solution_area and line.product.solution_area != claim.solution_area:
            errors.add("product_not_in_solution_area", f"{prefix}.product")
        if line.product.is_dynamics:
            if line.subscription is None:
                errors.add("subscription_required", f"{prefix}.subscription_id")
                continue
            _, code, params = check_subscription(
                line.subscription.subscription_id,
                product=line.product,
                tenant=claim.tenant,
                exclude_claim_id=claim.pk,
                company_id=claim.company_id,
                lock=lock_subscriptions,
            )
            if code:
                errors.add(code, f"{prefix}.subscription_id", **params)
    if not claim.evidence.filter(removed_at__isnull=True).exists():
        errors.add("evidence_required", "evidence")
    errors.raise_if_any()
