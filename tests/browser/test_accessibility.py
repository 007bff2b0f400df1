"""WCAG 2.2 AA checked by axe-core (issue 23, point 6): every page a partner, a reviewer and a
customer sees, the account pages, the API docs and the error pages, in English and in
Portuguese. Any serious or critical violation fails, listed page by page."""

from __future__ import annotations

import pytest
from django.core import mail

from claims import demo
from tests.conftest import AXE, Builder, claim_data, m365_data

pytestmark = [pytest.mark.browser, pytest.mark.axe, pytest.mark.django_db(transaction=True)]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING = {"serious", "critical"}
# (browser locale, the <html lang> the pages carry)
LANGUAGES = [("en-US", "en"), ("pt-BR", "pt-br")]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now (the script is injected each time: a
    navigation drops it)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
        }""",
        TAGS,
    )


def readable(found: dict[str, list[dict]]) -> str:
    """One line per rule, then one line per distinct failure (with how many nodes share it)."""
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} node(s))")
            distinct: dict[str, list[str]] = {}
            for n in v["nodes"]:
                why = (n["summary"] or "").strip().splitlines()[-1].strip() if n["summary"] else ""
                distinct.setdefault(why, []).append(n["target"])
            for why, targets in distinct.items():
                lines.append(f"    {targets[0]}{f' (+{len(targets) - 1} like it)' if len(targets) > 1 else ''}: {why}")
    return "\n".join(lines)


class Audit:
    def __init__(self, page, base: str, lang: str):
        self.page, self.base, self.lang, self.found, self.seen = page, base, lang, {}, []

    def check(self, label: str, path: str | None = None, wait: str | None = None) -> None:
        if path is not None:
            self.page.goto(self.base + path)
        if wait:
            self.page.locator(wait).first.wait_for()
        self.page.wait_for_load_state("load")
        serious = [v for v in axe(self.page) if v["impact"] in FAILING]
        self.seen.append(label)
        if serious:
            self.found[f"{label} ({self.lang}) {self.page.url}"] = serious

    def done(self) -> None:
        assert not self.found, "axe-core found serious or critical violations:\n" + readable(self.found)


def audit(chromium, live_server, locale: str, lang: str, **size) -> Audit:
    # bypass_csp: the page's Content-Security-Policy forbids the injected (inline) axe script.
    context = chromium.new_context(viewport=size or {"width": 1280, "height": 900}, locale=locale, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return Audit(page, live_server.url, lang)


def sign_in(a: Audit, username: str) -> None:
    a.page.goto(a.base + "/accounts/login/")
    a.page.locator("#id_username").fill(username)
    a.page.locator("#id_password").fill(demo.PASSWORD)
    a.page.locator("main button[type=submit]").click()
    a.page.wait_for_load_state()


@pytest.mark.parametrize("locale, lang", LANGUAGES)
def test_the_partners_pages_have_no_serious_violations(live_server, chromium, people, locale, lang):
    partner, ana = people["fabrikam-global"], people["reviewer-ana"]
    editing = Builder(partner, None).editing(claim_data(name="Editing claim"))
    par = Builder(partner, ana).par(m365_data())
    a = audit(chromium, live_server, locale, lang)
    try:
        a.check("sign in", "/accounts/login/")
        sign_in(a, "fabrikam-global")
        a.check("dashboard", "/claims/")
        a.page.locator("header details.account summary").click()
        a.check("dashboard, account menu open")
        a.check("associations", "/claims/associations/")
        a.check("new claim", "/claims/new/")
        a.page.locator("form.claim-form button[type=submit]").click()
        a.page.locator(".error-summary").wait_for()
        a.check("new claim refused")
        a.check("claim in editing", f"/claims/{editing.pk}/")
        a.check("edit claim", f"/claims/{editing.pk}/edit/")
        a.check("claim needing information", f"/claims/{par.pk}/")
        a.check("withdraw", f"/claims/{par.pk}/withdraw/")
        a.page.locator("main form button[type=submit]").last.click()
        a.page.wait_for_load_state()
        a.check("withdraw refused")
        a.check("imports", "/integrations/imports/")
        a.check("webhooks", "/integrations/webhooks/")
        a.check("new webhook", "/integrations/webhooks/new/")
        a.check("notifications", "/notifications/")
        a.check("change password", "/accounts/password/change/")
        a.check("two-factor authentication", "/accounts/2fa/")
        a.check("sessions", "/accounts/sessions/")
        a.check("API tokens", "/account/tokens/")
        a.check("insights", "/claims/insights/", wait="canvas")
        a.check("team", "/team/")
        a.check("help", "/help/partner/")
        a.check("not found", "/claims/999999/")
        a.check("reviewer page refused", "/review/")
        a.done()
    finally:
        a.page.context.close()


@pytest.mark.parametrize("locale, lang", LANGUAGES)
def test_the_reviewers_pages_have_no_serious_violations(live_server, chromium, people, locale, lang):
    partner, ana = people["fabrikam-global"], people["reviewer-ana"]
    claim = Builder(partner, ana).under_review()
    a = audit(chromium, live_server, locale, lang)
    try:
        sign_in(a, "reviewer-ana")
        a.check("queue", "/review/")
        a.check("overview", "/review/overview/")
        a.check("failed emails", "/review/outbox/")
        a.check("insights", "/review/insights/", wait="canvas")
        a.check("reviewers' team", "/team/")
        a.check("review", f"/review/claims/{claim.pk}/")
        a.check("notifications", "/notifications/")
        a.check("help", "/help/reviewer/")
        a.check("partner page refused", "/claims/new/")
        a.done()
    finally:
        a.page.context.close()


@pytest.mark.parametrize("locale, lang", LANGUAGES)
def test_the_customer_the_api_docs_and_the_error_pages_have_no_serious_violations(live_server, chromium, people, locale, lang):
    Builder(people["fabrikam-global"], people["reviewer-ana"]).approved(m365_data())
    consent_mail = next(m for m in mail.outbox if m.to == ["megan.bowen@contoso.com"])
    link = next(w for w in consent_mail.body.split() if "/consent/" in w).replace("http://testserver", "")
    a = audit(chromium, live_server, locale, lang)
    try:
        a.check("consent", link)
        a.check("consent link invalid", "/consent/not-a-token/")
        a.check("customer help", "/help/customer/")
        a.check("sign in", "/accounts/login/")
        a.check("password reset", "/accounts/password/reset/")
        a.check("not found", "/no-such-page/")
        a.check("API docs", "/api/docs/", wait=".swagger-ui .info")
        a.page.locator(".opblock-post .opblock-summary-control").first.click()
        a.check("API docs, an operation open", wait=".opblock-body")
        a.done()
    finally:
        a.page.context.close()


def test_the_phone_layout_has_no_serious_violations(live_server, chromium, people):
    """The same check at 390x844 in Portuguese, where the header folds behind "Menu" and tables stack."""
    partner, ana = people["fabrikam-global"], people["reviewer-ana"]
    claim = Builder(partner, ana).under_review(m365_data())
    a = audit(chromium, live_server, "pt-BR", "pt-br", width=390, height=844)
    try:
        sign_in(a, "fabrikam-global")
        a.check("dashboard on a phone", "/claims/")
        a.page.locator("header .menu-toggle").click()
        a.check("dashboard on a phone, menu open")
        a.check("claim on a phone", f"/claims/{claim.pk}/")
        a.check("new claim on a phone", "/claims/new/")
        a.page.context.clear_cookies()
        sign_in(a, "reviewer-ana")
        a.check("queue on a phone", "/review/")
        a.check("review on a phone", f"/review/claims/{claim.pk}/")
        a.done()
    finally:
        a.page.context.close()
