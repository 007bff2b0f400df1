"""Real mail servers on the loopback for the delivery tests: an SMTP sink (aiosmtpd)
that records what it accepted, and a server that accepts connections and never answers."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import Counter

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Accepts every message and records its Message-ID, counting a message only once
    it answered "250" for it (as a real MTA takes responsibility). `hold_at=n` makes the
    n-th message and every later one (on any connection) wait before that answer until
    `release()`, then refuses them with 451; messages that arrive after the release are
    accepted."""

    def __init__(
        self, port: int | None = None, *, hold_at: int | None = None, refuse: set[str] = frozenset(), accept_held: bool = False
    ) -> None:
        self.port = port or free_port()
        self.accept_held = accept_held  # answer the held messages "250" on release instead of 451
        self.refuse = {address.lower() for address in refuse}  # recipients answered "550"
        self.accepted: list[str] = []
        self.peers: set = set()  # the client connections that delivered a message
        self.hold_at = hold_at
        self.holding = threading.Event()
        self._release = threading.Event()
        self._seen = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook name)
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            self._seen += 1
            seen = self._seen
        if self.hold_at is not None and seen >= self.hold_at and not self._release.is_set():
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self._release.wait)
            if not self.accept_held:
                return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with self._lock:
            self.accepted.append(message["Message-ID"])
            self.peers.add(session.peer)
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._controller:
            self._controller.stop()
            self._controller = None

    def release(self) -> None:
        self._release.set()

    def counts(self) -> Counter:
        with self._lock:
            return Counter(self.accepted)


class HungServer:
    """Accepts TCP connections and never sends a byte (not even the SMTP greeting)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(conn)

    def start(self) -> HungServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for c in self.connections:
            c.close()
        self.sock.close()
