"""Playwright driving Debian's Chromium (browsers cannot be downloaded here)."""

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
# Tests must leave the work tree clean: screenshots land in the ignored var/ folder unless
# `make screenshots` asks for the documented ones (CPOR_SCREENSHOTS=1 -> docs/screenshots).
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("CPOR_SCREENSHOTS") == "1" else ROOT / "var" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Writes docs/screenshots/<name>.png (tracked files) only for `make screenshots`
    (CPOR_SCREENSHOTS=1), so `make test` leaves the work tree clean."""

    def take(page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        if os.environ.get("CPOR_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
