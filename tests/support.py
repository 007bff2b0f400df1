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


def start_celery(tmp_path, name: str, args: list[str], env: dict):
    """Starts a real Celery process (worker or beat) of this project; returns (Popen, log path)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    log_path = tmp_path / f"{name}.log"
    log = open(log_path, "a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cpor", *args],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    return proc, log_path


def pdf_text(content: bytes) -> str:
    """The text of a PDF with all whitespace removed (text extraction spaces CID fonts oddly)."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)
