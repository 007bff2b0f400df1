"""Claim rows change state many times; at the default fillfactor (100) a page has no room,
so each UPDATE writes the new row version onto another page: two heap pages dirtied (and
WAL-logged after a checkpoint) per change instead of one. Leaving 15 % of each page free
keeps most new versions beside the old (issue 8, B1). PostgreSQL only; pages written from
now on (and a table rewritten by VACUUM FULL or CLUSTER) follow it."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE claims_claim SET (fillfactor = 85)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE claims_claim RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("claims", "0013_drop_covered_indexes")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
