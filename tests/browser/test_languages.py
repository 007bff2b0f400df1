"""The five languages in the browser: the header picker, the browser's Accept-Language,
a claim filed in Portuguese, a customer denying consent from an Italian email."""

import re

import pytest
from django.core import mail

from claims import demo
from claims.models import Claim, User
from tests.conftest import Builder, claim_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# language code, the name the picker shows, the browser locale, "Sign in", the dashboard heading
LANGUAGES = [
    ("pt-br", "Português Brasileiro", "pt-BR", "Entrar", "Associações do cliente"),
    ("it", "italiano", "it-IT", "Accedi", "Associazioni dei clienti"),
    ("zh-hans", "简体中文", "zh-CN", "登录", "客户关联"),
    ("es", "español", "es-ES", "Iniciar sesión", "Asociaciones de clientes"),
    ("en", "English", "en-US", "Sign in", "Customer associations"),
]


@pytest.fixture
def people(db):
    return demo.seed_directory()["users"]


def new_page(chromium, locale: str):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def pick(page, name: str) -> None:
    account = page.locator("header details.account")
    if account.count() and not account.get_attribute("open"):
        account.locator("summary").click()  # signed in: the picker is in the account menu
    page.locator("#language-picker").select_option(label=name)
    page.locator("form.language-picker button").click()
    page.wait_for_load_state()


def sign_in(page, username: str, button: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(demo.PASSWORD)
    page.locator("main").get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_each_language_picked_in_the_header_and_saved_on_the_user(live_server, page, people):
    page.goto(f"{live_server.url}/accounts/login/")
    pick(page, "Português Brasileiro")  # anonymous: the session's cookie
    page.get_by_role("heading", name="Entrar").wait_for()
    sign_in(page, "fabrikam-global", "Entrar")
    page.get_by_role("heading", name="Associações do cliente").wait_for()
    for code, name, _locale, _sign_in, heading in LANGUAGES:
        pick(page, name)
        page.get_by_role("heading", name=heading).wait_for()
        assert page.locator("html").get_attribute("lang") == code
        assert User.objects.get(username="fabrikam-global").language == code


@pytest.mark.parametrize("code, name, locale, sign_in_label, heading", LANGUAGES)
def test_the_browsers_language_is_used_until_one_is_picked(
    live_server, chromium, people, code, name, locale, sign_in_label, heading
):
    page = new_page(chromium, locale)
    try:
        page.goto(f"{live_server.url}/")
        page.get_by_role("heading", name=sign_in_label).wait_for()
        assert page.locator("#language-picker").input_value() == code
        sign_in(page, "fabrikam-global", sign_in_label)
        page.get_by_role("heading", name=heading).wait_for()
        # Nothing picked: the first sign-in saves the browser's language, so emails follow it (issue 21, point 1).
        assert User.objects.get(username="fabrikam-global").language == code
    finally:
        page.context.close()


def test_a_claim_filed_in_portuguese_shows_its_errors_in_portuguese(live_server, chromium, people):
    page = new_page(chromium, "pt-BR")
    try:
        page.goto(f"{live_server.url}/")
        sign_in(page, "fabrikam-global", "Entrar")
        page.get_by_role("link", name="Nova declaração").first.click()
        page.get_by_label("Nome da declaração").fill("Implantação Contoso")
        page.get_by_label("ID de locatário do cliente").fill("0b0b0b0b-0000-4000-8000-000000000000")
        page.get_by_label("Email do contato do cliente").fill("megan-na-contoso")
        assert page.get_by_label("Idioma do contato do cliente").input_value() == "pt-br"
        page.get_by_role("button", name="Salvar").click()
        page.get_by_text(re.compile(r"^\d+ itens? a corrigir$")).wait_for()  # the error summary, in Portuguese
        errors = page.locator(".error").all_inner_texts()
        assert any(e.startswith("Nenhum locatário de cliente tem esta ID de locatário") for e in errors), errors
        assert any(e.startswith("Informe um endereço de email válido") for e in errors), errors
        assert not any("tenant" in e.lower() or "email address" in e for e in errors), errors
        # what was typed is still there, accents included
        assert page.get_by_label("Nome da declaração").input_value() == "Implantação Contoso"
        assert not Claim.objects.exists()
    finally:
        page.context.close()


def test_a_customer_denies_consent_from_an_italian_email(live_server, chromium, people):
    data = claim_data(customer_contact={"name": "Megan Bowen", "email": "megan.bowen@contoso.com", "phone": "", "language": "it"})
    claim = Builder(people["fabrikam-global"], people["reviewer-ana"]).approved(data)
    consent_mail = next(m for m in mail.outbox if m.to == ["megan.bowen@contoso.com"])
    assert consent_mail.subject == "Fabrikam Consulting afferma di aver aiutato la tua organizzazione con prodotti Microsoft"
    assert "Gentile Megan Bowen," in consent_mail.body
    link = next(w for w in consent_mail.body.split() if "/consent/" in w).replace("http://testserver", live_server.url)
    page = new_page(chromium, "de-DE")  # a browser language the product lacks: the email's Italian
    try:
        page.goto(link)
        page.get_by_role("heading", name="Questo partner è corretto?").wait_for()
        assert page.locator("html").get_attribute("lang") == "it"
        page.get_by_label("Perché (facoltativo)").fill("Non abbiamo mai lavorato con Fabrikam.")
        page.get_by_role("button", name="Nega questa associazione").click()
        page.get_by_role("button", name="Sì, nega l'associazione").click()  # the confirmation step
        page.get_by_role("heading", name="Associazione negata").wait_for()
    finally:
        page.context.close()
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.rejection_reason == "customer_denial"
