"""The notes the system posts in a claim's comments (the arbitration notice and the
arbitration's outcomes) read in the reader's language, on every page that shows them:
the partner's claim page, the review page and the API's comments. Rows written before
notes had a code keep reading as they were stored."""

from __future__ import annotations

import html

import pytest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from claims import services
from claims.models import ClaimComment
from reviews import services as review
from tests.conftest import SUB_HELD, Builder, claim_data

pytestmark = pytest.mark.django_db

IN_ARBITRATION = (
    "This claim is in arbitration: another partner has claimed the same customer and product. "
    "Reviewers compare each partner's proof of execution and may ask you for more information here."
)
STAYS = "Your association stays in place unless reviewers decide for the other partner; you will be told here."
ENDED = (
    "Association ended for %(products)s: after reviewers compared proof of execution, the customer "
    "and product were decided for another partner on %(date)s. This claim is no longer on its way "
    "to incentive eligibility evaluation. If the customer denies the other partner, your "
    "association is restored and you will be emailed."
)
RESTORED = (
    "Association restored for %(products)s: the customer denied the partner the arbitration had been "
    "decided for. This claim is approved again."
)


def in_language(language: str, msgid: str, **params) -> str:
    """The catalogue's wording of `msgid` in `language` (which must have one)."""
    with translation.override(language):
        translated = gettext(msgid)
        if "date" in params:
            params["date"] = formats.date_format(timezone.localtime(params["date"]), "DATE_FORMAT")
    assert translated != msgid, f"{language} lacks {msgid!r}"
    return translated % params if params else translated


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def api_comments(user, claim, language: str) -> list[str]:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    response = client.get(f"/api/v1/claims/{claim.pk}/comments/")
    assert response.status_code == 200
    return [c["body"] for c in response.json()["results"] if c["kind"] == "arbitration"]


def set_language(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


@pytest.fixture
def held(northwind, ana):
    return Builder(northwind, ana).approved(
        claim_data(mpn_id="5678901", products=[{"product": "d365_sales", "subscription_id": SUB_HELD}])
    )


def test_the_arbitration_notice_reads_in_the_readers_language_wherever_it_is_shown(client, held, fabrikam, northwind, ana):
    set_language(northwind, "pt-br")  # the notice on Northwind's claim is posted while it reads Portuguese
    draft = Builder(fabrikam, ana).editing()
    services.claim_submit(claim=draft, actor=fabrikam)

    set_language(fabrikam, "it")
    assert in_language("it", IN_ARBITRATION) in page(client, fabrikam, f"/claims/{draft.pk}/")

    set_language(ana, "zh-hans")
    reviewer_page = page(client, ana, f"/review/claims/{held.pk}/")
    assert in_language("zh-hans", IN_ARBITRATION) in reviewer_page and in_language("zh-hans", STAYS) in reviewer_page
    assert in_language("pt-br", IN_ARBITRATION) not in reviewer_page

    (body,) = api_comments(northwind, held, "es")
    assert body == f"{in_language('es', IN_ARBITRATION)} {in_language('es', STAYS)}"
    (body,) = api_comments(northwind, held, "en")
    assert body == f"{IN_ARBITRATION} {STAYS}"


def test_the_arbitration_outcomes_read_in_the_readers_language(client, held, fabrikam, northwind, ana):
    winner = Builder(fabrikam, ana).under_review()
    review.review_approve(claim=winner, reviewer=ana, rationale="Fabrikam's PoE is signed.")
    ended_at = held.events.get(action="arbitration_decided").at
    set_language(northwind, "it")
    expected = in_language("it", ENDED, products="Dynamics 365 Sales", date=ended_at)
    assert expected in page(client, northwind, f"/claims/{held.pk}/")

    winner.refresh_from_db()
    services.consent_deny(claim_id=winner.pk, nonce=winner.consent_nonce.hex)
    set_language(ana, "es")
    assert in_language("es", RESTORED, products="Dynamics 365 Sales") in page(client, ana, f"/review/claims/{held.pk}/")
    assert in_language("zh-hans", RESTORED, products="Dynamics 365 Sales") in api_comments(northwind, held, "zh-hans")


def test_a_note_stored_as_text_before_notes_had_codes_reads_as_stored(client, held, northwind):
    ClaimComment.objects.create(
        claim=held, author=None, author_role="system", kind="arbitration", body="Nota antiga.", created_at=timezone.now()
    )
    assert "Nota antiga." in page(client, northwind, f"/claims/{held.pk}/")
    assert api_comments(northwind, held, "zh-hans")[-1] == "Nota antiga."
