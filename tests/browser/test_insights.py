"""Both insight pages in two languages: every chart drawn on its canvas (pixels painted by
static/js/insights.js from the page's JSON block, under the CSP), and every table cell the
number the API gives for the same filters."""

from __future__ import annotations

import pytest

from claims import demo
from claims.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("fabrikam-global", "/claims/insights/", "/api/v1/insights/claims/"),
    ("reviewer-ana", "/review/insights/", "/api/v1/review/insights/"),
]

# Counts the canvas' painted pixels: a drawn chart has axes, labels and bars or lines.
PAINTED = """(canvas) => {
  const ctx = canvas.getContext("2d");
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}"""


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(demo.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language, locale", [("en", "en-US"), ("pt-br", "pt-BR")])
@pytest.mark.parametrize("username, url, api", PAGES)
def test_insight_charts_draw_and_tables_match_the_api(live_server, chromium, screenshot, language, locale, username, url, api):
    demo.seed()
    User.objects.filter(username=username).update(language=language)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in(page, live_server.url, username)
        page.goto(f"{live_server.url}{url}")
        assert page.locator("html").get_attribute("lang") == language
        data = page.request.get(f"{live_server.url}{api}").json()
        canvases = page.locator("canvas[data-chart]")
        assert canvases.count() == len(data["charts"])
        for chart in data["charts"]:
            canvas = page.locator(f'canvas[data-chart="{chart["key"]}"][data-drawn="1"]')
            canvas.wait_for()
            assert canvas.evaluate(PAINTED) > 500, f"{chart['key']} was not drawn"
            # The accessible table: one row per period, one cell per series, the API's numbers.
            table = page.locator(f'table[data-table="{chart["key"]}"]')
            cells = table.locator("tbody tr").evaluate_all(
                "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(td => td.dataset.value))"
            )
            expected = [
                ["" if s["points"][i]["value"] is None else _number(s["points"][i]["value"]) for s in chart["series"]]
                for i in range(len(chart["series"][0]["points"]) if chart["series"] else 0)
            ]
            assert [[_number(v) if v else "" for v in row] for row in cells] == expected, chart["key"]
        assert not errors, errors  # no CSP refusal, no script error
        screenshot(page, f"insights-{url.strip('/').split('/')[0]}-{language}")
    finally:
        context.close()


def _number(value) -> str:
    number = float(value)
    return str(int(number)) if number == int(number) else str(number)
