"""Captures log lines as the JSON format writes them (cpor.logs.formatter("json"))."""

import io
import json
import logging
from contextlib import contextmanager

from cpor import logs


@contextmanager
def json_lines():
    """Every line logged in the block, as the JSON format renders it, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def parse(text: str) -> list[dict]:
    """The JSON lines of a process's output (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
