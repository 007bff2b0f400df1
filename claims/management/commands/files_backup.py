"""Copies every stored file a database row names from the store (CPOR_STORAGE) into a folder:
the files half of a backup, taken right after pg_dump (docs/operations.md, "Backups")."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from cpor import storage


class Command(BaseCommand):
    help = "Copy every stored file the database names into a folder (after pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        copied = missing = 0
        for name in storage.stored_names():
            target = (folder / name).resolve()
            if folder.resolve() not in target.parents:
                raise CommandError(f"refusing a stored name outside the folder: {name!r}")
            if target.exists():
                copied += 1  # an earlier run copied it; stored files never change
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                source = default_storage.reader(name) if hasattr(default_storage, "reader") else default_storage.open(name)
            except FileNotFoundError:
                missing += 1
                self.stderr.write(f"missing in the store: {name}")
                continue
            partial = target.with_name(target.name + ".partial")
            with partial.open("wb") as out:
                try:
                    shutil.copyfileobj(source, out, storage.CHUNK)
                finally:
                    source.close()
            partial.rename(target)
            copied += 1
        self.stdout.write(f"{copied} files in {folder}, {missing} missing in the store")
        if missing:
            raise CommandError(f"{missing} files the database names are missing in the store")
