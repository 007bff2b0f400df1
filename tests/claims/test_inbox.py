"""The notifications page (claims.feed): the history of the company's claims that the user's
role follows, newest first, worded in the reader's language, with unread counts in the
header and per claim, per-item and "mark all read" marks. Emails are unchanged (test_outbox)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from claims import feed, services
from claims.choices import EventAction
from claims.models import Claim, ClaimEvent, NotificationRead, User
from reviews import services as review
from tests.claims.test_partner_visible_history import lifecycle  # noqa: F401 - the fixture
from tests.conftest import another_customer, m365_data


def _badge(client) -> int | None:
    html = client.get("/claims/").content.decode()
    found = re.search(r'<a href="/notifications/">[^<]*<span class="badge"[^>]*>(\d+)</span>', html)
    return int(found.group(1)) if found else None


def _page(client, page: int = 1) -> str:
    return client.get(f"/notifications/?page={page}").content.decode()


def test_the_page_shows_the_companys_events_not_only_emails_to_the_user(client, build, fabrikam_billing, ana):
    """Fails before: the page listed emails to the user, and nothing is emailed to a billing admin here."""
    claim = build.under_review()
    review.review_reject(claim=claim, reviewer=ana, reason="insufficient_poe", message="No signature on page 2.")
    client.force_login(fabrikam_billing)
    html = _page(client)
    assert f'href="/claims/{claim.pk}/"' in html
    assert str(EventAction.REJECTED.label) in html and "No signature on page 2." in html
    assert str(EventAction.EVIDENCE_ADDED.label) not in html  # billing admins follow decisions, not uploads
    assert _badge(client) == 1


def test_each_role_follows_its_actions_and_nobody_is_told_what_they_did(build, fabrikam, fabrikam_billing, fabrikam_viewer, ana):
    claim = build.under_review()  # created, uploaded and submitted by fabrikam (Global admin)
    services.comment_add(claim=claim, actor=ana, body="Checking.")
    review.review_request_info(claim=claim, reviewer=ana, reasons=["missing_poe"], message="Which page?")
    services.claim_respond(claim=claim, actor=fabrikam_billing, message="Page 3.")

    def actions(user):
        return set(feed.feed(user).values_list("action", flat=True))

    assert actions(fabrikam) == {"review_started", "commented", "info_requested", "responded"}
    assert actions(fabrikam_billing) == {"info_requested"}  # not its own answer, not the comment
    assert actions(fabrikam_viewer) == set()  # no claims role
    assert actions(ana) == {"evidence_added", "submitted", "responded"}  # assigned to ana: what the partner did
    assert feed.FOLLOWS["global_admin"] == frozenset(EventAction.values)


def test_unread_counts_per_item_and_all_read(client, build, fabrikam, northwind, ana):
    a = build.under_review()
    b = build.under_review(m365_data(**another_customer(1)))
    for claim in (a, b):
        services.comment_add(claim=claim, actor=ana, body="One.")
    client.force_login(fabrikam)
    assert _badge(client) == 4  # review started and a comment on each
    html = _page(client)
    assert html.count('class="unread"') == 4
    assert 'aria-label="2 unread on this claim"' in html
    first = feed.feed(fabrikam).filter(claim=a).order_by("pk").first()
    assert client.post(f"/notifications/{first.pk}/read/").status_code == 302
    assert _badge(client) == 3
    assert f'<li class="unread" id="n{first.pk}"' not in _page(client)
    # Another company's row cannot be marked, nor is it visible: 404.
    other = ClaimEvent.objects.filter(claim__company=northwind.company).first() or ClaimEvent.objects.create(
        claim=Builder_other(northwind, ana), at=first.at, actor_role="partner", action="commented"
    )
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    newest = feed.feed(fabrikam).order_by("-pk").first().pk
    client.post("/notifications/read/", {"up_to": str(newest)})
    assert _badge(client) is None and 'class="unread"' not in _page(client)
    assert not NotificationRead.objects.filter(user=fabrikam).exists()  # covered by the mark
    services.comment_add(claim=a, actor=ana, body="Two.")
    assert _badge(client) == 1
    assert User.objects.get(pk=fabrikam.pk).notifications_read_up_to == newest


def Builder_other(northwind, ana) -> Claim:
    from tests.claims.test_competing import northwind_data
    from tests.conftest import Builder

    return Builder(northwind, ana).submitted(northwind_data())


def test_worded_in_the_readers_language(client, build, fabrikam, ana):
    claim = build.under_review()
    review.review_approve(claim=claim, reviewer=ana)
    fabrikam.language = "pt-br"
    fabrikam.save(update_fields=["language"])
    client.force_login(fabrikam)
    html = _page(client)
    with translation.override("pt-br"):
        approved = str(EventAction.APPROVED.label)
    assert approved != "Approved" and approved in html


def test_another_companys_events_never_appear_arbitration_included(client, lifecycle, fabrikam, fabrikam_billing, northwind):  # noqa: F811
    winner, held = lifecycle["winner"], lifecycle["held"]
    read = {}
    for user, other in ((fabrikam, northwind), (fabrikam_billing, northwind), (northwind, fabrikam)):
        rows = feed.feed(user)
        assert not rows.exclude(claim__company_id=user.company_id).exists()
        html, n = "", 1
        while True:
            page = _client_page(client, user, n)
            html += page
            if f"?page={n + 1}" not in page:
                break
            n += 1
        names = [other.company.name, *Claim.objects.filter(company_id=other.company_id).values_list("name", flat=True)]
        names += User.objects.filter(company_id=other.company_id).values_list("username", flat=True)
        for name in names:
            assert name not in html, (user.username, name)
        for pk in Claim.objects.filter(company_id=other.company_id).values_list("pk", flat=True):
            assert f"/claims/{pk}/" not in html
        read[user.username] = set(rows.values_list("action", flat=True))
    # Both sides of the arbitration were told, each of its own claim.
    assert {"arbitration_started", "approved", "associations_restored"} <= read[fabrikam.username]
    assert {"arbitration_started", "arbitration_decided", "association_restored"} <= read[northwind.username]
    assert feed.feed(northwind).filter(claim=held, action="arbitration_decided").exists()
    assert not feed.feed(northwind).filter(claim=winner).exists()
    assert read[fabrikam_billing.username] <= feed.ADMIN_TOPICS


def _client_page(client, user, n):
    client.force_login(user)
    return _page(client, n)


@pytest.mark.parametrize("more", [12])
def test_the_page_and_badge_cost_the_same_queries_as_events_grow(client, build, fabrikam, ana, more, django_assert_num_queries):
    claim = build.under_review()
    services.comment_add(claim=claim, actor=ana, body="First.")
    client.force_login(fabrikam)
    with CaptureQueriesContext(connection) as few:
        html = _page(client)
    queries = len(few)  # now: the connection's query log is a bounded deque
    assert 'class="unread"' in html and queries > 3
    for i in range(more):
        other = build.under_review(m365_data(**another_customer(i + 1))) if i % 3 == 0 else claim
        services.comment_add(claim=other, actor=ana, body=f"Comment {i}.")
    first = feed.feed(fabrikam).order_by("pk").first()
    client.post(f"/notifications/{first.pk}/read/")
    with django_assert_num_queries(queries):
        html = _page(client)
    assert html.count("<li") >= more + 2
    with CaptureQueriesContext(connection) as badge:
        feed.unread_count(fabrikam)
    assert len(badge) == 2  # the newest history id, then the rows written since the last look


def _other_comments(claim, actor, n):
    for i in range(n):
        services.comment_add(claim=claim, actor=actor, body=f"Note {i}.")


def test_the_badge_counts_what_was_written_since_its_last_look(build, fabrikam, ana):
    """The badge's count is kept between looks and brought up to date with the rows written
    since (claims.feed.unread_count); reading moves it back down."""
    claim = build.under_review()
    _other_comments(claim, ana, 2)
    before = feed.unread_count(fabrikam)
    assert before == feed.unread(fabrikam).count()
    _other_comments(claim, ana, 3)
    assert feed.unread_count(fabrikam) == before + 3 == feed.unread(fabrikam).count()
    newest = feed.feed(fabrikam).order_by("-pk").first()
    assert feed.mark_read(fabrikam, newest.pk)
    fabrikam.refresh_from_db()
    assert feed.unread_count(fabrikam) == before + 2 == feed.unread(fabrikam).count()
    feed.mark_all_read(fabrikam)
    assert feed.unread_count(fabrikam) == 0
    _other_comments(claim, ana, 1)
    assert feed.unread_count(fabrikam) == 1


def test_the_badge_counts_a_row_whose_transaction_committed_after_a_newer_one(build, fabrikam, ana, monkeypatch):
    """Rows within BADGE_LAG ids of the newest are counted again at every look: a history row
    committed late, below a newer id that was already counted, is not missed."""
    monkeypatch.setattr(feed, "BADGE_LAG", 2)
    claim = build.under_review()
    _other_comments(claim, ana, 4)
    count = feed.unread_count(fabrikam)
    newest = ClaimEvent.objects.order_by("-pk").first()
    fields = {f.attname: getattr(newest, f.attname) for f in ClaimEvent._meta.concrete_fields if f.attname != "id"}
    ClaimEvent.objects.create(id=newest.pk + 2, **fields)  # committed first
    assert feed.unread_count(fabrikam) == count + 1
    ClaimEvent.objects.create(id=newest.pk + 1, **fields)  # its id was taken earlier; it commits late
    assert feed.unread_count(fabrikam) == count + 2 == feed.unread(fabrikam).count()


def test_a_badge_at_its_cap_costs_no_query(build, fabrikam, ana, monkeypatch):
    monkeypatch.setattr(feed, "BADGE_CAP", 3)
    claim = build.under_review()
    _other_comments(claim, ana, 4)
    assert feed.unread_count(fabrikam) == 3
    with CaptureQueriesContext(connection) as looked:
        assert feed.unread_count(fabrikam) == 3
    assert len(looked) == 0
