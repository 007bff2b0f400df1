"""A minimal PDF writer for one-page text documents (the PoE checklist, demo PoE)."""


def _escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(title: str, lines: list[str] = ()) -> bytes:
    ops = [f"BT /F2 16 Tf 56 790 Td ({_escape(title)}) Tj ET"]
    y = 760
    for line in lines:
        # wrap at ~95 characters so long lines stay on the page
        words, current = line.split(), ""
        chunks = []
        for word in words:
            if len(current) + len(word) + 1 > 95:
                chunks.append(current)
                current = word
            else:
                current = f"{current} {word}".strip()
        chunks.append(current)
        for chunk in chunks:
            ops.append(f"BT /F1 10 Tf 56 {y} Td ({_escape(chunk)}) Tj ET")
            y -= 14
        y -= 4
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
