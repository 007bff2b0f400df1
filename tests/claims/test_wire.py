"""The outbox's emails written straight to bytes (claims/wire.py) say what Django's own
message says: the standard library parses both to the same headers and bodies, for every
kind of email in every language, and the SMTP path really sends them that way."""

import email
from email import policy

import pytest
from django.conf import settings
from django.core.mail.message import BadHeaderError

from claims import outbox, wire
from claims.models import Notification
from tests.conftest import m365_data
from tests.smtp import SmtpSink, free_port

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def same(ours: bytes, django: bytes) -> None:
    a, b = parsed(ours), parsed(django)
    for header in ("Subject", "From", "To", "Message-ID", "Content-Language", "MIME-Version"):
        # (Django folds an encoded Subject with a leading space that a reader then shows)
        assert str(a[header]).strip() == str(b[header]).strip(), header
    assert a.get_content_type() == b.get_content_type() == "multipart/alternative"
    parts_a, parts_b = list(a.iter_parts()), list(b.iter_parts())
    assert [p.get_content_type() for p in parts_a] == [p.get_content_type() for p in parts_b] == ["text/plain", "text/html"]
    for pa, pb in zip(parts_a, parts_b, strict=True):
        assert pa.get_content_charset() == pb.get_content_charset() == "utf-8"
        assert pa.get_content().replace("\r\n", "\n").rstrip("\n") == pb.get_content().replace("\r\n", "\n").rstrip("\n")
    assert all(len(line) <= wire.LINE_LIMIT for line in ours.split(b"\r\n"))
    assert b"\n" not in ours.replace(b"\r\n", b"")  # CRLF only, as SMTP wants


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_outbox_email_as_bytes_parses_like_djangos_message(build, language):
    build.approved(m365_data())
    build.rejected(m365_data(name="Second", products=[{"product": "intune"}]))
    build.par(m365_data(name="Third", products=[{"product": "exchange_online"}]))
    rows = list(Notification.objects.all())
    kinds = {n.kind for n in rows}
    assert {"claim_submitted", "claim_approved", "consent_request", "claim_rejected", "info_requested"} <= kinds, kinds
    for n in rows:
        n.language = language
        message = outbox.render(n, n.claim)
        same(wire.message_bytes(message), message.message().as_bytes(linesep="\r\n"))


def test_non_ascii_subjects_bodies_and_long_lines_are_encoded(build):
    build.submitted()
    n = Notification.objects.first()
    n.language = "zh-hans"
    message = outbox.render(n, n.claim)
    message.subject = "理赔 “Contoso” " + "x" * 300
    message.body = "你好\n" + "y" * 2000 + "\n.a line that starts with a dot\n"
    raw = wire.message_bytes(message)
    assert b"Content-Transfer-Encoding: base64" in raw  # a line longer than SMTP allows
    same(raw, message.message().as_bytes(linesep="\r\n"))


def test_a_newline_in_a_header_is_refused_as_django_refuses_it(build):
    build.submitted()
    n = Notification.objects.first()
    message = outbox.render(n, n.claim)
    message.to = ["victim@example.com\nBcc: attacker@example.com"]
    with pytest.raises(BadHeaderError):
        wire.message_bytes(message)
    message.to = ["partner@example.com"]
    message.extra_headers["Content-Language"] = "en\r\nX-Injected: 1"
    with pytest.raises(BadHeaderError):
        wire.message_bytes(message)


def test_the_smtp_path_delivers_the_bytes_over_parallel_connections(build, settings):
    port = free_port()
    sink = SmtpSink(port).start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
        settings.CPOR_OUTBOX_CONNECTIONS = 3
        for i, product in enumerate(["teams", "intune", "exchange_online", "sharepoint_online", "onedrive"]):
            build.submitted(m365_data(name=f"M365 {i}", products=[{"product": product}]))
        rows = list(Notification.objects.order_by("pk"))
        assert outbox.drain() == len(rows) == 5
        expected = {f"<cpor-notification-{n.pk}@{settings.CPOR_MAIL_ID_DOMAIN}>": 1 for n in rows}
        assert dict(sink.counts()) == expected  # each once, over at most three connections
        assert 1 <= len(sink.peers) <= 3
        assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
        assert all(n.subject for n in Notification.objects.all())
    finally:
        sink.stop()


def test_a_django_upgrade_rechecks_the_wire_format():
    """claims/wire.py follows django.core.mail.message's rules (sanitize_address, ADDRESS_HEADERS,
    BadHeaderError) and the SMTP backend's `connection` attribute: on another Django, run the
    equality tests above against it, then move DJANGO_CHECKED."""
    import django
    from django.core.mail.backends.smtp import EmailBackend
    from django.core.mail.message import ADDRESS_HEADERS, sanitize_address

    assert django.VERSION[:2] == wire.DJANGO_CHECKED, "Django changed: re-check claims/wire.py (see its docstring)"
    assert {"from", "to", "cc", "bcc", "reply-to"} <= set(ADDRESS_HEADERS)
    assert sanitize_address("Ana Souza <ana@exämple.com>", "utf-8") == "Ana Souza <ana@xn--exmple-cua.com>"
    assert EmailBackend(host="127.0.0.1", port=1).connection is None  # set to an smtplib.SMTP by open()
