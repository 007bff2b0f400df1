"""Development email: one .eml file per message under var/mail, and a DEBUG-only
mailbox page to read them, so a demo user can click the customer's consent link."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"  # sorts in sending order
            (folder / name).write_bytes(message.message().as_bytes())
        return len(email_messages)


_NAME = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{8}\.eml$")


def _read(path: Path) -> dict:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return {
        "name": path.name,
        "subject": msg["subject"],
        "to": msg["to"],
        "date": msg["date"],
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
    }


def mailbox(request: HttpRequest) -> HttpResponse:
    folder = Path(settings.EMAIL_FILE_PATH)
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.exists() else []
    return render(request, "dev/mailbox.html", {"messages_": [_read(p) for p in files]})


def message(request: HttpRequest, name: str) -> HttpResponse:
    path = Path(settings.EMAIL_FILE_PATH) / name
    if not _NAME.match(name) or not path.exists():
        raise Http404
    return render(request, "dev/message.html", {"m": _read(path)})
