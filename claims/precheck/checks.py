"""The five checks of a proof of execution, one per reason a reviewer sends a claim back.

Each returns a verdict (found, missing, unsure) with its evidence: the page and a short
excerpt of the document. Pure functions of the pages' text and the claim's facts (no
database), so `make poe-eval` measures exactly what the worker runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache

from rapidfuzz import fuzz

from ..choices import InfoRequestReason, PrecheckVerdict
from .words import NAME_LABELS, PARTNER_SIDE, SERVICE, SIGNATURE, fold, language, terms

FOUND, MISSING, UNSURE = PrecheckVerdict.FOUND.value, PrecheckVerdict.MISSING.value, PrecheckVerdict.UNSURE.value

# The checks, in the order the reasons are listed, with the reason each one anticipates.
CHECKS = {
    "customer": InfoRequestReason.MISSING_POE.value,
    "signature": InfoRequestReason.MISSING_CUSTOMER_SIGNATURE.value,
    "date": InfoRequestReason.MISSING_OR_OLD_DATES.value,
    "service": InfoRequestReason.MISSING_PARTNER_SERVICE.value,
    "products": InfoRequestReason.MISSING_PRODUCTS.value,
}
EXCERPT = 160  # characters of document shown beside a verdict
RECENT_DAYS = 365
FUTURE_DAYS = 31  # a date a little ahead (a go-live planned next month) still counts


@dataclass
class Context:
    """What the claim says, that the document should show."""

    customer_names: list[str]
    domains: list[str]
    products: list[tuple[str, str]]  # (code, name)
    today: date


@dataclass
class Text:
    """One page: the original text, its folded form and where each folded character came from."""

    number: int
    original: str
    folded: str = ""
    where: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        out: list[str] = []
        where: list[int] = []
        for i, ch in enumerate(self.original):
            for f in ch.lower() if ch.isascii() and ch not in "\t\r\f\v" else fold(ch):
                if f == " " and out and out[-1] == " ":
                    continue
                out.append(f)
                where.append(i)
        self.folded, self.where = "".join(out), where

    def excerpt(self, start: int, end: int) -> str:
        """Original text around folded positions [start, end), on one line."""
        if not self.where:
            return ""
        a = self.where[min(start, len(self.where) - 1)]
        b = self.where[min(max(end - 1, start), len(self.where) - 1)] + 1
        room = max(0, EXCERPT - (b - a)) // 2
        lo, hi = max(0, a - room), min(len(self.original), b + room)
        text = re.sub(r"\s+", " ", self.original[lo:hi]).strip()
        return ("…" if lo > 0 else "") + text[:EXCERPT] + ("…" if hi < len(self.original) else "")


def result(code: str, verdict: str, page: int | None = None, excerpt: str = "", **extra) -> dict:
    return {"code": code, "reason": CHECKS[code], "verdict": verdict, "page": page, "excerpt": excerpt, **extra}


def run_checks(pages: list[tuple[int, str]], ctx: Context) -> list[dict]:
    """The five checks over (page number, text) pairs."""
    texts = [Text(number, text) for number, text in pages if text]
    lang = language("\n".join(t.original for t in texts))
    return [
        check_customer(texts, ctx),
        check_signature(texts, lang, tuple(fold(n).strip() for n in ctx.customer_names if n.strip())),
        check_date(texts, lang, ctx.today),
        check_service(texts, lang),
        check_products(texts, ctx),
    ]


# --- 1. The customer is named ------------------------------------------------------------

_SUFFIXES = re.compile(
    r"\b(inc|incorporated|ltd|limited|llc|corp|corporation|co|company|gmbh|ag|plc|sa|s\.a|ltda|s\.r\.l|srl|spa|s\.p\.a|sl|s\.l)\.?$"
)


def _boundary_find(needle: str, hay: str) -> int:
    pattern = r"\s+".join(re.escape(part) for part in needle.split(" "))
    match = re.search(r"(?<![a-z0-9])" + pattern + r"(?![a-z0-9])", hay)
    return match.start() if match else -1


def check_customer(texts: list[Text], ctx: Context) -> dict:
    needles: list[str] = []
    for name in ctx.customer_names:
        folded = fold(name).strip()
        if folded:
            needles.append(folded)
            core = _SUFFIXES.sub("", folded).strip(" ,.")
            if core and core != folded:
                needles.append(core)
    needles += [fold(d).strip() for d in ctx.domains if d and len(d) >= 4]
    needles = [n for n in dict.fromkeys(needles) if len(n) >= 3]
    for t in texts:
        for needle in needles:
            at = _boundary_find(needle, t.folded)
            if at >= 0:
                return result("customer", FOUND, t.number, t.excerpt(at, at + len(needle)))
    best: tuple[float, Text | None, int, int] = (0.0, None, 0, 0)
    for t in texts:
        for needle in needles:
            if len(needle) < 5:
                continue
            al = fuzz.partial_ratio_alignment(needle, t.folded, score_cutoff=80)
            if al and al.score > best[0]:
                best = (al.score, t, al.dest_start, al.dest_end)
    score, t, a, b = best
    if t is not None:
        return result("customer", FOUND if score >= 90 else UNSURE, t.number, t.excerpt(a, b))
    return result("customer", MISSING)


# --- 2. A customer signature with a person's name and a date -----------------------------

_LATIN_NAME = re.compile(r"[A-ZÀ-Ý][a-zà-ÿ'’\-]+(?:\s+(?:de |da |dos |del |di |van |von )?[A-ZÀ-Ý][a-zà-ÿ'’\-]+){1,3}")
_CJK_NAME = re.compile(r"[:：]\s*([\u4e00-\u9fff]{2,4})(?![\u4e00-\u9fff])")
_CUSTOMER_SIDE = ("customer", "client", "cliente", "客户", "甲方")


@cache
def _label_words() -> frozenset[str]:
    """Words that are labels, not names (a capitalised 'Customer Signature' is no person)."""
    words: set[str] = set()
    for table in (SIGNATURE, NAME_LABELS, SERVICE, PARTNER_SIDE):
        for values in table.values():
            for v in values:
                words.update(re.findall(r"[a-z]+", v))
    words.update(
        "customer client cliente date data fecha title role position cargo ruolo funcao company empresa azienda "
        "dynamics microsoft sales teams office power apps intune exchange online sharepoint onedrive business finance "
        "service services customer field supply chain management statement work proof execution the and for of "
        "signature firma assinatura letter acceptance confirmation project projeto progetto proyecto "
        "ltd inc corp llc gmbh contoso fabrikam litware northwind consulting solutions".split()
    )
    return frozenset(words)


def _person(original: str, lang: str, companies: tuple[str, ...] = ()) -> str:
    """A person's name in this stretch of text, else '' (a company's name is no person)."""
    if lang == "zh" or re.search(r"[\u4e00-\u9fff]", original):
        for match in _CJK_NAME.finditer(original):
            name = match.group(1)
            if not any(label in name for label in ("日期", "签名", "签字", "客户", "名称", "公司")):
                return name
    labels = _label_words()
    for match in _LATIN_NAME.finditer(original):
        words = [fold(w) for w in re.findall(r"[^\W\d_]+", match.group(0))]
        real = [w for w in words if w not in labels and w not in ("de", "da", "dos", "del", "di", "van", "von")]
        if len(real) >= 2 and not any(fold(match.group(0)) in c or c in fold(match.group(0)) for c in companies):
            return match.group(0)
    return ""


def check_signature(texts: list[Text], lang: str, companies: tuple[str, ...] = ()) -> dict:
    keywords = [fold(k) for k in terms(SIGNATURE, lang)]
    partner = [fold(k) for k in terms(PARTNER_SIDE, lang)]
    partial: tuple[Text, int, int] | None = None
    for t in texts:
        for kw in keywords:
            for match in re.finditer(r"(?<![a-z])" + re.escape(kw), t.folded):  # not "confirma" for "firma"
                at = match.start()
                # The words just before the keyword on its line say whose signature it is.
                line_start = max(t.folded.rfind("\n", 0, at) + 1, at - 40)
                line = t.folded[line_start : at + len(kw) + 20].split("\n")[0]
                if any(p in line for p in partner) and not any(c in line for c in _CUSTOMER_SIDE):
                    continue  # the partner's own signature
                lo, hi = max(0, at - 60), min(len(t.folded), at + 260)
                original = t.original[t.where[lo] : t.where[hi - 1] + 1] if t.where else ""
                name = _person(original, lang, companies)
                dated = bool(_dates(original, lang))
                if name and dated:
                    return result("signature", FOUND, t.number, t.excerpt(at, min(len(t.folded), at + 100)), name=name)
                if partial is None:
                    partial = (t, at, at + len(kw))
    if partial is not None:
        t, a, b = partial
        return result("signature", UNSURE, t.number, t.excerpt(a, b + 60))
    return result("signature", MISSING)


# --- 3. A date within the last 12 months, read in the document's language ------------------

_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?![\d])")
_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?")
_WORDY = re.compile(
    r"(?<![\w])(?:\d{1,2}(?:st|nd|rd|th|º|°|\.)?\s+(?:de\s+|di\s+)?[^\W\d_]{3,10}\.?,?\s+(?:de\s+|del\s+)?\d{4}"
    r"|[^\W\d_]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|[^\W\d_]{3,10}\.?\s+(?:de\s+|del\s+)?\d{4})(?!\d)"
)
MAX_DATE_CANDIDATES = 300
_DATEPARSER_LANG = {"en": "en", "pt": "pt", "it": "it", "es": "es", "zh": "zh"}


def _make(y: int, m: int, d: int) -> date | None:
    if y < 100:
        y += 2000
    try:
        return date(y, m, d) if 1990 <= y <= 2100 else None
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # a worker lives long: bounded
def _parse_words(candidate: str, lang: str) -> date | None:
    import dateparser

    langs = list(dict.fromkeys([_DATEPARSER_LANG[lang], "en"]))
    candidate = re.sub(r"(?<=\d)(?:st|nd|rd|th|º|°|\.)", "", candidate)
    parsed = dateparser.parse(
        candidate,
        languages=langs,
        settings={"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["month", "year"], "RETURN_AS_TIMEZONE_AWARE": False},
    )
    return parsed.date() if parsed is not None else None


def _dates(original: str, lang: str) -> list[tuple[date, int, int]]:
    """(date, start, end) of the dates written in this text, read the document language's way:
    day before month everywhere but English, whose 03/04/2026 is 4 March... unless it cannot be."""
    found: list[tuple[date, int, int]] = []
    taken: list[tuple[int, int]] = []

    def add(d: date | None, a: int, b: int) -> None:
        if d is not None and not any(a < y and x < b for x, y in taken):
            found.append((d, a, b))
            taken.append((a, b))

    for m in _CJK_DATE.finditer(original):
        add(_make(int(m[1]), int(m[2]), int(m[3] or 1)), m.start(), m.end())
    for m in _ISO.finditer(original):
        add(_make(int(m[1]), int(m[2]), int(m[3])), m.start(), m.end())
    for m in _NUMERIC.finditer(original):
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        month_first = lang == "en" and a <= 12
        add(_make(y, a, b) if month_first else _make(y, b, a), m.start(), m.end())
    for count, m in enumerate(_WORDY.finditer(original)):
        if count >= MAX_DATE_CANDIDATES:
            break
        if any(m.start() < y and x < m.end() for x, y in taken):
            continue
        add(_parse_words(m.group(0), lang), m.start(), m.end())
    return found


def check_date(texts: list[Text], lang: str, today: date) -> dict:
    oldest_ok, newest_ok = today - timedelta(days=RECENT_DAYS), today + timedelta(days=FUTURE_DAYS)
    recent: tuple[date, Text, int, int] | None = None
    other: tuple[date, Text, int, int] | None = None
    for t in texts:
        for d, a, b in _dates(t.original, lang):
            if oldest_ok <= d <= newest_ok:
                if recent is None or d > recent[0]:
                    recent = (d, t, a, b)
            elif d < oldest_ok and (other is None or d > other[0]):
                other = (d, t, a, b)
    if recent is not None:
        d, t, a, b = recent
        return result("date", FOUND, t.number, _original_excerpt(t, a, b), date=d.isoformat())
    if other is not None:
        d, t, a, b = other
        return result("date", MISSING, t.number, _original_excerpt(t, a, b), date=d.isoformat(), old=True)
    return result("date", MISSING)


def _original_excerpt(t: Text, a: int, b: int) -> str:
    room = max(0, EXCERPT - (b - a)) // 2
    lo, hi = max(0, a - room), min(len(t.original), b + room)
    return ("…" if lo else "") + re.sub(r"\s+", " ", t.original[lo:hi]).strip() + ("…" if hi < len(t.original) else "")


# --- 4. A description of the partner's work of some substance -----------------------------

_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]?")
MIN_WORDS = 25  # words (Chinese: characters / 2) in the sentences that describe the work
MIN_TERMS = 2  # distinct kinds of work named


def check_service(texts: list[Text], lang: str) -> dict:
    keys = [fold(k) for k in terms(SERVICE, lang)]
    kinds: set[str] = set()
    words = 0
    first: tuple[Text, int, int] | None = None
    for t in texts:
        for m in _SENTENCE.finditer(t.folded):
            sentence = m.group(0)
            hits = [k for k in keys if k in sentence]
            if not hits:
                continue
            kinds.update(hits)
            cjk = len(re.findall(r"[\u4e00-\u9fff]", sentence))
            words += len(re.findall(r"[a-z]{2,}", sentence)) + cjk // 2
            if first is None:
                first = (t, m.start(), m.end())
    if first is None:
        return result("service", MISSING)
    t, a, b = first
    verdict = FOUND if len(kinds) >= MIN_TERMS and words >= MIN_WORDS else UNSURE
    return result("service", verdict, t.number, t.excerpt(a, b))


# --- 5. Every claimed product named ------------------------------------------------------

ALIASES = {
    "d365_sales": ["Dynamics 365 Sales", "D365 Sales", "Dynamics Sales", "Dynamics CRM Sales", "D365 for Sales"],
    "d365_customer_service": ["Dynamics 365 Customer Service", "D365 Customer Service", "D365 CS", "Dynamics Customer Service"],
    "d365_field_service": ["Dynamics 365 Field Service", "D365 Field Service", "D365 FS", "Dynamics Field Service"],
    "d365_finance": ["Dynamics 365 Finance", "D365 Finance", "D365 F&O", "Dynamics Finance", "Finance and Operations"],
    "d365_supply_chain": ["Dynamics 365 Supply Chain Management", "D365 Supply Chain", "D365 SCM", "Supply Chain Management"],
    "power_apps": ["Power Apps", "PowerApps"],
    "m365_e3": ["Microsoft 365 E3", "M365 E3", "MS 365 E3", "Office 365 E3", "O365 E3"],
    "exchange_online": ["Exchange Online", "MS Exchange"],
    "sharepoint_online": ["SharePoint Online", "SharePoint", "Share Point"],
    # Not "Teams" alone: every document speaks of its customer's teams.
    "teams": ["Microsoft Teams", "MS Teams"],
    "onedrive": ["OneDrive for Business", "OneDrive", "One Drive"],
    "intune": ["Microsoft Intune", "Intune", "Endpoint Manager"],
}
FUZZY_FOUND, FUZZY_UNSURE = 88, 82


def aliases(code: str, name: str) -> list[str]:
    """The product's name and the usual ways partners write it."""
    names = [name, *ALIASES.get(code, [])]
    if name.startswith("Dynamics 365 "):
        rest = name.removeprefix("Dynamics 365 ")
        names += [f"D365 {rest}", f"Dyn365 {rest}", f"MS Dynamics 365 {rest}"]
    return list(dict.fromkeys(fold(n) for n in names))


def _find_product(texts: list[Text], code: str, name: str) -> dict:
    names = aliases(code, name)
    for t in texts:
        for alias in names:
            at = _boundary_find(alias, t.folded)
            if at >= 0:
                return {"code": code, "name": name, "verdict": FOUND, "page": t.number, "excerpt": t.excerpt(at, at + len(alias))}
    best: tuple[float, Text | None, int, int] = (0.0, None, 0, 0)
    for t in texts:
        for alias in names:
            if len(alias) < 8:  # short aliases ("teams") only exactly: fuzzy would match any word
                continue
            al = fuzz.partial_ratio_alignment(alias, t.folded, score_cutoff=FUZZY_UNSURE)
            # Numbers tell editions apart (Microsoft 365 E3 is not E5): they must be there as written.
            window = t.folded[max(0, al.dest_start - 2) : al.dest_end + 2] if al else ""
            if al and al.score > best[0] and all(n in window for n in re.findall(r"\w*\d\w*", alias)):
                best = (al.score, t, al.dest_start, al.dest_end)
    score, t, a, b = best
    if t is None:
        return {"code": code, "name": name, "verdict": MISSING, "page": None, "excerpt": ""}
    verdict = FOUND if score >= FUZZY_FOUND else UNSURE
    return {"code": code, "name": name, "verdict": verdict, "page": t.number, "excerpt": t.excerpt(a, b)}


def check_products(texts: list[Text], ctx: Context) -> dict:
    items = [_find_product(texts, code, name) for code, name in ctx.products]
    return combine_products(items)


def combine_products(items: list[dict]) -> dict:
    verdicts = {i["verdict"] for i in items}
    verdict = MISSING if MISSING in verdicts else UNSURE if UNSURE in verdicts else FOUND
    if not items:
        verdict = UNSURE
    shown = next((i for i in items if i["verdict"] == verdict), items[0] if items else None)
    page, excerpt = (shown["page"], shown["excerpt"]) if shown else (None, "")
    return result("products", verdict, page, excerpt, products=items)
