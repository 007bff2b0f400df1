"""The outbox stores what to render (kind, context, language) and retries with backoff
until give_up_at; rendering moves to the delivering worker."""

from datetime import timedelta

import django.utils.timezone
from django.db import migrations, models


def backfill(apps, schema_editor):
    Notification = apps.get_model("claims", "Notification")
    Notification.objects.update(next_attempt_at=models.F("created_at"), give_up_at=models.F("created_at") + timedelta(days=3))
    # Rows that the old outbox gave up on get another three days from now.
    now = django.utils.timezone.now()
    Notification.objects.filter(status="failed").update(status="pending", next_attempt_at=now, give_up_at=now + timedelta(days=3))


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_idempotency")]

    operations = [
        migrations.RemoveIndex(model_name="notification", name="notification_pending_idx"),
        migrations.RemoveField(model_name="notification", name="body_html"),
        migrations.RemoveField(model_name="notification", name="body_text"),
        migrations.AddField(model_name="notification", name="context", field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(model_name="notification", name="language", field=models.CharField(blank=True, max_length=16)),
        migrations.AlterField(model_name="notification", name="subject", field=models.CharField(blank=True, max_length=255)),
        migrations.AddField(
            model_name="notification",
            name="next_attempt_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="give_up_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(model_name="notification", name="locked_until", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="notification", name="last_attempt_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="notification_due_idx"
            ),
        ),
    ]
