#!/usr/bin/env python3
"""Lists what is left to translate after `make messages` (untranslated and fuzzy msgids,
per language), so a merge's new strings can be translated quickly.

    python scripts/untranslated.py              # summary + every entry left, per language
    python scripts/untranslated.py --summary    # counts only
    python scripts/untranslated.py --po it      # entries left for one language, as .po text

Exit status 1 when anything is left, so CI or a pre-commit hook can use it.
Terms to use: docs/glossary.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("pt_BR", "it", "zh_Hans", "es")


def catalogue(lang: str, domain: str = "django") -> Path:
    return ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"


def left(lang: str) -> list[polib.POEntry]:
    """Entries of one language still needing a translator: untranslated or fuzzy."""
    path = catalogue(lang)
    if not path.exists():
        return []
    po = polib.pofile(str(path))
    return [e for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--summary", action="store_true", help="counts only")
    parser.add_argument("--po", metavar="LANG", choices=LANGS, help="print the entries left for LANG as .po text")
    args = parser.parse_args(argv)

    if args.po:
        for entry in left(args.po):
            print(entry)
        return 1 if left(args.po) else 0

    total = 0
    for lang in LANGS:
        entries = left(lang)
        total += len(entries)
        fuzzy = sum(1 for e in entries if "fuzzy" in e.flags)
        print(f"{lang:8} {len(entries):4} left ({fuzzy} fuzzy)")
        if not args.summary:
            for e in entries:
                mark = "fuzzy" if "fuzzy" in e.flags else "new  "
                where = ", ".join(f for f, _line in e.occurrences[:2])
                print(f"   {mark} {e.msgid!r}" + (f" / {e.msgid_plural!r}" if e.msgid_plural else "") + f"  [{where}]")
    if total:
        print(f"{total} entries to translate. Terms: docs/glossary.md", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
