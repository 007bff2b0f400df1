"""The free texts' lengths move from the forms and serializers to their model fields
(claims.lengths). A TextField's max_length is checked by forms and validation, not by the
database (the column stays `text`), so this alters the state only: left to itself, SQLite
would rebuild the claims table for nothing."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("claims", "0016_delivery_engine")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="claim",
                    name="dispute_justification",
                    field=models.TextField(blank=True, max_length=5000, verbose_name="business justification"),
                ),
                migrations.AlterField(
                    model_name="claim",
                    name="info_request_message",
                    field=models.TextField(
                        blank=True, max_length=5000, verbose_name="message of the request for information"
                    ),
                ),
                migrations.AlterField(
                    model_name="claim",
                    name="rejection_message",
                    field=models.TextField(blank=True, max_length=5000, verbose_name="rejection message"),
                ),
                migrations.AlterField(
                    model_name="claimcomment",
                    name="body",
                    field=models.TextField(max_length=5000, verbose_name="comment"),
                ),
                migrations.AlterField(
                    model_name="claimevidence",
                    name="removal_reason",
                    field=models.TextField(blank=True, max_length=2000, verbose_name="reason for removal"),
                ),
            ],
            database_operations=[],
        )
    ]
