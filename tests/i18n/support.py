"""What "no English left" means: the catalogue's English msgids, cut at their
placeholders into phrases of two words or more. A page in another language must
contain none of them, except phrases that language keeps as they are (product
names such as "Microsoft 365", which its own translations contain too)."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation import to_locale

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}")
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / to_locale(language) / "LC_MESSAGES" / "django.po"


@cache
def english_phrases(language: str) -> frozenset[str]:
    po = polib.pofile(str(catalogue_path(language)))
    translated = "\n".join([e.msgstr for e in po] + [s for e in po for s in e.msgstr_plural.values()])
    phrases = set()
    for entry in po:
        for text in filter(None, (entry.msgid, entry.msgid_plural)):
            for fragment in PLACEHOLDER.split(text):
                fragment = fragment.strip(" \n:.,;()“”\"'—-")
                if len(fragment.split()) >= 2 and fragment not in translated:
                    phrases.add(fragment)
    return frozenset(phrases)


def english_left(text: str, language: str) -> list[str]:
    """The untranslated catalogue phrases found in `text` (HTML is unescaped first)."""
    text = html.unescape(text)
    return sorted(p for p in english_phrases(language) if p in text)


@contextmanager
def everyone_speaks(language: str):
    """Users created inside have saved `language`, and it is the active one, so the
    texts the system writes (notes to partners) are in it too. For demo data in tests."""
    from django.db.models.signals import pre_save
    from django.utils import translation

    from claims.models import User

    def speaks(sender, instance, **kwargs):
        instance.language = instance.language or language

    pre_save.connect(speaks, sender=User, dispatch_uid="everyone-speaks")
    try:
        with translation.override(language):
            yield
    finally:
        pre_save.disconnect(sender=User, dispatch_uid="everyone-speaks")
