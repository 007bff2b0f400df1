import re

import pytest
from django.core import mail

from claims import outbox


def sent_mail():
    """Delivers the outbox (tests run the drain in-process) and returns Django's test mailbox."""
    outbox.drain_all()
    return mail.outbox


def invitation_link(message) -> str:
    return re.search(r"https?://\S+/team/join/\S+/", message.body).group(0)


@pytest.fixture
def team_mail():
    return sent_mail
