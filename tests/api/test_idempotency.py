"""Idempotency-Key never runs a request twice: the key is claimed in the work's transaction.

The races run on PostgreSQL with real connections in threads. The first request is held
inside its transaction by a wrapped service (no sleeps); a retry runs meanwhile.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection
from rest_framework.test import APIClient

from claims import notifications, services
from claims.api import idempotency
from claims.errors import DomainError
from claims.models import Claim, ClaimComment, IdempotencyKey, Notification
from tests.api.test_api import API, client_for, codes
from tests.conftest import m365_data
from tests.support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)


def same_token(client: APIClient) -> APIClient:
    """A second client of the same user: each thread has its own."""
    other = APIClient(raise_request_exception=False)
    other.credentials(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"])
    return other


class InThread:
    """A call on its own thread (its own database connection)."""

    def __init__(self, call):
        self.result = None
        self._thread = threading.Thread(target=self._run, args=(call,))
        self._thread.start()

    def _run(self, call):
        try:
            self.result = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert
            self.result = exc
        finally:
            connection.close()

    def join(self):
        self._thread.join(timeout=60)
        assert not self._thread.is_alive()
        return self.result


class HeldCreate:
    """The first claim_create, once it has created the claim (inside the request's
    transaction), waits until released; then it returns, or fails like a crash."""

    def __init__(self, monkeypatch, *, then_fail: bool = False):
        self.arrived, self.release = threading.Event(), threading.Event()
        self.lock_timeout_in_work = None
        self._real, self._calls, self._fail = services.claim_create, 0, then_fail
        monkeypatch.setattr(services, "claim_create", self)

    def __call__(self, **kwargs):
        self._calls += 1
        claim = self._real(**kwargs)
        if self._calls == 1:
            with connection.cursor() as cursor:
                cursor.execute("SHOW lock_timeout")
                self.lock_timeout_in_work = cursor.fetchone()[0]
            self.arrived.set()
            assert self.release.wait(60)
            if self._fail:
                raise RuntimeError("the first request's process failed after the work")
        return claim


@pytest.fixture
def hold_create(monkeypatch):
    """Makes a HeldCreate; a test that fails while holding still lets its thread finish."""
    made = []

    def make(**kwargs) -> HeldCreate:
        made.append(HeldCreate(monkeypatch, **kwargs))
        return made[-1]

    yield make
    for held in made:
        held.release.set()


def waiting_for_the_key() -> bool:
    """Whether another connection waits on a lock while inserting an idempotency key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query ILIKE %s",
            ["%INSERT INTO%claims_idempotencykey%"],
        )
        return cursor.fetchone()[0] > 0


def create(client, key: str, **overrides):
    return client.post(f"{API}/claims/", m365_data(**overrides), format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.postgres
def test_a_retry_past_the_old_takeover_time_never_runs_the_request_twice(fabrikam, hold_create, monkeypatch):
    held = hold_create()
    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST", timedelta(milliseconds=300))
    client = client_for(fabrikam)
    with time_machine.travel(T0, tick=False) as clock:
        first = InThread(lambda: create(same_token(client), "k-slow"))
        assert held.arrived.wait(30)
        clock.shift(timedelta(seconds=90))  # past the former 60 s takeover
        retry = InThread(lambda: create(same_token(client), "k-slow")).join()
        held.release.set()
        first = first.join()
    assert first.status_code == 201
    assert retry.status_code == 409 and codes(retry) == ["idempotency_request_in_progress"]
    assert Claim.objects.count() == 1
    assert IdempotencyKey.objects.get(key="k-slow").status_code == 201
    replay = create(client, "k-slow")
    assert replay.status_code == 201 and replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"


@pytest.mark.postgres
def test_a_concurrent_retry_waits_for_the_first_and_replays_its_result(fabrikam, hold_create):
    held = hold_create()
    client = client_for(fabrikam)
    first = InThread(lambda: create(same_token(client), "k-wait"))
    assert held.arrived.wait(30)
    retry = InThread(lambda: create(same_token(client), "k-wait"))
    wait_for(waiting_for_the_key, timeout=30, what="the retry to wait on the first request's key")
    held.release.set()
    first, retry = first.join(), retry.join()
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert Claim.objects.count() == 1
    # The bounded wait is the key's only: the work keeps the connection's own lock waits.
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert held.lock_timeout_in_work == cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_retry_waiting_on_a_first_that_fails_with_a_5xx_runs_and_creates_the_claim(fabrikam, hold_create):
    held = hold_create(then_fail=True)
    client = client_for(fabrikam)
    first = InThread(lambda: create(same_token(client), "k-crash"))
    assert held.arrived.wait(30)
    retry = InThread(lambda: create(same_token(client), "k-crash"))
    wait_for(waiting_for_the_key, timeout=30, what="the retry to wait on the first request's key")
    held.release.set()
    first, retry = first.join(), retry.join()
    assert first.status_code == 500
    assert retry.status_code == 201 and not retry.has_header("Idempotent-Replayed")
    assert list(Claim.objects.values_list("pk", flat=True)) == [retry.json()["id"]]
    assert IdempotencyKey.objects.get(key="k-crash").status_code == 201


def test_a_5xx_rolls_back_the_key_with_the_work_and_its_side_effects_so_a_retry_runs(fabrikam, build, monkeypatch):
    claim = build.editing(m365_data())
    requested = []
    monkeypatch.setattr(notifications, "request_delivery", requested.append)
    client = client_for(fabrikam)
    client.raise_request_exception = False

    def broken_detail(request, claim, code=200):
        raise RuntimeError("the response could not be built")

    with monkeypatch.context() as patch:
        patch.setattr("claims.api.views.detail", broken_detail)
        failed = client.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k-submit")
    assert failed.status_code == 500
    claim.refresh_from_db()
    assert claim.state == "editing" and not claim.events.filter(action="submitted").exists()
    assert not Notification.objects.exists() and requested == []
    assert not IdempotencyKey.objects.exists()

    retry = client.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k-submit")
    assert retry.status_code == 200 and retry.json()["status"] == "submitted"
    assert claim.events.filter(action="submitted").count() == 1
    assert requested == [list(Notification.objects.values_list("pk", flat=True))]


def test_side_effects_are_scheduled_after_the_outer_commit_once(fabrikam, build, monkeypatch):
    claim = build.editing(m365_data())
    seen = []

    def request_delivery(ids):
        # Runs on commit: outside any transaction, with the key and its answer committed.
        stored = IdempotencyKey.objects.filter(key="k-submit").values_list("status_code", flat=True).first()
        seen.append((ids, connection.in_atomic_block, stored))

    monkeypatch.setattr(notifications, "request_delivery", request_delivery)
    client = client_for(fabrikam)
    first = client.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k-submit")
    again = client.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k-submit")
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    ids = list(Notification.objects.filter(kind="claim_submitted").values_list("pk", flat=True))
    assert len(ids) == 1 and seen == [(ids, False, 200)]


def test_a_refusal_raised_inside_a_service_is_kept_and_replayed(fabrikam, build):
    claim = build.editing(m365_data(), poe=False)
    client = client_for(fabrikam)
    first = client.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k-refused")
    assert first.status_code == 400 and codes(first) == ["evidence_required"]
    assert IdempotencyKey.objects.get(key="k-refused").status_code == 400
    again = client.post(f"{API}/claims/{claim.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k-refused")
    assert again.status_code == 400 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    claim.refresh_from_db()
    assert claim.state == "editing"


def test_a_refusal_after_a_failed_statement_is_still_kept(fabrikam, build, monkeypatch):
    # On PostgreSQL a failed statement aborts its transaction; the view runs in a savepoint
    # of the key's transaction, so the refusal can still be stored under the key.
    claim = build.editing(m365_data())

    def comment_after_a_failed_statement(*, claim, actor, body):
        services.claim_update(claim=claim, actor=actor, data={"name": "renamed"})
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")
        except DatabaseError:
            raise DomainError.of("concurrent_change") from None

    monkeypatch.setattr(services, "comment_add", comment_after_a_failed_statement)
    client = client_for(fabrikam)
    first = client.post(f"{API}/claims/{claim.pk}/comments/", {"body": "Hi"}, format="json", HTTP_IDEMPOTENCY_KEY="k-c")
    assert first.status_code == 409 and codes(first) == ["concurrent_change"]
    assert IdempotencyKey.objects.get(key="k-c").status_code == 409
    claim.refresh_from_db()
    assert claim.name != "renamed" and not ClaimComment.objects.filter(kind="comment").exists()
