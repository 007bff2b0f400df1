"""Staff see the emails the outbox gave up on, and send them again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Notification


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
