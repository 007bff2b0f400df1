"""The words the checks look for, in the five languages of the product.

Lower case and without accents (the text is folded the same way before matching, which
also absorbs OCR that drops accents). Chinese entries are matched as substrings.
"""

from __future__ import annotations

import re
import unicodedata

LANGUAGES = ("en", "pt", "it", "es", "zh")

# Frequent function words: the language with most hits is the document's language.
STOPWORDS = {
    "en": {"the", "and", "of", "to", "for", "with", "we", "our", "was", "were", "this", "by", "on", "customer", "is"},
    "pt": {"de", "que", "o", "para", "com", "os", "do", "da", "em", "nao", "uma", "foi", "pelo", "cliente", "servico", "nosso"},
    "it": {"il", "di", "che", "per", "con", "la", "delle", "del", "della", "sono", "gli", "e", "abbiamo", "nostro", "stato"},
    "es": {"el", "de", "que", "para", "con", "los", "las", "del", "una", "en", "fue", "por", "hemos", "nuestro", "servicio"},
}

# Signature blocks: a label or phrase that says someone signed.
SIGNATURE = {
    "en": ["signature", "signed by", "signed:", "sign-off", "signed off", "/s/", "accepted by", "approved by"],
    "pt": ["assinatura", "assinado por", "assinado:", "aceite do cliente", "aprovado por"],
    "it": ["firma", "firmato da", "firmato:", "sottoscritto", "approvato da"],
    "es": ["firma", "firmado por", "firmado:", "aprobado por", "conformidad del cliente"],
    "zh": ["签名", "签字", "签署", "签章", "盖章", "确认人"],
}
# Labels that name the signer.
NAME_LABELS = {
    "en": ["name", "signed by", "accepted by", "approved by", "signatory"],
    "pt": ["nome", "assinado por", "aprovado por"],
    "it": ["nome", "firmato da", "approvato da"],
    "es": ["nombre", "firmado por", "aprobado por"],
    "zh": ["姓名", "签名", "签字", "签署人", "确认人"],
}
# Words that say a signature line is the partner's own, not the customer's.
PARTNER_SIDE = {
    "en": ["partner", "consultant", "vendor", "supplier", "provider"],
    "pt": ["parceiro", "fornecedor", "consultor"],
    "it": ["partner", "fornitore", "consulente"],
    "es": ["socio", "proveedor", "consultor"],
    "zh": ["合作伙伴", "供应商", "服务商"],
}
# Verbs and nouns of a partner's delivered work.
SERVICE = {
    "en": [
        "deploy",
        "implement",
        "migrat",
        "configur",
        "train",
        "workshop",
        "rollout",
        "roll out",
        "adoption",
        "onboard",
        "integrat",
        "customi",
        "go-live",
        "go live",
        "pilot",
        "delivered",
        "install",
        "set up",
        "designed",
        "support",
    ],
    "pt": [
        "implant",
        "implement",
        "migra",
        "configur",
        "treinamento",
        "capacita",
        "workshop",
        "adocao",
        "integra",
        "personaliza",
        "entrada em producao",
        "piloto",
        "entreg",
        "instala",
        "suporte",
        "desenvolv",
    ],
    "it": [
        "implement",
        "migra",
        "configura",
        "formazione",
        "workshop",
        "adozione",
        "integra",
        "personalizza",
        "messa in produzione",
        "pilota",
        "consegn",
        "install",
        "supporto",
        "sviluppa",
        "rilascio",
        "avviamento",
    ],
    "es": [
        "implement",
        "implant",
        "migra",
        "configur",
        "capacita",
        "formacion",
        "taller",
        "adopcion",
        "integra",
        "personaliza",
        "puesta en produccion",
        "piloto",
        "entreg",
        "instala",
        "soporte",
        "desarroll",
        "despliegue",
        "desplegamos",
    ],
    "zh": [
        "部署",
        "实施",
        "迁移",
        "配置",
        "培训",
        "上线",
        "集成",
        "定制",
        "推广",
        "试点",
        "交付",
        "安装",
        "支持",
        "开发",
        "研讨会",
    ],
}

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z]+")


def fold(text: str) -> str:
    """Lower case, accents removed, runs of spaces made one: how the checks compare text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain)


def language(text: str) -> str:
    """The document's language among the five, from its function words (Chinese by script)."""
    sample = text[:20000]
    cjk = len(_CJK.findall(sample))
    if cjk >= 5 and cjk * 8 >= len(re.sub(r"\s", "", sample)):
        return "zh"
    words = _WORD.findall(fold(sample))
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] else "en"


def terms(table: dict[str, list[str]], lang: str) -> list[str]:
    """The document language's terms first, then English (documents mix them)."""
    return list(dict.fromkeys([*table.get(lang, []), *table["en"]]))
