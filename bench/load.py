"""A small loopback load generator: threads, http.client, bounded by time and request count.

Two shapes:
- closed loop (`closed`): N clients, each sends its next request as soon as the last
  answered (throughput: requests per second);
- paced (`paced`): N users share a fixed request rate; each request has a scheduled
  start and its latency counts from that schedule, so a server that falls behind is
  measured as slow (no coordinated omission).
"""

from __future__ import annotations

import http.client
import itertools
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Request = tuple[str, dict[str, str]]  # path, headers


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds
    by_label: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def p(self, q: float, label: str | None = None) -> float:
        values = sorted(self.by_label.get(label, []) if label else self.latencies)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        return self.p(0.95)


class _Client:
    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers=headers)
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn's sync workers close idle keep-alive connections: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _record(result: Result, lock: threading.Lock, label: str, latency: float, status: int, path: str) -> None:
    with lock:
        if status != 200:
            result.errors.append(f"{status} {path}")
        result.latencies.append(latency)
        result.by_label.setdefault(label, []).append(latency)


def closed(
    port: int,
    requests: Sequence[tuple[str, Request]],
    *,
    clients: int = 10,
    seconds: float = 10.0,
    max_requests: int = 100_000,
    timeout: float = 60.0,
) -> Result:
    """`clients` threads loop over `requests` (label, (path, headers)) for `seconds`."""
    result = Result()
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        client = _Client(port, timeout)
        i = offset
        while time.perf_counter() < deadline and next(counter) < max_requests:
            label, (path, headers) = requests[i % len(requests)]
            i += 1
            t0 = time.perf_counter()
            try:
                status, _ = client.get(path, headers)
            except Exception as exc:
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            _record(result, lock, label, time.perf_counter() - t0, status, path)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 5)
    result.seconds = time.perf_counter() - start
    return result


def paced(
    port: int,
    requests: Sequence[tuple[str, Request]],
    *,
    users: int,
    rate: float,
    seconds: float,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """`users` threads send `rate` requests per second in all, for `seconds`."""
    result = Result()
    lock = threading.Lock()
    interval = users / rate  # each user's period
    start = time.perf_counter() + 0.05
    total = int(rate * seconds)

    def worker(n: int) -> None:
        client = _Client(port, timeout)
        k = 0
        while True:
            index = n + k * users
            if index >= total:
                return
            scheduled = start + n * (interval / users) + k * interval
            k += 1
            delay = scheduled - time.perf_counter()
            if delay > 0:
                sleep(delay)
            label, (path, headers) = requests[index % len(requests)]
            try:
                status, _ = client.get(path, headers)
            except Exception as exc:
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            _record(result, lock, label, time.perf_counter() - scheduled, status, path)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 5)
    result.seconds = time.perf_counter() - start
    return result
