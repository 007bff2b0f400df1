"""A real ClamAV daemon for the tests (marker `clamd`): Debian's /usr/sbin/clamd with its own
configuration in a temporary folder, a unix socket there, and a signature database holding
the EICAR test signature only (no freshclam, no internet).

The signature is an .ndb body signature (any file type, any offset), so clamd finds the EICAR
string inside a PDF, a CSV or a ZIP member, as it finds real malware inside uploads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support import wait_for

CLAMD = os.environ.get("CPOR_CLAMD_BINARY", "/usr/sbin/clamd")
# The industry's standard antivirus test file (eicar.org): harmless, detected by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Eicar-Test-Signature"


def eicar_pdf() -> bytes:
    """A file our upload checks accept as a PDF (it starts %PDF) that carries EICAR."""
    return b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"


class Clamd:
    """One clamd process; start() waits until it answers PING on its socket."""

    def __init__(self, *, stream_max_length: str = "200M") -> None:
        # Short path: a unix socket's path is limited to 108 bytes (pytest's tmp_path can be longer).
        self.folder = Path(tempfile.mkdtemp(prefix="cpor-clamd-"))
        self.socket = str(self.folder / "clamd.sock")
        (self.folder / "db").mkdir()
        (self.folder / "db" / "eicar.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
        self.config = self.folder / "clamd.conf"
        self.config.write_text(
            f"LocalSocket {self.socket}\n"
            "Foreground yes\n"
            f"DatabaseDirectory {self.folder / 'db'}\n"
            f"TemporaryDirectory {self.folder}\n"
            f"LogFile {self.folder / 'clamd.log'}\n"
            # At least the largest upload (PoE 20 MB, import files): a longer stream is refused.
            f"StreamMaxLength {stream_max_length}\n"
        )
        self.proc: subprocess.Popen | None = None

    def answers(self) -> bool:
        from clamav_client.clamd import ClamdError, ClamdUnixSocket

        try:
            return ClamdUnixSocket(self.socket, timeout=2).ping() == "PONG"
        except (ClamdError, OSError):
            return False

    def start(self) -> None:
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.log = open(self.folder / "clamd.out", "ab")
        self.proc = subprocess.Popen([CLAMD, "-c", str(self.config)], stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: self.proc.poll() is None and self.answers(), timeout=60, what="clamd to answer on its socket")
        except AssertionError:
            self.remove()
            raise

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                self.proc.wait(timeout=30)
            self.log.close()
        self.proc = None
        wait_for(lambda: not self.answers(), timeout=10, what="clamd to stop answering")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def clamd_daemon():
    if not os.path.exists(CLAMD):
        # Tests that use clamd carry the `clamd` marker: tests/conftest.py skips them on a machine
        # without it (and fails them in CI) before this fixture runs. Getting here means a test
        # uses clamd without the marker.
        pytest.fail(f"needs clamd at {CLAMD}: mark the test `clamd` (pytest.mark.clamd)")
    daemon = Clamd()
    daemon.start()
    yield daemon
    daemon.remove()


@pytest.fixture
def clamd(clamd_daemon, settings):
    """clamd running, and the app configured to scan every upload with it."""
    if not clamd_daemon.running:
        clamd_daemon.start()
    settings.CPOR_CLAMD_SOCKET = clamd_daemon.socket
    settings.CPOR_CLAMD_HOST = ""
    settings.CPOR_SCAN_REQUIRED = True
    yield clamd_daemon
    if not clamd_daemon.running:  # a test stopped it: the next one finds it running
        clamd_daemon.start()
