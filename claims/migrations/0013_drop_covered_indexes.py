"""Drops the claim indexes another index covers (issue 8, B1): the company's own (every
company index starts with it), the status's own two (status alone is read through the
company, queue and waiting indexes) and company + status (the prefix of company + status
+ created). Every UPDATE that changes a claim's state writes an entry in every index."""

import django.db.models.deletion
import django_fsm
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_queue_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="claim",
            name="claim_company_state_idx",
        ),
        migrations.AlterField(
            model_name="claim",
            name="company",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="claims.partnercompany",
                verbose_name="partner company",
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="state",
            field=django_fsm.FSMField(
                choices=[
                    ("editing", "Editing"),
                    ("submitted", "Submitted"),
                    ("under_review", "Under Review"),
                    ("partner_action_required", "Partner Action Required"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                ],
                default="editing",
                max_length=50,
                protected=True,
                verbose_name="status",
            ),
        ),
    ]
