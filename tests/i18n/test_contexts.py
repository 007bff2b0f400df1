"""A short word with two meanings has a context per meaning (pgettext), so translators word
each one: the end of the overview's date range ("to") is not the recipient of an email
("To" in the failed-emails list, "to" on the outbox row)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import trans_real

from claims.models import Notification

pytestmark = pytest.mark.django_db

# What a translator gives each meaning, in Italian.
ITALIAN = {
    ("date range", "to"): "al",
    ("email recipient", "To"): "Destinatario",
    ("email recipient", "to"): "destinatario",
}


@pytest.fixture
def italian(monkeypatch):
    """The Italian catalogue with a translation for each meaning."""
    catalog = trans_real.translation("it")._catalog._catalogs[0]
    for (context, msgid), text in ITALIAN.items():
        monkeypatch.setitem(catalog, f"{context}{trans_real.CONTEXT_SEPARATOR}{msgid}", text)


def reader(client, user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def date_range_end(page: str) -> str:
    return re.search(r'<label for="to">([^<]*)</label>', page).group(1)


def test_the_date_range_end_and_the_email_recipient_are_worded_apart(client, ana, build, italian):
    build.submitted()
    Notification.objects.update(status="failed", attempts=80, last_attempt_at=timezone.now() - timedelta(hours=1))
    reader(client, ana, "it")
    assert date_range_end(client.get("/review/overview/").content.decode()) == "al"
    assert '<th scope="col">Destinatario</th>' in client.get("/review/outbox/").content.decode()
    with translation.override("it"):
        assert str(Notification._meta.get_field("to").verbose_name) == "destinatario"


@pytest.mark.parametrize("language, recipient", [("it", "destinatario"), ("zh-hans", "收件人")])
def test_the_overview_never_calls_the_end_of_its_date_range_a_recipient(client, ana, language, recipient):
    reader(client, ana, language)
    assert date_range_end(client.get("/review/overview/").content.decode()).lower() != recipient
