"""Indexes that serve the list pages at a million claims (issue 8, B2/B3).

- the partner dashboard and API: a company's claims newest first, by status, by deadline;
- the review queue: Submitted and Under Review, overdue first then by deadline (a partial
  index, so the page is read in order and stops after one page);
- the competition check of a queue row: another company's open claims on the same tenant;
- search by claim name, customer (tenant) name and domain: trigram GIN indexes on the
  UPPER() expressions Django's `icontains` compares. Those need PostgreSQL's pg_trgm, so
  they are created only there; SQLite (`make run`) gets the btree indexes only.
"""

from django.db import migrations, models

TRIGRAM = [
    ("claim_name_trgm", "claims_claim", "name"),
    ("claim_domain_trgm", "claims_claim", "customer_domain"),
    ("tenant_name_trgm", "claims_customertenant", "name"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


QUEUE = models.Q(state__in=["submitted", "under_review"])
OPEN = models.Q(state__in=["submitted", "under_review", "partner_action_required"])


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0004_outbox_engine"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["company", "-created_at", "-id"], name="claim_company_created_idx"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["company", "state", "-created_at", "-id"], name="claim_company_state_new_idx"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["company", "deadline_at", "-id"], name="claim_company_deadline_idx"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                fields=["-is_overdue", "deadline_at", "id"],
                name="claim_queue_idx",
                include=["state", "is_dispute", "assigned_reviewer", "solution_area"],
                condition=QUEUE,
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["assigned_reviewer"], name="claim_queue_reviewer_idx", condition=QUEUE),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["tenant", "company"], name="claim_open_tenant_idx", condition=OPEN),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
