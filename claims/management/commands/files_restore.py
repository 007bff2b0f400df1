"""Puts the files of a folder written by `files_backup` back into the store (CPOR_STORAGE),
under the same names: the files half of a restore, after pg_restore (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Put the files of a files_backup folder back into the store, under the same names."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        if not folder.is_dir():
            raise CommandError(f"no such folder: {folder}")
        restored = present = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".partial")):
            name = path.relative_to(folder).as_posix()
            if default_storage.exists(name):
                present += 1
                continue
            with path.open("rb") as handle:
                saved = default_storage.save(name, File(handle, name=name))
            if saved != name:
                raise CommandError(f"the store saved {name!r} as {saved!r}")
            restored += 1
        self.stdout.write(f"{restored} files restored, {present} already in the store")
