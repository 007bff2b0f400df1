"""A local SMTP sink for B6 (aiosmtpd in its own process): accepts and counts every message.

    python -m bench.smtp_sink PORT DUMPFILE

Keeps the first messages it receives; on SIGUSR1 it writes {"count", "samples"} to
DUMPFILE (so the floor replays exactly the messages the product sent).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller

KEEP = 200


class Handler:
    def __init__(self) -> None:
        self.count = 0
        self.samples: list[list] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.count += 1
            if len(self.samples) < KEEP:
                self.samples.append([envelope.mail_from, list(envelope.rcpt_tos), base64.b64encode(envelope.content).decode()])
        return "250 OK"


def main() -> None:
    port, dump = int(sys.argv[1]), sys.argv[2]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()

    def write(*_):
        with handler.lock:
            data = {"count": handler.count, "samples": handler.samples}
        tmp = dump + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, dump)

    def stop(*_):
        controller.stop()
        sys.exit(0)

    signal.signal(signal.SIGUSR1, write)
    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
