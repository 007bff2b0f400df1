"""Staff see the emails the outbox gave up on, and send them again."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.models import Notification
from tests.conftest import another_customer, m365_data


def _given_up(build) -> Notification:
    build.submitted()
    n = Notification.objects.get()
    now = timezone.now()
    Notification.objects.filter(pk=n.pk).update(
        status="failed",
        attempts=80,
        last_error="ConnectionRefusedError: [Errno 111]",
        last_attempt_at=now,
        first_attempt_at=now - timedelta(days=3),
    )
    return n


@pytest.mark.parametrize("persona", ["fabrikam", "fabrikam_viewer"])
def test_only_reviewers_see_the_failed_emails(client, build, request, persona):
    _given_up(build)
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/review/outbox/").status_code == 403
    assert client.post("/review/outbox/retry/", {"all": "1"}).status_code == 403
    assert Notification.objects.get().status == "failed"


def test_a_reviewer_sees_a_failed_email_and_sends_it_again_once(
    client, build, ana, mailoutbox, django_capture_on_commit_callbacks
):
    n = _given_up(build)
    client.force_login(ana)
    page = client.get("/review/outbox/").content.decode()
    assert "alex.wilber@fabrikam.example" in page and "ConnectionRefusedError" in page and f'value="{n.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/review/outbox/retry/", {"ids": [str(n.pk)]}, follow=True)
    assert "1 email will be sent again now." in response.content.decode()
    n.refresh_from_db()
    assert n.status == "sent" and len(mailoutbox) == 1
    assert "Every email was delivered." in client.get("/review/outbox/").content.decode()


def _header(html: str) -> str:
    return html.split('<header class="top">', 1)[1].split("</header>", 1)[0]


def _outbox_link(html: str) -> str:
    header = _header(html)
    assert 'href="/review/outbox/"' in header, header
    return header.split('href="/review/outbox/"', 1)[1].split("</a>", 1)[0]


def test_reviewers_reach_the_failed_emails_from_the_header_which_counts_them(client, build, ana, fabrikam):
    _given_up(build)
    build.submitted(m365_data(name="second", **another_customer(1)))
    Notification.objects.update(status="failed")
    client.force_login(ana)
    for url in ("/review/", "/review/overview/", "/notifications/"):
        link = _outbox_link(client.get(url).content.decode())
        assert "Emails not delivered" in link and '<span class="badge" aria-label="2 not delivered">2</span>' in link
    client.force_login(fabrikam)
    assert "/review/outbox/" not in _header(client.get("/claims/").content.decode())


def test_the_header_shows_no_count_when_every_email_was_delivered(client, build, ana):
    build.submitted()
    client.force_login(ana)
    link = _outbox_link(client.get("/review/").content.decode())
    assert "Emails not delivered" in link and "badge" not in link


def test_the_header_count_is_one_query_however_many_emails_failed(client, build, ana, django_assert_num_queries):
    _given_up(build)
    client.force_login(ana)
    with CaptureQueriesContext(connection) as few:
        client.get("/review/overview/")
    counting = [q["sql"] for q in few.captured_queries if "claims_notification" in q["sql"] and "'failed'" in q["sql"]]
    assert len(counting) == 1 and "COUNT(" in counting[0].upper(), counting
    for i in range(10):
        build.submitted(m365_data(name=f"more {i}", **another_customer(i)))
    Notification.objects.update(status="failed")
    with django_assert_num_queries(len(few)):
        html = client.get("/review/overview/").content.decode()
    assert '<span class="badge" aria-label="11 not delivered">11</span>' in _outbox_link(html)


def test_the_select_columns_header_is_read_by_screen_readers_and_hidden_by_a_class_the_stylesheet_has(client, build, ana):
    from pathlib import Path

    from django.conf import settings

    _given_up(build)
    client.force_login(ana)
    page = client.get("/review/outbox/").content.decode()
    assert '<th scope="col"><span class="sr-only">Select</span></th>' in page
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    assert ".sr-only{" in css
