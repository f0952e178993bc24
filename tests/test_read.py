"""Every supported format and encoding reads; every bad input gets one clear line naming the file."""
from pathlib import Path

import docx
import pytest

from rag.reading.read import ReadError, read_file
from rag.parsing.structure import parse

from helpers import make_pdf

PROTOKOLL = "§ 5 Budget för år 2026\nDnr KS-2025-00042\n\nBeslut\nKommunstyrelsen föreslår fullmäktige att anta budgeten för Växjö.\n"


def _read(tmp_path: Path, name: str, data: bytes, limit: int = 1_000_000):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return read_file(path, tmp_path, limit)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_text_encodings(tmp_path, encoding):
    src = _read(tmp_path, "a/protokoll.txt", PROTOKOLL.encode(encoding))
    assert src.doc_id == "a/protokoll.txt"
    assert "Kommunstyrelsen föreslår" in src.text and "Växjö" in src.text and "\ufeff" not in src.text


def test_markdown_front_matter_becomes_metadata(tmp_path):
    data = ("---\norgan: ks\ndatum: 2025-01-02\nsidor: 3\n---\n\n" + PROTOKOLL).encode()
    src = _read(tmp_path, "p.md", data)
    assert src.metadata == {"organ": "ks", "datum": __import__("datetime").date(2025, 1, 2), "sidor": 3}
    assert src.text[src.body_start:].lstrip().startswith("§ 5")
    doc = parse(src)
    assert doc.date == "2025-01-02" and doc.paragrafer[0].dnr == "KS-2025-00042"


def test_markdown_without_front_matter(tmp_path):
    src = _read(tmp_path, "p.md", PROTOKOLL.encode())
    assert src.metadata == {} and src.body_start == 0


def test_html_drops_scripts(tmp_path):
    html = ("<html><head><script>alert(1)</script><style>p{}</style></head><body><h1>§ 5 Budget</h1>"
            "<p>Kommunstyrelsen föreslår fullmäktige att anta budgeten.</p>"
            "<table><tr><td>Ledamot</td><td>Ja</td></tr></table></body></html>")
    src = _read(tmp_path, "p.html", html.encode())
    assert "alert" not in src.text and "p{}" not in src.text
    assert "# § 5 Budget" in src.text and "| Ledamot | Ja |" in src.text  # headings keep their level


def test_html_table_rows_stay_one_block(tmp_path):
    html = "<table><tr><th>Ledamot</th><th>Ja</th><th>Nej</th></tr><tr><td>Anna Ek (S)</td><td>X</td><td></td></tr></table>"
    src = _read(tmp_path, "v.html", html.encode())
    assert "| Ledamot | Ja | Nej |\n| Anna Ek (S) | X |  |" in src.text


def test_docx_paragraphs_and_tables(tmp_path):
    d = docx.Document()
    d.add_paragraph("§ 7 Taxa för avfall")
    d.add_paragraph("Kommunstyrelsen föreslår att taxan höjs.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Ledamot", "Ja"
    path = tmp_path / "p.docx"
    d.save(path)
    src = read_file(path, tmp_path, 1_000_000)
    assert "§ 7 Taxa för avfall\nKommunstyrelsen föreslår att taxan höjs." in src.text
    assert "| Ledamot | Ja |" in src.text


def test_pdf_text_layer_with_pages(tmp_path):
    pdf = make_pdf([["§ 12 Skolans lokaler", "Nämnden beslutar att bygga om skolan."],
                    ["Reservation", "Anna Berg (V) reserverar sig mot beslutet."]])
    src = _read(tmp_path, "p.pdf", pdf)
    assert "Nämnden beslutar att bygga om skolan." in src.text and "\f" in src.text
    doc = parse(src)
    reservation = next(b for b in doc.blocks if "reserverar sig" in b.norm)
    assert (reservation.paragraf, reservation.section, reservation.page_start) == ("12", "Reservation", 2)


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"", "empty"),
    ("blank.md", b"  \n\n ", "empty"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("broken.pdf", b"%PDF-1.4\nthis is not a pdf at all", "broken PDF"),
    ("fake.pdf", b"hello", "broken PDF"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "broken DOCX"),
    ("image.png", b"\x89PNG\r\n", "unsupported file type"),
    ("only-front-matter.md", b"---\norgan: ks\n---\n", "no text besides its front matter"),
])
def test_bad_inputs_name_file_and_reason(tmp_path, name, data, reason):
    with pytest.raises(ReadError) as err:
        _read(tmp_path, name, data)
    assert str(err.value).startswith(f"{name}: ") and reason in str(err.value)
    assert "\n" not in str(err.value)


def test_size_limit(tmp_path):
    with pytest.raises(ReadError, match=r"big\.txt: file is .* over the limit"):
        _read(tmp_path, "big.txt", b"a" * 2000, limit=1000)


def test_link_outside_corpus(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(PROTOKOLL, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "link.txt").symlink_to(outside)
    with pytest.raises(ReadError, match=r"link\.txt: link points outside the corpus"):
        read_file(corpus / "link.txt", corpus, 1_000_000)
