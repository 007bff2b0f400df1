"""Which language a page, an API response and an email speak (docs/rules.md, "Languages")."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import formats, timezone, translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from claims import services
from claims.consent import consent_url
from claims.models import Claim
from claims.pdf import text_pdf
from claims.templatetags.claims_tags import deadline_words
from reviews import services as review
from tests.conftest import Builder, claim_data
from tests.support import pdf_text

pytestmark = pytest.mark.django_db
FIXED = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)  # a Monday


@pytest.fixture
def build(fabrikam, ana):
    return Builder(fabrikam, ana)


def signed_in(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


# --- pages -----------------------------------------------------------------


def test_an_anonymous_page_follows_accept_language_and_names_it(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9,en;q=0.5").get("/accounts/login/")
    assert response["Content-Language"] == "pt-br" and "Accept-Language" in response["Vary"]
    html = response.content.decode()
    assert '<html lang="pt-br">' in html and "Nome de usuário" in html and "Username" not in html


def test_the_picker_sets_the_language_of_an_anonymous_visitor(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    assert "Iniciar sesión" in client.get("/accounts/login/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "登录" in client.get("/accounts/login/").content.decode()


def test_the_picker_refuses_a_foreign_next_url(db):
    response = Client().post("/i18n/setlang/", {"language": "it", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_picker_saves_the_choice_on_the_signed_in_user(fabrikam):
    client = signed_in(fabrikam, HTTP_ACCEPT_LANGUAGE="es")
    assert "Declaraciones de su empresa" in client.get("/claims/").content.decode()
    client.post("/i18n/setlang/", {"language": "it", "next": "/claims/"})
    fabrikam.refresh_from_db()
    assert fabrikam.language == "it"
    # the saved language wins over the browser's, in a new session without the cookie too
    assert "Attestazioni della tua azienda" in signed_in(fabrikam, HTTP_ACCEPT_LANGUAGE="es").get("/claims/").content.decode()


def test_the_picker_lists_each_language_in_itself(db):
    html = Client().get("/accounts/login/").content.decode()
    for name in ("English", "Português Brasileiro", "italiano", "简体中文", "español"):
        assert name in html
    assert 'action="/i18n/setlang/"' in html


def test_an_unknown_language_falls_back_to_english(fabrikam):
    assert "Your company's claims" in signed_in(fabrikam, HTTP_ACCEPT_LANGUAGE="de-DE").get("/claims/").content.decode()


# --- API ---------------------------------------------------------------------


def test_the_api_message_follows_accept_language_and_the_code_stays_english(fabrikam):
    api = APIClient()
    api.force_authenticate(fabrikam)
    body = claim_data(customer_tenant_id="not-a-guid")
    pt = api.post("/api/v1/claims/", body, format="json", HTTP_ACCEPT_LANGUAGE="pt-BR").json()["errors"][0]
    zh = api.post("/api/v1/claims/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN").json()["errors"][0]
    en = api.post("/api/v1/claims/", body, format="json").json()["errors"][0]
    assert pt["code"] == zh["code"] == en["code"] == "invalid_tenant_id"
    assert pt["message"].startswith("Informe a ID de locatário como um GUID")
    assert zh["message"].startswith("请以 GUID 形式输入租户 ID")
    assert en["message"].startswith("Enter the tenant ID as a GUID")


def test_the_api_ignores_the_picker_cookie_and_the_saved_language(fabrikam):
    fabrikam.language = "it"
    fabrikam.save()
    client = signed_in(fabrikam)
    client.cookies["django_language"] = "es"
    response = client.get("/api/v1/claims/999999/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert response.status_code == 404 and response["Content-Language"] == "pt-br"


def test_the_schema_documents_accept_language(fabrikam):
    client = signed_in(fabrikam)
    schema = client.get("/api/schema/?format=json").json()
    assert schema["components"]["parameters"]["AcceptLanguage"]["in"] == "header"
    create = schema["paths"]["/api/v1/claims/"]["post"]
    assert {"$ref": "#/components/parameters/AcceptLanguage"} in create["parameters"]
    assert "language" in schema["components"]["schemas"]["ContactInRequest"]["properties"]


def test_the_api_takes_and_shows_the_customer_contact_language(fabrikam):
    api = APIClient()
    api.force_authenticate(fabrikam)
    body = claim_data(customer_contact={"name": "Megan", "email": "megan@contoso.com", "phone": "", "language": "it"})
    created = api.post("/api/v1/claims/", body, format="json").json()
    assert api.get(f"/api/v1/claims/{created['id']}/").json()["customer_contact"]["language"] == "it"
    body["customer_contact"]["language"] = "klingon"
    error = api.post("/api/v1/claims/", body, format="json").json()["errors"][0]
    assert error == {
        "code": "unsupported_language",
        "field": "customer_contact.language",
        "message": "Choose one of the product's languages: en, pt-BR, it, zh-Hans or es.",
    }


# --- the customer contact's language and the emails ---------------------------


def test_the_contact_language_defaults_to_the_partner_users_language(fabrikam):
    fabrikam.language = "es"
    fabrikam.save()
    assert services.claim_create(actor=fabrikam, data=claim_data()).customer_contact_language == "es"
    fabrikam.language = ""
    fabrikam.save()
    with translation.override("zh-hans"):  # no saved language: the one the partner browses in
        assert services.claim_create(actor=fabrikam, data=claim_data()).customer_contact_language == "zh-hans"


def test_the_claim_form_offers_the_contact_language_preselected(fabrikam):
    fabrikam.language = "pt-br"
    fabrikam.save()
    html = signed_in(fabrikam).get("/claims/new/").content.decode()
    assert '<option value="pt-br" selected>Português (Brasil)</option>' in html
    assert "Idioma do contato do cliente" in html


def test_each_email_is_in_its_recipients_language(fabrikam, ana, build, mailoutbox, django_capture_on_commit_callbacks):
    fabrikam.language = "pt-br"  # the partner contact is not a user: the claim's author's language
    fabrikam.save()
    ana.language = "zh-hans"
    ana.save()
    data = claim_data(customer_contact={"name": "Megan", "email": "megan@contoso.com", "phone": "", "language": "it"})
    claim = build.under_review(data)
    with django_capture_on_commit_callbacks(execute=True):
        review.review_approve(claim=claim, reviewer=ana)
    by_recipient = {m.to[0]: m for m in mailoutbox}
    partner, customer = by_recipient["alex.wilber@fabrikam.example"], by_recipient["megan@contoso.com"]
    assert partner.subject == "Declaração “Contoso Sales adoption” aprovada"
    assert customer.subject == "Fabrikam Consulting afferma di aver aiutato la tua organizzazione con prodotti Microsoft"
    assert "Gentile Megan," in customer.body and "Gentile Megan," in customer.alternatives[0][0]


def test_a_partner_contact_who_is_a_user_gets_their_own_language(
    fabrikam, fabrikam_billing, build, mailoutbox, django_capture_on_commit_callbacks
):
    fabrikam_billing.language = "es"
    fabrikam_billing.save()
    data = claim_data(partner_contact={"name": "B", "email": fabrikam_billing.email.upper(), "phone": ""})
    with django_capture_on_commit_callbacks(execute=True):
        build.submitted(data)
    assert mailoutbox[-1].subject == "Declaración «Contoso Sales adoption» enviada"


def test_the_reviewer_overdue_email_is_in_the_reviewers_language(
    fabrikam, ana, build, mailoutbox, django_capture_on_commit_callbacks
):
    from claims import deadlines

    ana.language = "es"
    ana.save()
    claim = build.under_review()
    with time_machine.travel(claim.deadline_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert deadlines.run_sweep() == 1
    overdue = [m for m in mailoutbox if m.to == [ana.email]]
    assert overdue and overdue[0].subject == f"Vencida: decisión sobre la declaración n.º {claim.pk}"


@pytest.fixture
def consent_path(build) -> str:
    """The consent link of an approved claim whose customer contact's emails are in Italian."""
    data = claim_data(customer_contact={"name": "Megan", "email": "megan@contoso.com", "phone": "", "language": "it"})
    return consent_url(build.approved(data)).split("8000", 1)[-1]


@pytest.mark.parametrize(
    "accept, heading, language",
    [
        ("es-ES,es;q=0.9", "¿Es correcto este partner?", "es"),
        ("de-DE,de;q=0.9,pt-BR;q=0.8", "Este parceiro está correto?", "pt-br"),  # the first supported one
        ("en-US,en;q=0.9", "Is this partner right?", "en"),
    ],
)
def test_the_consent_page_follows_a_supported_browser_language(consent_path, accept, heading, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=accept)
    response = client.get(consent_path)
    assert response.status_code == 200 and response["Content-Language"] == language
    assert heading in response.content.decode() and "Questo partner è corretto?" not in response.content.decode()
    confirm = client.post(consent_path, {"reason": "Not them"})  # the confirmation step speaks it too
    assert confirm.status_code == 200 and confirm["Content-Language"] == language


@pytest.mark.parametrize("headers", [{"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,fr;q=0.8"}, {}])
def test_the_consent_page_speaks_the_email_language_when_the_browser_language_is_not_supported(consent_path, headers):
    response = Client(**headers).get(consent_path)
    assert response["Content-Language"] == "it" and "Questo partner è corretto?" in response.content.decode()


def test_the_language_picked_on_the_consent_page_wins_over_the_browser_and_the_email(consent_path):
    client = Client(HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    picked = client.post("/i18n/setlang/", {"language": "zh-hans", "next": consent_path})
    assert picked.status_code == 302 and picked["Location"] == consent_path
    response = client.get(consent_path)
    assert response["Content-Language"] == "zh-hans" and "此合作伙伴是否正确？" in response.content.decode()


# --- formats, deadline phrases, the PDF -------------------------------------------


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "Mon 30 Nov 2026, 14:05 UTC"),
        # Day and month names in lower case, as Portuguese and Italian write them (issue 23,
        # point 4; Django's own catalogues capitalise them, ours override: cpor/formats/names.py).
        ("pt-br", "seg, 30 de novembro de 2026, 14:05 UTC"),
        ("it", "lun 30 novembre 2026, 14:05 UTC"),
        ("zh-hans", "2026年11月30日（星期一）14:05 UTC"),
        ("es", "lun 30 de noviembre de 2026, 14:05 UTC"),
    ],
)
def test_dates_follow_the_language_and_name_the_time_zone(language, expected):
    with translation.override(language):
        assert formats.date_format(timezone.localtime(FIXED), "DATETIME_FORMAT") == expected


@pytest.mark.parametrize(
    "language, one, three",
    [
        ("en", "review due in 1 business day", "review due in 3 business days"),
        ("pt-br", "revisão vence em 1 dia útil", "revisão vence em 3 dias úteis"),
        ("it", "verifica in scadenza tra 1 giorno lavorativo", "verifica in scadenza tra 3 giorni lavorativi"),
        ("zh-hans", "审核将在 1 个工作日后到期", "审核将在 3 个工作日后到期"),
        ("es", "la revisión vence en 1 día laborable", "la revisión vence en 3 días laborables"),
    ],
)
def test_business_day_phrases_are_localized_with_plurals(language, one, three, build):
    with time_machine.travel(FIXED, tick=False):
        claim = build.under_review()  # the decision is due within 5 business days: Mon 7 Dec
    claim = Claim.objects.get(pk=claim.pk)
    with translation.override(language):
        with time_machine.travel(datetime(2026, 12, 4, 10, tzinfo=UTC), tick=False):  # Friday
            assert deadline_words(claim) == one
        with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=UTC), tick=False):  # Wednesday
            assert deadline_words(claim) == three


def test_the_poe_checklist_pdf_is_in_the_users_language_with_embedded_fonts(fabrikam):
    for language, title, word in [
        ("zh-hans", "执行证明检查清单", "审核员"),
        ("pt-br", "Listadeverificaçãodaprovadeexecução", "assinatura"),
        ("es", "Listadecomprobacióndelapruebadeejecución", "declaración"),
    ]:
        fabrikam.language = language
        fabrikam.save()
        response = signed_in(fabrikam).get("/claims/poe-checklist.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = pdf_text(response.content)
        assert title in text and word in text, language
        fonts = PdfReader(io.BytesIO(response.content)).pages[0]["/Resources"]["/Font"]
        base_fonts = {str(f.get_object()["/BaseFont"]) for f in fonts.values()}
        expected = "NotoSansCJKSC" if language == "zh-hans" else "DejaVuSans"
        assert all(expected in name for name in base_fonts), base_fonts


def test_a_missing_font_is_a_configuration_error_naming_the_package(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.CPOR_FONT_DIRS = [str(tmp_path)]
    with pytest.raises(ImproperlyConfigured, match="fonts-dejavu-core"):
        text_pdf("x", ["y"])
    with pytest.raises(ImproperlyConfigured, match="fonts-noto-cjk"):
        from claims.pdf import font_path

        font_path("NotoSansCJK-Regular.ttc")


def test_history_shows_stored_choices_by_their_label(fabrikam, build):
    fabrikam.language = "pt-br"
    fabrikam.save()
    claim = build.editing()
    html = signed_in(fabrikam).get(f"/claims/{claim.pk}/").content.decode()
    history = html.split('class="history"', 1)[1]
    assert "→ Aplicativos de negócios" in history and "→ Uso" in history and "→ Português (Brasil)" in history
    assert "business_applications" not in history and "→ pt-br" not in history


def test_notes_the_system_writes_to_the_partner_are_in_the_partners_language(fabrikam, ana, build):
    fabrikam.language = "es"
    fabrikam.save()
    with translation.override("zh-hans"):  # the reviewer works in Chinese
        claim = build.par()
    note = claim.comments.get(kind="info_request")
    assert (
        note.body
        == "- Falta la prueba de ejecución (archivo incorrecto o que no pertenece a la declaración)\n\nUpload the signed PoE."
    )


def test_a_missing_page_is_in_the_language(northwind, build):
    other = build.editing()  # Fabrikam's claim: Northwind gets a 404, in its language
    response = signed_in(northwind, HTTP_ACCEPT_LANGUAGE="it").get(f"/claims/{other.pk}/")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.content.decode()


def test_the_claim_page_shows_the_contact_language(fabrikam, build):
    claim = build.editing(
        claim_data(customer_contact={"name": "M", "email": "m@contoso.com", "phone": "", "language": "zh-hans"})
    )
    html = signed_in(fabrikam, HTTP_ACCEPT_LANGUAGE="es").get(f"/claims/{claim.pk}/").content.decode()
    assert "(Chino simplificado)" in html
