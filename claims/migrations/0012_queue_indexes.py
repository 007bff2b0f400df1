"""Indexes that read each filtered list page in its order, one page only (issue 8, B3).

- the review queue's "Assigned to me" and "Unassigned": the reviewer index (0009) extended
  with the queue order, on COALESCE(reviewer, 0) so that "nobody" is an equality too;
- the queue's disputes and the Partner Action Required claims ("waiting"): partial indexes
  of exactly those claims, in the queue order (small: only their rows are written);
- the dashboard by deadline: running clocks first, soonest first, replacing the plain
  (company, deadline_at) index that this sort (since the running-clock key) no longer used;
- the competition check (the "competing" filter reads the queue in order and checks each
  row): the open-claims-by-tenant index covers the claim id, an index-only scan.
"""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_labels"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="claim",
            name="claim_company_deadline_idx",
        ),
        migrations.RemoveIndex(
            model_name="claim",
            name="claim_queue_reviewer_idx",
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                models.F("company"),
                models.Case(
                    models.When(deadline_at__isnull=False, deadline_expired=False, then=models.Value(0)), default=models.Value(1)
                ),
                models.F("deadline_at"),
                models.OrderBy(models.F("id"), descending=True),
                name="claim_company_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce("assigned_reviewer", models.Value(0)),
                models.OrderBy(models.F("is_overdue"), descending=True),
                models.F("deadline_at"),
                models.F("id"),
                condition=models.Q(("state__in", ["submitted", "under_review"])),
                name="claim_queue_reviewer_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                condition=models.Q(("is_dispute", True), ("state__in", ["submitted", "under_review"])),
                fields=["-is_overdue", "deadline_at", "id"],
                name="claim_queue_dispute_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                condition=models.Q(("state", "partner_action_required")),
                fields=["-is_overdue", "deadline_at", "id"],
                name="claim_waiting_idx",
            ),
        ),
        # Covering the id: the competition check of a queue row reads no claim row.
        migrations.RemoveIndex(model_name="claim", name="claim_open_tenant_idx"),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                fields=["tenant", "company"],
                name="claim_open_tenant_idx",
                include=["id"],
                condition=models.Q(state__in=["submitted", "under_review", "partner_action_required"]),
            ),
        ),
    ]
