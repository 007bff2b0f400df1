"""The PoE pre-check: reads each uploaded proof of execution in the worker and says, per
reason a reviewer sends a claim back, whether the document shows it (issue 24).

Warnings only, never a block: the reviewer decides. `schedule(evidence)` is the one
trigger (called by the upload service on commit); `run(evidence_id)` is what the worker
does; `claim_checks(claim)` is what the partner's pages show for the whole claim.
"""

from __future__ import annotations

import logging
import tempfile
from contextlib import contextmanager
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import PrecheckStatus
from ..models import Claim, ClaimEvidence, EvidencePage
from .checks import CHECKS, FOUND, MISSING, UNSURE, Context, combine_products, run_checks
from .extract import READABLE, Unreadable, extract

log = logging.getLogger(__name__)

TASK = "claims.tasks.precheck_evidence"
QUEUE = "precheck"

# What each check looks for, as the requirement the partner is linked to (the anchor on the
# requirements page) and the warning shown when the document does not show it.
REQUIREMENTS = {
    "customer": {
        "title": _("The customer is named"),
        "requirement": _(
            "The document names the customer of the claim: its company name or one of its domains. "
            "A file that does not name the customer is taken for the wrong file."
        ),
        "warning": _("We could not find the customer's name or domain in this proof of execution."),
    },
    "signature": {
        "title": _("The customer signed"),
        "requirement": _(
            "A customer contact confirms the work: a signature with the person's name and the date "
            "(a signed letter, statement of work or acceptance, or an email from a customer address)."
        ),
        "warning": _("We could not find a customer signature with a person's name and a date."),
    },
    "date": {
        "title": _("Recent dates"),
        "requirement": _("The document is dated, and the work happened within the last 12 months."),
        "warning": _("We could not find a date within the last 12 months."),
    },
    "service": {
        "title": _("Your work is described"),
        "requirement": _(
            "The document describes what your company did for the customer (deployment, migration, "
            "configuration, training, adoption programme…) in a few sentences, not only a title."
        ),
        "warning": _("We could not find a description of your solution or service of some substance."),
    },
    "products": {
        "title": _("Every claimed product is named"),
        "requirement": _(
            "Every product or workload of the claim is named in the document. A product the proof of "
            "execution does not cover is removed from the claim."
        ),
        "warning": _("Some claimed products are not named in the proof of execution."),
    },
}


def requirement_url(code: str) -> str:
    return reverse("claims:poe-requirements") + f"#poe-{code}"


def schedule(evidence: ClaimEvidence) -> None:
    """Reads `evidence` in the worker once the upload commits. The one trigger of the
    pre-check: the upload service calls it (to move behind a malware scan, call it from there).
    A broker that is down loses nothing: the row stays pending and `run_pending` picks it up."""
    from celery import current_app

    pk = evidence.pk
    transaction.on_commit(lambda: _send(current_app, pk), robust=True)


def _send(app, pk: int) -> None:
    try:
        app.tasks[TASK].apply_async(args=[pk], queue=QUEUE)
    except Exception:  # noqa: BLE001 - a broker that is down: the sweep re-sends pending rows
        log.warning("pre-check of evidence %s not queued; run_pending will pick it up", pk, exc_info=True)


def context(claim: Claim) -> Context:
    """What the document should show, from the claim and its customer's directory entry."""
    names, domains = [], []
    if claim.tenant is not None:
        names.append(claim.tenant.name)
        domains += [claim.tenant.subdomain + ".onmicrosoft.com", *(d.domain for d in claim.tenant.domains.all())]
    if claim.customer_domain:
        domains.append(claim.customer_domain)
    products = [(cp.product.code, cp.product.name) for cp in claim.products.select_related("product")]
    return Context(customer_names=names, domains=domains, products=products, today=timezone.now().date())


def run(evidence_id: int) -> str | None:
    """Reads one evidence file and stores its pages and checks. Idempotent (a second run
    replaces the first); returns the status, or None for a row that no longer exists."""
    # Only a file the malware scan found clean is ever opened (claims.scanning calls schedule()
    # through after_clean once it is).
    evidence = ClaimEvidence.objects.select_related("claim__tenant").filter(pk=evidence_id).scanned_clean().first()
    if evidence is None:
        return None
    # An attempt is marked before reading: a file that kills the worker is not re-sent by
    # run_pending (which takes only files never attempted), so a poison file cannot loop.
    ClaimEvidence.objects.filter(pk=evidence_id, precheck_status=PrecheckStatus.PENDING).update(precheck_at=timezone.now())
    pages: list[tuple[int, str, bool]] = []
    status = PrecheckStatus.DONE
    if evidence.content_type not in READABLE:
        status = PrecheckStatus.UNREADABLE
    else:
        try:
            with _local_path(evidence) as path:
                extraction = extract(path, evidence.content_type)
            pages = [(p.number, p.text, p.ocr) for p in extraction.pages]
        except (Unreadable, OSError) as exc:
            log.info("evidence %s unreadable: %s", evidence_id, exc)
            status = PrecheckStatus.UNREADABLE
    checks = run_checks([(n, t) for n, t, _ in pages], context(evidence.claim)) if pages else []
    if status == PrecheckStatus.DONE and not any(t.strip() for _, t, _ in pages):
        status = PrecheckStatus.UNREADABLE  # no text at all: nothing to judge
        checks = []
    with transaction.atomic():
        EvidencePage.objects.filter(evidence_id=evidence_id).delete()
        EvidencePage.objects.bulk_create([EvidencePage(evidence_id=evidence_id, number=n, text=t, ocr=o) for n, t, o in pages])
        ClaimEvidence.objects.filter(pk=evidence_id).update(
            precheck_status=status, precheck_checks=checks, precheck_at=timezone.now()
        )
    return status


@contextmanager
def _local_path(evidence: ClaimEvidence):
    """A path on this machine holding the file (storages without one are copied to a temp file)."""
    try:
        path = evidence.file.path
    except NotImplementedError:  # Django's answer for a store with no local path (S3, Azure)
        path = None
    if path is not None:
        # Outside the try: an error of the caller's block must not be taken for the store's answer.
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="cpor-poe-") as tmp, evidence.file.open("rb") as handle:
        for chunk in handle.chunks():
            tmp.write(chunk)
        tmp.flush()
        yield tmp.name


def run_pending(limit: int = 20, older_than_seconds: int = 600) -> int:
    """Re-sends the pre-check of files never attempted a while after upload (a lost message;
    files uploaded before the pre-check existed, a batch at a time)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(
        ClaimEvidence.objects.filter(
            precheck_status=PrecheckStatus.PENDING, precheck_at__isnull=True, uploaded_at__lte=cutoff, removed_at__isnull=True
        )
        .scanned_clean()
        .order_by("uploaded_at")
        .values_list("pk", flat=True)[:limit]
    )
    from celery import current_app

    for pk in ids:
        _send(current_app, pk)
    return len(ids)


def evidence_view(evidence: ClaimEvidence) -> list[dict]:
    """The file's checks for display, in the reasons' order, each with its texts and link."""
    by_code = {c["code"]: c for c in evidence.precheck_checks or []}
    return [{**by_code[code], **REQUIREMENTS[code], "url": requirement_url(code)} for code in CHECKS if code in by_code]


def claim_checks(claim: Claim) -> dict:
    """The claim's pre-check over its live files: a reason is found when any file shows it
    (a product when any file names it). Uses the claim's prefetched evidence.

    {"pending": bool, "unreadable": [names], "checks": [...], "warnings": [checks not found]}"""
    live = [e for e in claim.evidence.all() if e.removed_at is None]
    done = [e for e in live if e.precheck_status == PrecheckStatus.DONE]
    out = {
        "pending": any(e.precheck_status == PrecheckStatus.PENDING for e in live),
        "unreadable": [e.original_name for e in live if e.precheck_status == PrecheckStatus.UNREADABLE],
        "checks": [],
        "warnings": [],
    }
    if not done:
        return out
    for code in CHECKS:
        found = [c for e in done for c in e.precheck_checks if c["code"] == code]
        if not found:
            continue
        if code == "products":
            per: dict[str, dict] = {}
            rank = {FOUND: 2, UNSURE: 1, MISSING: 0}
            for c in found:
                for item in c.get("products", []):
                    if item["code"] not in per or rank[item["verdict"]] > rank[per[item["code"]]["verdict"]]:
                        per[item["code"]] = item
            check = combine_products(list(per.values()))
        else:
            check = next((c for c in found if c["verdict"] == FOUND), None) or next(
                (c for c in found if c["verdict"] == UNSURE), found[0]
            )
        entry = {**check, **REQUIREMENTS[code], "url": requirement_url(code)}
        if check.get("date"):
            entry["date_value"] = date.fromisoformat(check["date"])
        out["checks"].append(entry)
        if check["verdict"] != FOUND:
            out["warnings"].append(entry)
    return out


def missing_reasons(claim: Claim) -> list[str]:
    """The reasons whose checks found nothing in any live file (the request-information form
    preselects them). Unsure is left to the reviewer."""
    return [c["reason"] for c in claim_checks(claim)["checks"] if c["verdict"] == MISSING]


def mark_unreadable(evidence_id: int) -> None:
    """A reading that ran past the task's time limit: the file is not read again."""
    ClaimEvidence.objects.filter(pk=evidence_id).update(
        precheck_status=PrecheckStatus.UNREADABLE, precheck_checks=[], precheck_at=timezone.now()
    )
