"""Accounts move to django-allauth (issue 21, point 1): every existing user's address was
entered by staff, who had it from the partner's company, so it becomes that user's
primary, verified EmailAddress. An address two accounts share is verified for the first
(allauth allows one verified holder); the other keeps it as an unverified primary."""

from django.db import migrations


def verify_staff_emails(apps, schema_editor):
    User = apps.get_model("claims", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    taken = {e.lower() for e in EmailAddress.objects.filter(verified=True).values_list("email", flat=True)}
    has_address = set(EmailAddress.objects.values_list("user_id", flat=True))
    rows = []
    for user_id, email in User.objects.exclude(email="").order_by("pk").values_list("pk", "email").iterator():
        email = email.strip().lower()
        if not email or user_id in has_address:
            continue
        rows.append(EmailAddress(user_id=user_id, email=email, primary=True, verified=email not in taken))
        taken.add(email)
    EmailAddress.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0020_notification_failed_index"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(verify_staff_emails, migrations.RunPython.noop)]
