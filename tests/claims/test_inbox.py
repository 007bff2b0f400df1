"""The in-app notifications page: what was emailed to me, newest first, unread count in the header."""

from tests.claims.test_competing import RATIONALE, northwind_data
from tests.conftest import Builder


def test_the_header_counts_unread_emails_and_the_page_lists_them_newest_first(
    client, build, northwind, ana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        held = Builder(northwind, ana).approved(northwind_data())
        winner = build.under_review()
        from reviews import services as review

        review.review_approve(claim=winner, reviewer=ana, rationale=RATIONALE)
    client.force_login(northwind)  # global@northwind.example gets the arbitration email
    header = client.get("/claims/").content.decode()
    assert '<span class="badge"' in header and ">1</span>" in header
    page = client.get("/notifications/").content.decode()
    assert "association ended, decided for another partner" in page and 'class="unread"' in page
    assert f"/claims/{held.pk}/" in page and "Fabrikam" not in page
    # Read now: the count is gone and the row is no longer new.
    assert '<span class="badge"' not in client.get("/claims/").content.decode()
    assert 'class="unread"' not in client.get("/notifications/").content.decode()


def test_nobody_sees_anyone_elses_emails(client, build, fabrikam, ana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        build.approved()  # emails go to the partner contact and the customer, not to these users
    client.force_login(ana)
    page = client.get("/notifications/").content.decode()
    assert "Nothing was emailed to you yet." in page and "megan.bowen" not in page


def test_the_notifications_page_query_count_does_not_grow(client, build, fabrikam, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from claims import notifications

    claim = build.submitted()

    def mail_me(n):
        notifications.enqueue(
            [notifications.build("comment_posted", to=fabrikam.email, claim=claim, context={"body": f"b{i}"}, now=timezone.now()) for i in range(n)]
        )  # fmt: skip

    mail_me(1)
    client.force_login(fabrikam)
    with CaptureQueriesContext(connection) as few:
        client.get("/notifications/")
    mail_me(15)
    with django_assert_max_num_queries(len(few)):
        html = client.get("/notifications/").content.decode()
    assert html.count("Open the claim") == 16
