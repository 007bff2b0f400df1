"""No English left: with the demo data, every page (partner, reviewer, customer, admin
lists), every email and the CSV, in each language, contain none of the catalogue's
English phrases. A string added without a translation fails here."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from claims.choices import ClaimState
from claims.models import Mpn

from .pages import every_email, every_page, seed_demo
from .support import LANGUAGES, english_left

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_in():
    """seed_demo(language): the demo data in that language, every user speaking it."""
    return seed_demo


def assert_no_english(pages: dict[str, str], language: str) -> None:
    # Directory data is shown as it is (an incentive program's own name is a proper name).
    data = [name for name in Mpn.objects.values_list("program_name", flat=True) if name]
    left = {}
    for where, text in pages.items():
        for value in data:
            text = text.replace(value, "")
        if found := english_left(text, language):
            left[where] = found
    assert not left, f"English left in {language}: {left}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_is_in_the_language(language, demo_in):
    pages = every_page(demo_in(language), language)
    assert_no_english(pages, language)
    # and the language really is on: a marker phrase of each page kind is translated
    with translation.override(language):
        assert str(ClaimState.PARTNER_ACTION_REQUIRED.label) in pages["/claims/"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_is_in_the_language(language, demo_in):
    demo_in(language)
    assert_no_english(every_email(language), language)


def test_the_english_check_catches_an_untranslated_phrase():
    """The check itself can fail: the English of a msgid is found, its translation is not."""
    with translation.override("it"):
        translated = str(ClaimState.PARTNER_ACTION_REQUIRED.label)
    assert english_left("<p>Partner Action Required</p>", "it") == ["Partner Action Required"]
    assert english_left(f"<p>{translated}</p>", "it") == []
    assert mail.outbox == []
