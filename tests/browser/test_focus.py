"""Keyboard focus (issue 23, point 6): a ring that stands out (3:1 against what surrounds it,
WCAG 2.2 1.4.11) and a focus that lands on the outcome of an action instead of the body."""

import pytest

from claims import demo
from claims.demo import demo_pdf
from tests.browser.test_partner_sign_in import sign_in
from tests.conftest import Builder, m365_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def luminance(rgb: str) -> float:
    parts = [int(float(p)) / 255 for p in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_focus_ring_has_three_to_one_against_white_and_the_page(live_server, page, people):
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert ring[0] == "solid" and float(ring[1].removesuffix("px")) >= 2
    for around in ("rgb(255, 255, 255)", "rgb(246, 247, 249)"):  # cards, the page (--bg)
        assert contrast(ring[2], around) >= 3, (ring, around)


def test_after_saving_and_after_an_upload_the_focus_is_on_the_message_not_the_body(live_server, page, people, tmp_path):
    sign_in(page, live_server.url, "fabrikam-global")
    page.goto(f"{live_server.url}/claims/new/")
    page.locator("#id_name").fill("Focus check")
    page.locator("form.claim-form button[type=submit]").click()
    page.locator(".messages .message").wait_for()
    page.wait_for_load_state("load")  # deferred scripts have run
    assert page.evaluate("document.activeElement.classList.contains('message')")

    claim = Builder(people["fabrikam-global"], None).editing(m365_data(), poe=False)
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    poe = tmp_path / "signed-poe.pdf"
    poe.write_bytes(demo_pdf("signed-poe.pdf"))
    page.locator("#id_files").set_input_files(str(poe))
    page.locator("form.upload button[type=submit]").click()
    page.locator(".messages .message").wait_for()
    page.wait_for_load_state("load")
    # The redirect lands on #evidence, whose scroll hands the focus to the body once loaded.
    page.wait_for_function("document.activeElement !== document.body", timeout=5_000)
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.className]")
    assert focused[0] != "BODY" and "message" in focused[1], focused
