"""The import flags a row by the rules a submission obeys: a row is a duplicate exactly when
submitting an equal claim is refused with `duplicate_claim`, and competing exactly when an
equal claim is warned of arbitration (claims.competition, one definition for both)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims import competition, services
from claims.errors import DomainError
from integrations import imports
from integrations.models import ImportRow
from reviews import services as review
from tests.conftest import Builder, m365_data

from .files import csv_bytes, good_row

NORTHWIND = {"mpn_id": "5678901", "partner_contact": {"name": "Diego Siciliani", "email": "diego@northwind.example"}}


def own_open(fabrikam, northwind, ana):
    Builder(fabrikam, ana).submitted(m365_data())


def own_approved(fabrikam, northwind, ana):
    Builder(fabrikam, ana).approved(m365_data())


def own_approved_lost_in_arbitration(fabrikam, northwind, ana):
    held = Builder(fabrikam, ana).approved(m365_data())
    rival = Builder(northwind, ana).under_review(m365_data(name="Northwind Teams", **NORTHWIND))
    review.review_approve(claim=rival, reviewer=ana, rationale="Northwind's PoE is signed and current.")
    held.refresh_from_db()
    assert held.state == "approved" and held.association_ended_at is not None  # Approved, association ended


def own_withdrawn(fabrikam, northwind, ana):
    claim = Builder(fabrikam, ana).submitted(m365_data())
    services.claim_withdraw(claim=claim, actor=fabrikam, reason="wrong_mpn")


def own_rejected(fabrikam, northwind, ana):
    Builder(fabrikam, ana).rejected(m365_data())


def another_companys_claim(fabrikam, northwind, ana):
    Builder(northwind, ana).submitted(m365_data(name="Northwind Teams", **NORTHWIND))


@pytest.mark.parametrize(
    ("existing", "duplicate"),
    [
        (own_open, True),
        (own_approved, True),
        (own_approved_lost_in_arbitration, False),
        (own_withdrawn, False),
        (own_rejected, False),
        (another_companys_claim, False),
    ],
)
def test_an_import_row_is_a_duplicate_exactly_when_submitting_an_equal_claim_is_refused(
    fabrikam, northwind, ana, existing, duplicate
):
    existing(fabrikam, northwind, ana)
    row = good_row(1)  # Contoso / Teams, as m365_data()
    batch = imports.import_create(actor=fabrikam, upload=SimpleUploadedFile("c.csv", csv_bytes([row])))
    flagged = ImportRow.objects.get(batch=batch)
    assert flagged.ok, flagged.errors

    equal = Builder(fabrikam, ana).editing(m365_data(name="The same claim, submitted"))
    conflicts = competition.conflicts(equal)
    try:
        services.claim_submit(claim=equal, actor=fabrikam)
    except DomainError as exc:
        refused = exc.code == "duplicate_claim"
        named = dict(exc.errors[0].params).get("claim_id")
    else:
        refused, named = False, None

    assert refused is duplicate  # the case is what it says
    assert (flagged.duplicate_of is not None) is refused
    assert flagged.duplicate_of == named
    assert flagged.competing is bool(conflicts)


def test_the_flags_of_a_chunk_take_the_same_queries_for_one_row_or_hundreds(fabrikam, northwind, ana):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.models import CustomerTenant, Product
    from integrations.imports.rows import flag_rows
    from integrations.models import ClaimImport
    from tests.conftest import another_customer

    own_open(fabrikam, northwind, ana)
    another_companys_claim(fabrikam, northwind, ana)
    for n in range(50):
        another_customer(n)
    tenants = list(CustomerTenant.objects.values_list("pk", flat=True))
    products = list(Product.objects.values_list("pk", flat=True)[:4])
    batch = ClaimImport(company_id=fabrikam.company_id)

    def queries(n: int) -> int:
        rows = [ImportRow(batch=batch, row_number=i + 2, row_key=f"{n}-{i}") for i in range(n)]
        pairs = {row.row_number: [(tenants[i % len(tenants)], products[i % len(products)])] for i, row in enumerate(rows)}
        with CaptureQueriesContext(connection) as captured:
            flag_rows(batch, rows, pairs)
        return len(captured)

    assert queries(1) == queries(500) <= 5
