"""One counter for every rate limit: events under a key in the shared cache (Redis in
production, so every web process counts together), with an atomic increment, so requests
served at the same moment never overwrite each other's count. A window opens with the
key's first event and lasts `window` seconds."""

from __future__ import annotations

import math
import time


def hit(key: str, *, limit: int, window: int) -> int:
    """Counts one more event under `key`. Returns 0 while its window holds at most `limit`
    events, else how many seconds until the window ends."""
    from django.core.cache import cache

    now = time.time()
    count_key, start_key = f"cpor:rate:{key}", f"cpor:rate:{key}:start"
    if cache.add(count_key, 0, window):
        cache.set(start_key, now, window)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window closed between add and incr
        cache.add(count_key, 1, window)
        cache.set(start_key, now, window)
        count = 1
    if count <= limit:
        return 0
    started = cache.get(start_key) or now
    return max(1, math.ceil(started + window - now))
