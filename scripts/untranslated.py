#!/usr/bin/env python3
"""Lists what is left to translate after `make messages` (untranslated and fuzzy msgids,
per language), so a merge's new strings can be translated quickly.

    python scripts/untranslated.py              # summary + every entry left, per language
    python scripts/untranslated.py --summary    # counts only
    python scripts/untranslated.py --po it      # entries left for one language, as .po text
    python scripts/untranslated.py --json > delta.json     # what is left, to hand to translators
    python scripts/untranslated.py --apply delta.json      # write their translations back

delta.json maps each msgid to {"plural": msgid_plural or null, "pt_BR": ..., "it": ...,
"zh_Hans": ..., "es": ...}; a translation is a string, or a list of forms for a plural
(Spanish takes three: one, many, other; Chinese one). --apply fills empty and fuzzy entries
only, checks that the placeholders match the msgid's, and clears the fuzzy flag.

Exit status 1 when anything is left, so CI or a pre-commit hook can use it.
Terms to use: docs/glossary.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
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


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def as_json() -> dict:
    delta: dict = {}
    for lang in LANGS:
        for e in left(lang):
            item = delta.setdefault(e.msgid, {"plural": e.msgid_plural or None, **{code: None for code in LANGS}})
            item["where"] = [f for f, _line in e.occurrences]
    return delta


def apply(path: str) -> list[str]:
    """Writes translations from `path` into the catalogues; returns the problems found."""
    delta = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = []
    for lang in LANGS:
        po = polib.pofile(str(catalogue(lang)), wrapwidth=79)
        for e in po:
            if e.obsolete or (e.translated() and "fuzzy" not in e.flags) or not (delta.get(e.msgid) or {}).get(lang):
                continue
            text = delta[e.msgid][lang]
            forms = text if isinstance(text, list) else [text]
            expected = set(PLACEHOLDER.findall(e.msgid_plural or e.msgid))
            if any(set(PLACEHOLDER.findall(f)) != expected for f in forms):
                problems.append(f"{lang}: placeholders differ for {e.msgid!r}")
                continue
            if e.msgid_plural:
                count = len(e.msgstr_plural) or 2
                forms = (forms + [forms[-1]] * count)[:count]
                e.msgstr_plural = dict(enumerate(forms))
            else:
                e.msgstr = forms[0]
            if "fuzzy" in e.flags:
                e.flags.remove("fuzzy")
            e.previous_msgid = e.previous_msgid_plural = e.previous_msgctxt = None
        po.save(str(catalogue(lang)))
        if shutil.which("msgcat"):  # gettext's own layout, as `make messages` writes it
            subprocess.run(["msgcat", "-o", str(catalogue(lang)), str(catalogue(lang))], check=True)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--summary", action="store_true", help="counts only")
    parser.add_argument("--po", metavar="LANG", choices=LANGS, help="print the entries left for LANG as .po text")
    parser.add_argument("--json", action="store_true", help="print what is left as JSON for translators")
    parser.add_argument("--apply", metavar="FILE", help="write translations from a JSON file (see above)")
    args = parser.parse_args(argv)

    if args.json:
        print(json.dumps(as_json(), ensure_ascii=False, indent=2))
        return 0
    if args.apply:
        for problem in apply(args.apply):
            print(problem, file=sys.stderr)
        args.summary = True

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
