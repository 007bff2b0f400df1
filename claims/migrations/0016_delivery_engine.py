# The one delivery engine (claims.delivery): the retry window counts from the first attempt.

from django.db import migrations, models
from django.db.models import F


def first_attempts(apps, schema_editor):
    # Emails already tried: their window started no later than their creation (the old rule).
    apps.get_model("claims", "Notification").objects.filter(attempts__gt=0).update(first_attempt_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0015_notification_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="first_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first attempt at"),
        ),
        migrations.RunPython(first_attempts, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="notification",
            name="give_up_at",
        ),
    ]
