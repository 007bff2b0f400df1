"""The review queue's counts when counting is slow (a large queue): a page shows the last
counts while a worker counts again, once at a time (reviews.selectors, QUEUE_COUNTS_SLOW_SECONDS)."""

from __future__ import annotations

import time

import pytest
import time_machine
from celery import current_app
from django.core.cache import cache

from claims import services
from reviews import selectors
from reviews.selectors import queue_counts
from reviews.tasks import refresh_queue_counts
from tests.conftest import another_customer, m365_data


@pytest.fixture
def slow(monkeypatch):
    """Every count is taken for a slow one (as at a million claims)."""
    monkeypatch.setattr(selectors, "QUEUE_COUNTS_SLOW_SECONDS", 0.0)


def _age(seconds: float) -> None:
    """The kept counts were taken `seconds` ago."""
    entry = cache.get(selectors._shared_key(""))
    cache.set(selectors._shared_key(""), {**entry, "at": time.time() - seconds})


def test_a_small_queue_is_counted_again_at_every_change(build, ana):
    build.submitted()
    assert queue_counts(me=ana)["all"] == 1
    build.submitted(m365_data(**another_customer(1)))
    assert queue_counts(me=ana)["all"] == 2


def test_a_slow_count_is_shown_until_a_worker_has_counted_again(slow, build, ana, monkeypatch):
    build.submitted()
    assert queue_counts(me=ana)["all"] == 1
    _age(selectors.QUEUE_REFRESH_MIN_SECONDS)
    queued = []
    monkeypatch.setattr(refresh_queue_counts, "delay", lambda area="": queued.append(area))  # no worker here
    build.submitted(m365_data(**another_customer(1)))
    assert queue_counts(me=ana)["all"] == 1  # the last counts
    assert queue_counts(me=ana)["all"] == 1
    assert queued == [""]  # one refresh asked for, however many pages
    refresh_queue_counts("")  # the worker's run
    assert queue_counts(me=ana)["all"] == 2
    build.submitted(m365_data(**another_customer(2)))
    assert queue_counts(me=ana)["all"] == 2
    assert queued == [""]  # not again so soon after the last count
    with time_machine.travel(time.time() + selectors.QUEUE_REFRESH_MIN_SECONDS, tick=False):
        assert queue_counts(me=ana)["all"] == 2
    assert queued == ["", ""]  # the lock was released by the run


@pytest.fixture
def eager():
    """The worker runs each task at once, in this process."""
    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


def test_a_worker_run_refreshes_what_the_page_shows_next(slow, eager, build, ana):
    build.submitted()
    assert queue_counts(me=ana)["all"] == 1
    _age(selectors.QUEUE_REFRESH_MIN_SECONDS)
    services.claim_withdraw(
        claim=build.submitted(m365_data(**another_customer(1))), actor=build.partner, reason="no_longer_working_with_customer"
    )
    build.submitted(m365_data(**another_customer(2)))
    queue_counts(me=ana)  # shows the last counts, and the (eager) worker counted meanwhile
    assert queue_counts(me=ana)["all"] == 2


def test_counts_too_old_are_never_shown(slow, build, ana, monkeypatch):
    monkeypatch.setattr(refresh_queue_counts, "delay", lambda area="": None)  # a worker that never runs
    build.submitted()
    assert queue_counts(me=ana)["all"] == 1
    build.submitted(m365_data(**another_customer(1)))
    assert queue_counts(me=ana)["all"] == 1
    _age(selectors.QUEUE_COUNTS_MAX_STALE_SECONDS + 1)
    assert queue_counts(me=ana)["all"] == 2  # counted by the page


def test_a_broker_that_is_down_leaves_the_last_counts_shown(slow, build, ana, monkeypatch):
    build.submitted()
    assert queue_counts(me=ana)["all"] == 1
    _age(selectors.QUEUE_REFRESH_MIN_SECONDS)

    def down(area=""):
        raise ConnectionError("broker down")

    monkeypatch.setattr(refresh_queue_counts, "delay", down)
    build.submitted(m365_data(**another_customer(1)))
    assert queue_counts(me=ana)["all"] == 1  # no error: the last counts
    assert cache.add(f"{selectors._shared_key('')}:refreshing", 1, 60)  # the next page may try again


def test_a_first_count_is_taken_once_the_other_pages_wait_for_it(slow, build, ana, monkeypatch):
    """No counts kept (a deploy, a flushed cache) and another process already counting: the
    page waits for its counts instead of counting the whole queue too."""
    build.submitted()
    cache.delete(selectors._shared_key(""))
    assert cache.add(f"{selectors._shared_key('')}:counting", 1, 60)  # the other process
    theirs = {"generation": -1, "at": time.time(), "took": 1.0, "competing": b"", "counts": {"all": 41}}
    waits = []

    def other_process_finishes(seconds):
        waits.append(seconds)
        cache.set(selectors._shared_key(""), theirs)

    monkeypatch.setattr(time, "sleep", other_process_finishes)
    counted = []
    monkeypatch.setattr(selectors, "_count_queue", lambda **kw: counted.append(kw) or {})
    assert selectors._shared_counts("", selectors.queue_generation()) == {"all": 41}
    assert waits == [selectors.QUEUE_COUNTS_POLL_SECONDS]
    assert counted == []  # the page did not count


def test_a_page_counts_itself_when_the_counting_process_never_finishes(slow, build, ana, monkeypatch):
    build.submitted()
    cache.delete(selectors._shared_key(""))
    assert cache.add(f"{selectors._shared_key('')}:counting", 1, 60)  # a process that died counting
    monkeypatch.setattr(selectors, "QUEUE_COUNTS_WAIT_SECONDS", 0.0)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    assert queue_counts(me=ana)["all"] == 1


def test_the_first_count_takes_the_lock_and_gives_it_back(slow, build, ana):
    build.submitted()
    cache.delete(selectors._shared_key(""))
    assert queue_counts(me=ana)["all"] == 1
    assert cache.add(f"{selectors._shared_key('')}:counting", 1, 60)  # released after counting
