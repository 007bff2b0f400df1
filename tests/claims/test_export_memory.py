"""The CSV export streams with flat memory: what the process holds while the rows stream does
not grow with the number of claims exported (claims/views.py EXPORT_CHUNK; bench B5 measures
the same on a gunicorn worker with 10,000 claims)."""

import csv
import io
import tracemalloc

import pytest

from claims.models import Claim, ClaimProduct
from tests.conftest import m365_data

# With chunks of 500 claims (before), 2,000 claims peaked ~0.9 MB above 200; now ~20 KB.
FLAT = 256 * 1024


@pytest.fixture
def partner(client, fabrikam):
    client.force_login(fabrikam)
    return client


def clone_to(sources: list[Claim], total: int) -> None:
    """Copies of the claims (with their product lines) until the table holds `total`."""
    lines = {c.pk: list(c.products.all()) for c in sources}
    copies = []
    for i in range(total - Claim.objects.count()):
        copy = Claim.objects.get(pk=sources[i % len(sources)].pk)
        copy.pk, copy.name = None, f"{copy.name} copy {i}"
        copies.append(copy)
    Claim.objects.bulk_create(copies, batch_size=500)
    ClaimProduct.objects.bulk_create(
        [
            ClaimProduct(claim=copy, product_id=line.product_id, subscription_id=line.subscription_id)
            for i, copy in enumerate(copies)
            for line in lines[sources[i % len(sources)].pk]
        ],
        batch_size=1000,
    )


def streamed(client) -> tuple[int, int]:
    """(rows, peak bytes allocated while the export streamed), the parts read and dropped as a
    server writes them."""
    response = client.get("/claims/export.csv")
    assert response.status_code == 200
    rows, tail = 0, ""
    tracemalloc.start()
    try:
        for part in response.streaming_content:
            text = tail + part.decode("utf-8-sig")
            rows += text.count("\n")
            tail = text[-1:] if not text.endswith("\n") else ""
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return rows - 1, peak


def test_the_csv_export_holds_the_same_memory_for_200_and_2000_claims(partner, build):
    sources = [build.submitted(), build.editing(m365_data(name="draft"))]
    streamed(partner)  # first use: compiled queries, translations, formats
    clone_to(sources, 200)
    small_rows, small = streamed(partner)
    clone_to(sources, 2000)
    large_rows, large = streamed(partner)
    assert (small_rows, large_rows) == (200, 2000)
    assert large - small < FLAT, f"200 claims peaked at {small:,} bytes, 2,000 at {large:,}"


def test_the_export_of_many_claims_keeps_every_row_and_its_products(partner, build):
    sources = [build.submitted(), build.editing(m365_data(name="draft"))]
    clone_to(sources, 450)  # several chunks, the last one partial
    body = b"".join(partner.get("/claims/export.csv?sort=name").streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 450 and len({r["ID"] for r in rows}) == 450
    expected = {c.name: c.products.count() for c in sources}
    for row in rows:
        name = row["Claim name"].split(" copy ")[0]
        assert len(row["Products"].split("; ")) == expected[name], row
