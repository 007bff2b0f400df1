import time


def wait_for(predicate, *, timeout: float = 90.0, what: str = "") -> None:
    """Waits for another process (a Celery worker, beat) to finish its work.

    This is a bounded wait on an outcome, not a timing assumption: the test passes
    as soon as the outcome is there and fails with a message if it never comes.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
