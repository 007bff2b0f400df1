"""An outbox email as the bytes an SMTP server receives, built directly.

Django builds a message through the standard library's `email` package (a tree of MIME
objects, then its generator): a large share of a delivery worker's time per email, enough to
take the B6 line below its goal (docs/benchmarks.md). The outbox's emails all have one shape
(a text body and an HTML alternative, no attachments, no Cc), so they are written here straight to bytes,
following the same rules as Django (django.core.mail.message): header injection refused,
non-ASCII headers RFC 2047-encoded, addresses sanitized, UTF-8 bodies sent as 7bit or
8bit, and a body with a line longer than SMTP allows encoded (base64 here, where Django
uses quoted-printable). tests/claims/test_wire.py parses the result with the standard
library and holds it equal to Django's own message for every email kind and language, and
fails on a Django other than the one it was checked against (DJANGO_CHECKED), so an upgrade
re-checks this module before it ships.
"""

from __future__ import annotations

import base64
import uuid
from email.header import Header
from email.utils import formataddr, formatdate, getaddresses
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import ADDRESS_HEADERS, BadHeaderError, sanitize_address

CRLF = "\r\n"
DJANGO_CHECKED = (5, 2)  # the Django whose message this module was held equal to
LINE_LIMIT = 998  # octets in a line of an SMTP message, CRLF excluded (RFC 5322)


@lru_cache(maxsize=4096)
def address(value: str) -> str:
    """Django's sanitize_address (display name encoding, IDNA domain), once per address."""
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Addresses can't contain newlines (got {value!r})")
    return sanitize_address(value, settings.DEFAULT_CHARSET)


def _header(name: str, value) -> str:
    value = str(value)
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for header {name!r})")
    if name.lower() in ADDRESS_HEADERS:
        value = ", ".join(address(formataddr(pair)) for pair in getaddresses([value]))
    elif not value.isascii():
        value = Header(value, "utf-8").encode(linesep=CRLF)
    elif name.lower() == "subject" or len(value) > 900:
        value = Header(value).encode(linesep=CRLF)  # folded when long, as Django's Subject
    return f"{name}: {value}"


def _part(text: str, subtype: str) -> str:
    lines = text.splitlines()
    if text.isascii() and all(len(line) <= LINE_LIMIT for line in lines):
        encoding, body = "7bit", CRLF.join(lines)
    elif all(len(line.encode()) <= LINE_LIMIT for line in lines):
        encoding, body = "8bit", CRLF.join(lines)
    else:
        encoding = "base64"
        body = base64.encodebytes(text.encode()).decode("ascii").replace("\n", CRLF).rstrip(CRLF)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}MIME-Version: 1.0{CRLF}'
        f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}{body}{CRLF}"
    )


def message_bytes(message: EmailMultiAlternatives) -> bytes:
    """The message as sent: multipart/alternative of the text body and its one HTML alternative."""
    if message.attachments or message.cc or message.reply_to or len(message.alternatives) != 1:
        raise ValueError("the outbox's wire format covers a text body with one HTML alternative")
    html, mimetype = message.alternatives[0]
    if mimetype != "text/html":
        raise ValueError(f"unexpected alternative {mimetype}")
    boundary = f"=_cpor_{uuid.uuid4().hex}"
    headers = [
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "MIME-Version: 1.0",
        _header("Subject", message.subject),
        f"From: {address(str(message.extra_headers.get('From', message.from_email)))}",
        f"To: {', '.join(address(str(to)) for to in message.to)}",
    ]
    extra = {name.lower() for name in message.extra_headers}
    if "date" not in extra:
        headers.append(f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}")
    if "message-id" not in extra:
        raise ValueError("an outbox email carries its own Message-ID")
    headers += [_header(name, value) for name, value in message.extra_headers.items() if name.lower() not in {"from", "to"}]
    text = CRLF.join(headers) + CRLF + CRLF
    text += f"--{boundary}{CRLF}{_part(message.body, 'plain')}"
    text += f"--{boundary}{CRLF}{_part(str(html), 'html')}"
    text += f"--{boundary}--{CRLF}"
    return text.encode("utf-8")


def envelope(message: EmailMultiAlternatives) -> tuple[str, list[str]]:
    """MAIL FROM and RCPT TO addresses, sanitized as Django's SMTP backend does."""
    return address(message.from_email), [address(to) for to in message.recipients()]
