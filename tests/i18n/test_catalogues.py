"""The catalogues are complete, current and compile.

After a merge adds strings, `test_the_catalogues_hold_every_string_of_the_code` fails
until `make messages` is run; then `test_every_msgid_is_translated` lists what is left
(also: `python scripts/untranslated.py`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from .support import LANGUAGES, catalogue_path

ROOT = Path(settings.BASE_DIR)
PYTHON_FORMAT = re.compile(r"%\(\w+\)[sd]|%[sd]")
SOURCES = ["claims", "reviews", "integrations", "teams", "cpor", "templates", "manage.py"]


def entries(language: str) -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(catalogue_path(language))) if not e.obsolete]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated_and_none_is_fuzzy(language):
    po = entries(language)
    assert len(po) > 400
    missing = [e.msgid for e in po if not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert not missing, f"{language}: {len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match(language):
    wrong = []
    for e in entries(language):
        if e.msgid_plural:
            expected = set(PYTHON_FORMAT.findall(e.msgid_plural))
            # a language with one form (Chinese) keeps the plural's placeholders
            wrong += [(e.msgid, s) for s in e.msgstr_plural.values() if set(PYTHON_FORMAT.findall(s)) != expected]
        elif sorted(PYTHON_FORMAT.findall(e.msgstr)) != sorted(PYTHON_FORMAT.findall(e.msgid)):
            wrong.append((e.msgid, e.msgstr))
    assert not wrong


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_follow_the_language(language):
    po = polib.pofile(str(catalogue_path(language)))
    forms = int(re.search(r"nplurals=(\d)", po.metadata["Plural-Forms"]).group(1))
    assert forms == {"pt-br": 2, "it": 2, "zh-hans": 1, "es": 3}[language]
    assert all(len(e.msgstr_plural) == forms for e in po if e.msgid_plural)


def need(tool: str) -> None:
    # `make test` builds the .mo files with gettext first, so a missing tool is a broken set-up, not a skip.
    if not shutil.which(tool):
        pytest.fail(f"needs Debian's gettext ({tool}): apt-get install gettext")


def test_compilemessages_succeeds_with_format_checks(tmp_path):
    need("msgfmt")
    for language in LANGUAGES:
        # msgfmt --check verifies python-format placeholders and the header
        subprocess.run(
            ["msgfmt", "--check", "-o", str(tmp_path / f"{language}.mo"), str(catalogue_path(language))],
            check=True,
            capture_output=True,
        )
    call_command("compilemessages", verbosity=0, ignore_patterns=[".venv", "staticfiles", "var"])
    for language in LANGUAGES:
        assert catalogue_path(language).with_suffix(".mo").stat().st_size > 10_000


def test_the_catalogues_hold_every_string_of_the_code(tmp_path):
    """Extracts the msgids from a copy of the code (as `make messages` would) and
    compares them with the committed catalogue: a string added without `make messages`
    fails here."""
    need("xgettext")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "locale"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cpor.settings", "PYTHONPATH": str(tmp_path)}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale=it", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = {(e.msgid, e.msgid_plural) for e in polib.pofile(str(tmp_path / "locale/it/LC_MESSAGES/django.po"))}
    committed = {(e.msgid, e.msgid_plural) for e in entries("it")}
    assert extracted - committed == set(), "run `make messages`, then translate (scripts/untranslated.py)"
    assert committed - extracted == set(), "run `make messages` to drop strings the code no longer has"
    for language in LANGUAGES:
        assert {(e.msgid, e.msgid_plural) for e in entries(language)} == committed
