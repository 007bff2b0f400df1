"""A corpus of proofs of execution made by code, each with what it truly shows (issue 24).

Five languages x ten documents: text PDFs (fpdf2), scanned PDFs (a picture of the page in a
PDF, so the pre-check must render and OCR it), Word files (python-docx) and scans as PNG or
JPEG (Pillow renders the text, slightly turned and blurred). Each document leaves out known
items in known ways (no signature block, only the partner's signature, a blank signature
line, old dates, no dates, no description of the work, a claimed product missing or another
product named, another customer). Written into a folder the caller gives (a temp dir).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from claims.precheck.checks import Context

TODAY = date(2026, 11, 16)
RECENT = date(2026, 3, 12)
OLD = date(2024, 5, 20)

CUSTOMERS = [
    ("Contoso", "contoso.com"),
    ("Litware Inc.", "litware.example"),
    ("Tailspin Toys", "tailspintoys.example"),
    ("Adventure Works Cycles", "adventure-works.example"),
    ("Wingtip Toys", "wingtiptoys.example"),
]
OTHER_CUSTOMER = ("Northwind Traders", "northwindtraders.example")

PRODUCT_SETS = [
    [("d365_sales", "Dynamics 365 Sales")],
    [("d365_sales", "Dynamics 365 Sales"), ("d365_customer_service", "Dynamics 365 Customer Service")],
    [("teams", "Microsoft Teams"), ("sharepoint_online", "SharePoint Online")],
]
# How partners write the products (the check must accept these).
WRITTEN = {
    "d365_sales": ["Dynamics 365 Sales", "D365 Sales"],
    "d365_customer_service": ["Dynamics 365 Customer Service", "D365 Customer Service"],
    "teams": ["Microsoft Teams", "MS Teams"],
    "sharepoint_online": ["SharePoint Online", "SharePoint"],
}
# A product named instead of the claimed one (the check must not take it for the claimed one).
INSTEAD = {"d365_sales": "Dynamics 365 Finance", "teams": "Exchange Online"}

FORMATS = ["pdf", "pdf", "pdf", "pdf-scan", "docx", "png", "pdf", "jpg", "docx", "pdf-scan"]

MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro".split(),
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
}


def written_date(d: date, lang: str, style: int) -> str:
    """A date as people write it in that language (two styles each)."""
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日" if style == 0 else d.isoformat()
    if style == 1:
        return f"{d.month:02d}/{d.day:02d}/{d.year}" if lang == "en" else f"{d.day:02d}/{d.month:02d}/{d.year}"
    month = MONTHS[lang][d.month - 1]
    return {
        "en": f"{month} {d.day}, {d.year}",
        "pt": f"{d.day} de {month} de {d.year}",
        "it": f"{d.day} {month} {d.year}",
        "es": f"{d.day} de {month} de {d.year}",
    }[lang]


TEXTS = {
    "en": {
        "title": "Statement of Work - Acceptance",
        "customer": "Customer: {customer} ({domain})",
        "service": (
            "Fabrikam Consulting deployed {products} for the sales and service teams of the customer. "
            "We migrated 12,000 accounts from the legacy CRM, configured the security roles and trained 85 users "
            "in four workshops. The rollout finished with a go-live review and two weeks of adoption support."
        ),
        "no_service": "This letter confirms the relationship between Fabrikam Consulting and the customer.",
        "products": "Products: {products}.",
        "completed": "Completed on {date}.",
        "signature": "Customer signature: {signer}",
        "name": "Name: {signer}, IT Director",
        "date": "Date: {date}",
        "partner_signature": "Partner signature: Alex Wilber, Fabrikam Consulting",
        "blank_signature": "Customer signature: ____________________",
        "blank_date": "Date: ____________",
        "filler": "Appendix: meeting notes and the list of attendees, kept for reference.",
        "signers": ["Megan Bowen", "Patti Fernandez"],
    },
    "pt": {
        "title": "Termo de aceite de serviços",
        "customer": "Cliente: {customer} ({domain})",
        "service": (
            "A Fabrikam Consulting implantou o {products} para as equipes comerciais do cliente. Migramos 12.000 contas "
            "do CRM anterior, configuramos os perfis de segurança e realizamos o treinamento de 85 usuários em quatro "
            "workshops. A entrada em produção foi concluída com duas semanas de suporte à adoção."
        ),
        "no_service": "Esta carta confirma o relacionamento entre a Fabrikam Consulting e o cliente.",
        "products": "Produtos: {products}.",
        "completed": "Concluído em {date}.",
        "signature": "Assinatura do cliente: {signer}",
        "name": "Nome: {signer}, Diretora de TI",
        "date": "Data: {date}",
        "partner_signature": "Assinatura do parceiro: Alex Wilber, Fabrikam Consulting",
        "blank_signature": "Assinatura do cliente: ____________________",
        "blank_date": "Data: ____________",
        "filler": "Anexo: atas das reuniões e lista de participantes, para referência.",
        "signers": ["Ana Souza", "João Pereira"],
    },
    "it": {
        "title": "Verbale di accettazione",
        "customer": "Cliente: {customer} ({domain})",
        "service": (
            "Fabrikam Consulting ha implementato {products} per i team commerciali del cliente. Abbiamo migrato "
            "12.000 account dal CRM precedente, configurato i ruoli di sicurezza ed erogato la formazione a 85 utenti "
            "in quattro workshop. La messa in produzione si è conclusa con due settimane di supporto all'adozione."
        ),
        "no_service": "Questa lettera conferma il rapporto tra Fabrikam Consulting e il cliente.",
        "products": "Prodotti: {products}.",
        "completed": "Completato il {date}.",
        "signature": "Firma del cliente: {signer}",
        "name": "Nome: {signer}, Responsabile IT",
        "date": "Data: {date}",
        "partner_signature": "Firma del partner: Alex Wilber, Fabrikam Consulting",
        "blank_signature": "Firma del cliente: ____________________",
        "blank_date": "Data: ____________",
        "filler": "Allegato: verbali delle riunioni ed elenco dei partecipanti, per riferimento.",
        "signers": ["Giulia Rossi", "Marco Bianchi"],
    },
    "es": {
        "title": "Acta de conformidad del servicio",
        "customer": "Cliente: {customer} ({domain})",
        "service": (
            "Fabrikam Consulting implementó {products} para los equipos comerciales del cliente. Migramos 12.000 "
            "cuentas del CRM anterior, configuramos los roles de seguridad y realizamos la capacitación de 85 usuarios "
            "en cuatro talleres. La puesta en producción terminó con dos semanas de soporte a la adopción."
        ),
        "no_service": "Esta carta confirma la relación entre Fabrikam Consulting y el cliente.",
        "products": "Productos: {products}.",
        "completed": "Finalizado el {date}.",
        "signature": "Firma del cliente: {signer}",
        "name": "Nombre: {signer}, Directora de TI",
        "date": "Fecha: {date}",
        "partner_signature": "Firma del socio: Alex Wilber, Fabrikam Consulting",
        "blank_signature": "Firma del cliente: ____________________",
        "blank_date": "Fecha: ____________",
        "filler": "Anexo: actas de las reuniones y lista de asistentes, como referencia.",
        "signers": ["Lucía Fernández", "Carlos Ruiz"],
    },
    "zh": {
        "title": "项目验收确认书",
        "customer": "客户：{customer}（{domain}）",
        "service": (
            "Fabrikam Consulting 为客户的销售和服务团队部署了 {products}。我们从旧系统迁移了一万二千个客户账户，"
            "配置了安全角色，并通过四次研讨会培训了八十五名用户。项目上线后，我们提供了两周的推广支持。"
        ),
        "no_service": "本函确认 Fabrikam Consulting 与客户之间的合作关系。",
        "products": "产品：{products}。",
        "completed": "完成日期：{date}",
        "signature": "客户签名：{signer}",
        "name": "职务：信息技术总监",
        "date": "日期：{date}",
        "partner_signature": "合作伙伴签名：Alex Wilber",
        "blank_signature": "客户签名：____________",
        "blank_date": "日期：________",
        "filler": "附件：会议纪要和参会人员名单，仅供参考。",
        "signers": ["王伟", "李娜"],
    },
}

# What each of the ten documents of a language leaves out (cycled).
VARIANTS = [
    {},
    {"signature": "none"},
    {"date": "old"},
    {"service": "none"},
    {"products": "one_missing"},
    {"customer": "other"},
    {"signature": "partner_only"},
    {"date": "none"},
    {"products": "instead"},
    {"signature": "blank", "service": "none"},
]


@dataclass
class Doc:
    name: str
    lang: str
    fmt: str
    path: Path
    context: Context
    truth: dict[str, bool]  # check code -> the document truly shows it
    pages: list[list[str]] = field(default_factory=list)


def _lines(lang: str, i: int, variant: dict) -> tuple[list[list[str]], dict[str, bool], Context]:
    t = TEXTS[lang]
    customer, domain = CUSTOMERS[i % len(CUSTOMERS)]
    products = PRODUCT_SETS[i % len(PRODUCT_SETS)]
    style = i % 2
    # How the products are written: the claimed ones, one left out, or another instead.
    written = [WRITTEN[code][(i // 2) % 2] for code, _ in products]
    if variant.get("products") == "one_missing":
        written = written[:1] if len(written) > 1 else []
    elif variant.get("products") == "instead":
        written = [INSTEAD.get(products[0][0], "Power BI"), *written[1:]]
    shown_customer, shown_domain = OTHER_CUSTOMER if variant.get("customer") == "other" else (customer, domain)
    dates = variant.get("date")
    when = None if dates == "none" else written_date(OLD if dates == "old" else RECENT, lang, style)
    joined = ("、" if lang == "zh" else ", ").join(written)

    first = [t["title"], t["customer"].format(customer=shown_customer, domain=shown_domain)]
    if variant.get("service") == "none":
        first.append(t["no_service"])
        if written:
            first.append(t["products"].format(products=joined))
    else:
        first.append(t["service"].format(products=joined or t["products"].format(products="-")))
    if when:
        first.append(t["completed"].format(date=when))
    signer = t["signers"][i % 2]
    sig = variant.get("signature")
    block: list[str] = []
    if sig is None:
        block = [t["signature"].format(signer=signer), t["name"].format(signer=signer)]
        if when:
            block.append(t["date"].format(date=when))
    elif sig == "partner_only":
        block = [t["partner_signature"]] + ([t["date"].format(date=when)] if when else [])
    elif sig == "blank":
        block = [t["blank_signature"], t["blank_date"]]
    # Every third document runs over two pages: the signature block on the second.
    pages = [first, [t["filler"], *block]] if i % 3 == 2 else [first + block]
    truth = {
        "customer": variant.get("customer") is None,
        "signature": sig is None and when is not None,
        "date": dates is None,
        "service": variant.get("service") is None,
        "products": variant.get("products") is None,
    }
    ctx = Context(
        customer_names=[customer],
        domains=[domain, f"{customer.split()[0].lower()}.onmicrosoft.com"],
        products=products,
        today=TODAY,
    )
    return pages, truth, ctx


def build(
    folder: Path, *, languages=("en", "pt", "it", "es", "zh"), per_language: int = 10, formats=None, only=None
) -> list[Doc]:
    """Writes the corpus into `folder` and returns its documents with their truth (`only`: these
    indices of each language)."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = []
    for lang in languages:
        for i in only if only is not None else range(per_language):
            variant = VARIANTS[i % len(VARIANTS)]
            fmt = (formats or FORMATS)[i % len(formats or FORMATS)]
            pages, truth, ctx = _lines(lang, i, variant)
            ext = {"pdf-scan": "pdf"}.get(fmt, fmt)
            path = folder / f"{lang}-{i:02d}-{fmt}.{ext}"
            path.write_bytes(render(fmt, lang, pages))
            docs.append(Doc(path.stem, lang, fmt, path, ctx, truth, pages))
    return docs


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "pdf-scan": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpg": "image/jpeg",
}


def render(fmt: str, lang: str, pages: list[list[str]]) -> bytes:
    if fmt == "pdf":
        return text_pdf(lang, pages)
    if fmt == "docx":
        return docx_file(pages)
    if fmt == "pdf-scan":
        return scanned_pdf(lang, pages)
    return image_file(lang, [line for page in pages for line in page], "JPEG" if fmt == "jpg" else "PNG")


def _fpdf(lang: str):
    from fpdf import FPDF

    from claims.pdf import CJK_FONTS, LATIN_FONTS, cjk_face_index, font_path

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_margins(56, 56, 56)
    pdf.set_auto_page_break(True, margin=56)
    if lang == "zh":
        path = font_path(CJK_FONTS[""])
        pdf.add_font("body", "", path, collection_font_number=cjk_face_index(path))
    else:
        pdf.add_font("body", "", font_path(LATIN_FONTS[""]))
    return pdf


def text_pdf(lang: str, pages: list[list[str]]) -> bytes:
    from fpdf.enums import WrapMode, XPos, YPos

    pdf = _fpdf(lang)
    wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
    for page in pages:
        pdf.add_page()
        pdf.set_font("body", "", 11)
        for line in page:
            pdf.multi_cell(0, 15, line, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(6)
    return bytes(pdf.output())


def long_pdf(lang: str, pages: list[list[str]], total: int = 20) -> bytes:
    """The same document padded to `total` pages of text (the 20-page timing)."""
    filler = [TEXTS[lang]["filler"] + " " + TEXTS[lang]["no_service"]] * 14
    return text_pdf(lang, [*pages, *([filler] * (total - len(pages)))])


def docx_file(pages: list[list[str]]) -> bytes:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for n, page in enumerate(pages):
        if n:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for line in page:
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _font(lang: str, size: int):
    from PIL import ImageFont

    from claims.pdf import CJK_FONTS, LATIN_FONTS, cjk_face_index, font_path

    if lang == "zh":
        path = font_path(CJK_FONTS[""])
        return ImageFont.truetype(str(path), size, index=cjk_face_index(path))
    return ImageFont.truetype(str(font_path(LATIN_FONTS[""])), size)


def page_image(lang: str, lines: list[str]):
    """A scanned A4 page at 150 dpi: the text drawn, then slightly turned and blurred."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height, margin = 1240, 1754, 110
    img = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(img)
    font = _font(lang, 26)
    y = margin
    for line in lines:
        words = list(line) if lang == "zh" else line.split(" ")
        joiner = "" if lang == "zh" else " "
        current = ""
        for word in words:
            trial = f"{current}{joiner}{word}" if current else word
            if draw.textlength(trial, font=font) > width - 2 * margin:
                draw.text((margin, y), current, font=font, fill=25)
                y += 40
                current = word
            else:
                current = trial
        draw.text((margin, y), current, font=font, fill=25)
        y += 56
    return img.rotate(0.4, fillcolor=250, resample=Image.BICUBIC).filter(ImageFilter.GaussianBlur(0.6))


def image_file(lang: str, lines: list[str], kind: str) -> bytes:
    out = io.BytesIO()
    page_image(lang, lines).save(out, kind, **({"quality": 85} if kind == "JPEG" else {}))
    return out.getvalue()


def scanned_pdf(lang: str, pages: list[list[str]]) -> bytes:
    """A PDF whose pages are pictures only (no text layer), as a scanner makes them."""
    pdf = _fpdf(lang)
    for page in pages:
        pdf.add_page()
        out = io.BytesIO()
        page_image(lang, page).save(out, "PNG")
        out.seek(0)
        pdf.image(out, x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())
