"""Text of a proof of execution, page by page, within bounds.

PDF text with pypdf; pages without text (scans) rendered by poppler's pdftoppm and read by
Tesseract; DOCX with python-docx (one "page": Word files have no fixed pages); PNG/JPEG
with Tesseract. Every external program runs with a timeout and the whole reading has a
wall-time budget, a page limit and a character limit, so a hostile file cannot hold the
worker: whatever is past a limit is left unread (and said so in `Extraction.truncated`).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGES = {"image/png", "image/jpeg"}
READABLE = {PDF, DOCX, *IMAGES}

# A page with fewer characters than this is taken for a scan and read by OCR.
MIN_TEXT_CHARS = 25
# Tesseract puts spaces between Chinese characters; the checks read words, not spaces.
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef])[ \t]+(?=[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef])")


class Unreadable(Exception):
    """The file is not one the pre-check reads, or it is broken."""


@dataclass
class Page:
    number: int
    text: str
    ocr: bool = False


@dataclass
class Extraction:
    pages: list[Page] = field(default_factory=list)
    truncated: bool = False


@dataclass
class Budget:
    """The bounds of one reading (settings CPOR_POE_*)."""

    max_pages: int
    max_chars: int
    max_ocr_pages: int
    seconds: float
    ocr_timeout: float
    started: float = field(default_factory=time.monotonic)
    chars: int = 0
    ocr_pages: int = 0

    @classmethod
    def from_settings(cls) -> Budget:
        return cls(
            max_pages=settings.CPOR_POE_MAX_PAGES,
            max_chars=settings.CPOR_POE_MAX_CHARS,
            max_ocr_pages=settings.CPOR_POE_MAX_OCR_PAGES,
            seconds=settings.CPOR_POE_TIME_BUDGET,
            ocr_timeout=settings.CPOR_POE_OCR_TIMEOUT,
        )

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def spent(self) -> bool:
        return self.chars >= self.max_chars or self.left() <= 0

    def take(self, text: str) -> str:
        text = text[: max(0, self.max_chars - self.chars)]
        self.chars += len(text)
        return text


def extract(path: str | os.PathLike, content_type: str, budget: Budget | None = None) -> Extraction:
    """The pages of the file at `path`. Raises Unreadable for other types and broken files."""
    budget = budget or Budget.from_settings()
    if content_type == PDF:
        return _pdf(Path(path), budget)
    if content_type == DOCX:
        return _docx(Path(path), budget)
    if content_type in IMAGES:
        return _image(Path(path), budget)
    raise Unreadable(content_type)


def _clean(text: str) -> str:
    text = text.replace("\x00", "")
    text = _CJK_SPACE.sub("", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _pdf(path: Path, budget: Budget) -> Extraction:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    result = Extraction()
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            reader.decrypt("")  # an owner-password-only PDF opens; a real password does not
        count = len(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
        raise Unreadable(str(exc)) from exc
    if count > budget.max_pages:
        result.truncated = True
    for index in range(min(count, budget.max_pages)):
        if budget.spent():
            result.truncated = True
            break
        try:
            text = _clean(reader.pages[index].extract_text() or "")
        except Exception:  # noqa: BLE001 - pypdf raises many kinds on hostile content streams
            text = ""
        ocr = False
        if len(text) < MIN_TEXT_CHARS:
            scanned = _ocr_pdf_page(path, index + 1, budget)
            if scanned is not None:
                text, ocr = scanned, True
        result.pages.append(Page(index + 1, budget.take(text), ocr))
    return result


def _ocr_pdf_page(path: Path, number: int, budget: Budget) -> str | None:
    """The page rendered at 200 dpi (at most 2200 px a side) and read by Tesseract; None when
    the OCR budget is spent or a program failed or took too long."""
    if budget.ocr_pages >= budget.max_ocr_pages or budget.left() <= 1:
        return None
    budget.ocr_pages += 1
    with tempfile.TemporaryDirectory(prefix="cpor-poe-") as tmp:
        out = Path(tmp) / "page"
        cmd = ["pdftoppm", "-f", str(number), "-l", str(number), "-r", "200", "-scale-to", "2200", "-gray", "-png", "-singlefile"]
        if _run([*cmd, str(path), str(out)], budget) is None:
            return None
        image = out.with_suffix(".png")
        return _tesseract(image, budget) if image.exists() else None


def _docx(path: Path, budget: Budget) -> Extraction:
    import docx

    try:
        with zipfile.ZipFile(path) as archive:
            # A zip bomb: refuse before python-docx inflates it.
            if sum(info.file_size for info in archive.infolist()) > settings.CPOR_POE_MAX_UNZIPPED_BYTES:
                raise Unreadable("too large unzipped")
        document = docx.Document(str(path))
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml/zipfile raise many kinds on broken files
        raise Unreadable(str(exc)) from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    for section in document.sections:
        lines.extend(p.text for p in section.footer.paragraphs)
    text = _clean("\n".join(line for line in lines if line.strip()))
    result = Extraction(pages=[Page(1, budget.take(text))])
    result.truncated = budget.chars >= budget.max_chars
    return result


def _image(path: Path, budget: Budget) -> Extraction:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            width, height = img.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise Unreadable(str(exc)) from exc
    if width * height > settings.CPOR_POE_MAX_IMAGE_PIXELS:
        raise Unreadable("image too large")
    budget.ocr_pages += 1
    text = _tesseract(path, budget)
    if text is None:
        raise Unreadable("OCR failed or took too long")
    return Extraction(pages=[Page(1, budget.take(text), ocr=True)])


def _tesseract(image: Path, budget: Budget) -> str | None:
    cmd = ["tesseract", str(image), "stdout", "-l", settings.CPOR_POE_OCR_LANGUAGES, "--psm", "3"]
    out = _run(cmd, budget)
    return None if out is None else _clean(out)


def _run(cmd: list[str], budget: Budget) -> str | None:
    """The program's standard output, or None when it failed, is missing or ran past its
    timeout (the smaller of the per-page timeout and what is left of the budget)."""
    timeout = max(0.5, min(budget.ocr_timeout, budget.left()))
    # One thread per Tesseract: the worker's other tasks keep a core.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")
