"""The real extractors (pypdf, python-docx, pdftoppm + Tesseract) on the generated corpus,
and the bounds that keep a hostile file from holding the worker."""

import io
import time
import zipfile

import pytest

from claims.precheck.checks import FOUND, run_checks
from claims.precheck.extract import Budget, Unreadable, extract
from tests.poe.corpus import CONTENT_TYPES, _lines, build, docx_file, image_file, long_pdf, text_pdf

ocr = pytest.mark.tesseract


def budget(**kw):
    values = {"max_pages": 50, "max_chars": 200_000, "max_ocr_pages": 10, "seconds": 60, "ocr_timeout": 20} | kw
    return Budget(**values)


def judge(doc):
    extraction = extract(doc.path, CONTENT_TYPES[doc.fmt], budget())
    checks = run_checks([(p.number, p.text) for p in extraction.pages], doc.context)
    return extraction, {c["code"]: c["verdict"] == FOUND for c in checks}


def test_text_pdfs_and_word_files_of_every_language_are_judged_as_they_truly_are(tmp_path):
    docs = build(tmp_path, per_language=10, formats=["pdf", "docx"])
    wrong = [(d.name, code) for d in docs for code, said in judge(d)[1].items() if said != d.truth[code]]
    assert len(docs) == 50 and wrong == []


@ocr
@pytest.mark.parametrize("lang", ["en", "pt", "it", "es", "zh"])
def test_scans_are_read_by_ocr_and_judged_as_they_truly_are(tmp_path, lang):
    # A scanned PDF (rendered by pdftoppm) with the signature on page 2, and a JPEG scan without a signature.
    picked = build(tmp_path, languages=[lang], formats=["pdf-scan", "jpg"], only=[2, 1])
    assert [d.fmt for d in picked] == ["pdf-scan", "jpg"]
    for doc in picked:
        extraction, said = judge(doc)
        assert all(p.ocr for p in extraction.pages)
        assert said == doc.truth, doc.name
    assert [d.truth["signature"] for d in picked] == [True, False]  # page 2 signed; none on the JPEG


def test_a_20_page_pdf_is_read_page_by_page(tmp_path):
    pages, _, context = _lines("en", 0, {})
    path = tmp_path / "long.pdf"
    path.write_bytes(long_pdf("en", pages, 20))
    extraction = extract(path, "application/pdf", budget())
    assert [p.number for p in extraction.pages] == list(range(1, 21))
    assert not any(p.ocr for p in extraction.pages)
    assert "Contoso" in extraction.pages[0].text


def test_pages_past_the_limit_are_left_unread(tmp_path):
    pages, _, _ = _lines("en", 0, {})
    path = tmp_path / "long.pdf"
    path.write_bytes(long_pdf("en", pages, 20))
    extraction = extract(path, "application/pdf", budget(max_pages=5))
    assert len(extraction.pages) == 5 and extraction.truncated


def test_characters_past_the_limit_are_left_unread(tmp_path):
    path = tmp_path / "long.pdf"
    path.write_bytes(long_pdf("en", _lines("en", 0, {})[0], 20))
    extraction = extract(path, "application/pdf", budget(max_chars=3000))
    assert sum(len(p.text) for p in extraction.pages) == 3000 and extraction.truncated


def test_a_broken_pdf_or_word_file_is_unreadable_not_an_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    with pytest.raises(Unreadable):
        extract(path, "application/pdf", budget())
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04not a zip")
    with pytest.raises(Unreadable):
        extract(path, CONTENT_TYPES["docx"], budget())


def test_a_word_file_that_inflates_past_the_limit_is_refused_before_it_is_opened(tmp_path, settings):
    settings.CPOR_POE_MAX_UNZIPPED_BYTES = 1_000_000
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_file([["hello"]]))) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("word/padding.xml", b"0" * 5_000_000)  # 5 MB of zeros: a few kB zipped
    path = tmp_path / "bomb.docx"
    path.write_bytes(out.getvalue())
    assert path.stat().st_size < 100_000
    with pytest.raises(Unreadable):
        extract(path, CONTENT_TYPES["docx"], budget())


def test_an_image_of_too_many_pixels_is_refused(tmp_path, settings):
    settings.CPOR_POE_MAX_IMAGE_PIXELS = 1000
    path = tmp_path / "scan.png"
    path.write_bytes(image_file("en", ["Contoso"], "PNG"))
    with pytest.raises(Unreadable):
        extract(path, "image/png", budget())


@ocr
def test_ocr_that_runs_past_its_timeout_is_stopped(tmp_path):
    path = tmp_path / "scan.png"
    path.write_bytes(image_file("en", _lines("en", 0, {})[0][0] * 3, "PNG"))
    started = time.monotonic()
    with pytest.raises(Unreadable):
        extract(path, "image/png", budget(ocr_timeout=0.05))  # Tesseract needs far more: killed at the timeout
    assert time.monotonic() - started < 3


@ocr
def test_scanned_pages_past_the_ocr_limit_are_left_unread(tmp_path):
    from tests.poe.corpus import scanned_pdf

    pages, _, _ = _lines("en", 2, {})  # two pages
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf("en", pages))
    extraction = extract(path, "application/pdf", budget(max_ocr_pages=1))
    assert [p.ocr for p in extraction.pages] == [True, False] and extraction.pages[1].text == ""


def test_text_pdf_in_chinese_keeps_its_characters(tmp_path):
    pages, _, _ = _lines("zh", 0, {})
    path = tmp_path / "zh.pdf"
    path.write_bytes(text_pdf("zh", pages))
    text = extract(path, "application/pdf", budget()).pages[0].text
    assert "客户签名" in text and "Contoso" in text
