"""Which language a request, a user and an email speak (docs/rules.md, "Languages").

- A signed-in user's saved language wins; else the language picked with the picker
  (a cookie, also for anonymous visitors); else the browser's Accept-Language
  (Django's LocaleMiddleware does the last two).
- The API follows Accept-Language only, so a script gets the same language whatever
  cookie a browser session left behind.
- An email speaks its recipient's language: `recipient_language()` below.
- A page opened from an email (the consent page): the picker's choice, else a supported
  Accept-Language, else the email's language (`use_language_unless_picked()`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

API_PREFIX = "/api/"


def supported(code: str | None) -> str | None:
    """The LANGUAGES code for `code` ("pt-BR" -> "pt-br", "zh-CN" -> "zh-hans"), or None."""
    if not code:
        return None
    code = code.strip().lower()
    aliases = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh-sg": "zh-hans", "pt": "pt-br"}
    code = aliases.get(code, code)
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language(request: HttpRequest) -> str | None:
    """The first supported language of the Accept-Language header, or None."""
    for code, _q in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        found = supported(code)
        if found:
            return found
    return None


def accept_language(request: HttpRequest) -> str:
    """The first supported language of the Accept-Language header, else the default."""
    return browser_language(request) or settings.LANGUAGE_CODE


def recipient_language(user=None, *, fallback: str | None = None) -> str:
    """An email's language: the user's saved one, else `fallback`, else the default."""
    return supported(getattr(user, "language", "")) or supported(fallback) or settings.LANGUAGE_CODE


def activate(request: HttpRequest, code: str) -> None:
    translation.activate(code)
    request.LANGUAGE_CODE = translation.get_language()


def use_language_unless_picked(request: HttpRequest, code: str | None) -> None:
    """For pages opened from an email (the consent page): the language the visitor picked
    with the picker, else their browser's when it is a supported one, else the email's
    (`code`): the browser says what its reader reads, the email's language is only the
    partner's guess for the contact."""
    chosen = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or browser_language(request) or supported(code)
    if chosen:
        activate(request, chosen)


class UserLanguageMiddleware:
    """Runs after AuthenticationMiddleware, inside LocaleMiddleware (which then names
    the active language in Content-Language and adds Vary: Accept-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            activate(request, accept_language(request))
        else:
            user = getattr(request, "user", None)
            saved = supported(getattr(user, "language", "")) if user is not None and user.is_authenticated else None
            if saved:
                activate(request, saved)
        return self.get_response(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The picker: Django's set_language (cookie + redirect back), and for a signed-in
    user the choice is saved on the account so their emails follow it."""
    code = supported(request.POST.get("language"))
    if code and request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    # Django's view checks `next` against the host (else the referer, else "/") and sets the cookie.
    return django_set_language(request)


def document_accept_language(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: every operation takes Accept-Language."""
    codes = [code.replace("-br", "-BR").replace("-hans", "-Hans") for code, _name in settings.LANGUAGES]
    result.setdefault("components", {}).setdefault("parameters", {})["AcceptLanguage"] = {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "description": (
            "The language of every `message` in the response (error messages, labels). One of "
            + ", ".join(codes)
            + "; anything else gives English. Error `code`s never change."
        ),
        "schema": {"type": "string", "example": "pt-BR"},
    }
    ref = {"$ref": "#/components/parameters/AcceptLanguage"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in {"get", "post", "put", "patch", "delete"} and isinstance(operation, dict):
                operation.setdefault("parameters", []).append(ref)
    return result
