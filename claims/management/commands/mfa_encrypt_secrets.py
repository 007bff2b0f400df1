"""Encrypts every stored authenticator-app secret and recovery-code seed with the first key of
CPOR_MFA_ENCRYPTION_KEYS: once after upgrading (secrets stored before encryption came in), and
after putting a new key first (then the old key may be dropped from the list)
(docs/operations.md, "Second factor")."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from claims.mfa import encrypt_stored_secrets


class Command(BaseCommand):
    help = "Encrypt stored second-factor secrets with the first key of CPOR_MFA_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        changed = encrypt_stored_secrets()
        self.stdout.write(f"{changed} authenticator(s) re-encrypted with the first key.")
