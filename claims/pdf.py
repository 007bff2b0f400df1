"""One-page text PDFs (the PoE checklist, the demo PoE) written with fpdf2.

fpdf2 embeds a subset of a real font, so every language prints: DejaVu Sans for
Latin scripts (Debian package fonts-dejavu-core) and Noto Sans CJK SC for Chinese
(fonts-noto-cjk). The fonts are looked up in CPOR_FONT_DIRS; a missing font is a
configuration error that names the package to install, never a PDF of boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

LATIN_FONTS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
CJK_FONTS = {"": "NotoSansCJK-Regular.ttc", "B": "NotoSansCJK-Bold.ttc"}
CJK_FACE = "Noto Sans CJK SC"  # the Simplified Chinese face inside the collection
PACKAGES = {"DejaVuSans": "fonts-dejavu-core", "NotoSansCJK": "fonts-noto-cjk"}


def font_path(filename: str) -> Path:
    """The first file called `filename` under the CPOR_FONT_DIRS folders (searched recursively)."""
    return _find_font(filename, tuple(settings.CPOR_FONT_DIRS))


@cache
def _find_font(filename: str, folders: tuple[str, ...]) -> Path:
    for folder in folders:
        root = Path(folder)
        direct = root / filename
        if direct.is_file():
            return direct
        if root.is_dir():
            found = next(iter(sorted(root.rglob(filename))), None)
            if found is not None:
                return found
    package = next((p for prefix, p in PACKAGES.items() if filename.startswith(prefix)), "a package providing it")
    raise ImproperlyConfigured(
        f"Font {filename} not found in CPOR_FONT_DIRS ({', '.join(folders)}). "
        f"Install the Debian package {package} or point CPOR_FONT_DIRS at a folder holding it."
    )


@cache
def cjk_face_index(path: Path) -> int:
    """The index of the Simplified Chinese face in the Noto CJK collection."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(4) == CJK_FACE or font["name"].getDebugName(4) == f"{CJK_FACE} Bold":
                return index
    finally:
        collection.close()
    raise ImproperlyConfigured(f"{path} has no {CJK_FACE} face.")


def _needs_cjk(texts: list[str]) -> bool:
    return any(ord(ch) >= 0x2E80 for text in texts for ch in text)


def text_pdf(title: str, lines: list[str] = (), *, language: str | None = None) -> bytes:
    """A title and paragraphs on A4 pages, in `language` (default: the active one)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_margins(56, 56, 56)
    pdf.set_auto_page_break(True, margin=56)
    pdf.set_lang(language)
    pdf.set_title(title)
    pdf.set_creator("CPOR Claims")
    for style, filename in LATIN_FONTS.items():
        pdf.add_font("latin", style, font_path(filename))
    family, wrap = "latin", WrapMode.WORD
    if _needs_cjk([title, *lines]):
        for style, filename in CJK_FONTS.items():
            path = font_path(filename)
            pdf.add_font("cjk", style, path, collection_font_number=cjk_face_index(path))
        # Chinese has no spaces between words: lines break between characters.
        family, wrap = "cjk", WrapMode.CHAR
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 22, title, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font(family, "", 10)
    for line in lines:
        pdf.multi_cell(0, 14, line, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
    return bytes(pdf.output())
