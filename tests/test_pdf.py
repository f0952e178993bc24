"""Text-layer PDFs as browsers and offices print them, read by the words' positions.

Real renderings: the bundled documents printed to PDF by Chromium (A4, the browser's running
head and foot on every page), then read and parsed as a user's PDF would be, and compared with
what the original file gives.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from eval.renderings import Agreement, document_html, originals, parsed, print_pdf, rasterise, render_corpus
from rag.parsing.chunk import chunk_document
from rag.records import extract
from rag.reading.read import read_file
from rag.parsing.structure import parse

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
JONKOPING = "jonkoping/barn-och-utbildningsnamnden-2016-01-26.md"

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                reason="Chromium prints the PDFs (scripts/setup-browser.sh installs it)")


def _parsed(root: Path, rel: str):
    src = read_file(root / rel, root, 1 << 30)
    doc = parse(src)
    return src, doc, extract(doc, chunk_document(doc, src.text))


def _records(facts) -> list[tuple]:
    return sorted({(f.kind, f.paragraf, tuple(sorted(p["name"] for p in f.persons))) for f in facts})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """Every bundled document printed to PDF by Chromium, by the same relative path."""
    out = tmp_path_factory.mktemp("pdf-corpus")
    render_corpus(CORPUS, out)
    return out


def test_every_document_printed_to_pdf_parses_as_its_original(rendered):
    """The whole corpus as PDFs: organ, date and §§ the same for every document, and every record of who
    did what (reservation, yrkande, vote, jäv …) names the same persons. The rest may differ where the
    Markdown itself lost its layout (a cover page's columns run together): measured, with a floor."""
    agreement = Agreement()
    for path in originals(CORPUS):
        rel = path.relative_to(CORPUS)
        agreement.add(rel.as_posix(), parsed(path, CORPUS), parsed((rendered / rel).with_suffix(".pdf"), rendered))
    print(agreement.line())
    assert agreement.records > 300 and agreement.attendance > 300
    assert not agreement.structure and not agreement.who
    assert agreement.records_same / agreement.records >= 0.9  # 0.93 on 2026-12-03
    assert agreement.attendance_same / agreement.attendance >= 0.93  # 0.955


def test_protocol_printed_to_pdf_reads_as_its_markdown(rendered):
    _, want, want_facts = _parsed(CORPUS, JONKOPING)
    src, got, got_facts = _parsed(rendered, JONKOPING.replace(".md", ".pdf"))
    assert src.text.count("\f") >= 10  # one form feed per page break: page numbers stay exact
    assert [p.number for p in got.paragrafer] == [p.number for p in want.paragrafer] == [str(n) for n in range(1, 16)]
    assert [p.title for p in got.paragrafer] == [p.title for p in want.paragrafer]
    assert [m.name for m in got.attendance.beslutande] == [m.name for m in want.attendance.beslutande]
    assert _records(got_facts) == _records(want_facts)  # votes, reservations, substitutions, roles …
    # the browser's running foot ('file:///…', '3/21') is furniture: in no paragraph after page 1
    assert not any("file://" in b.norm for b in got.blocks if (b.page_start or 1) > 1)


@pytest.mark.parametrize("name", ["bet-2010-11-AU1", "bet-2013-14-FoU11", "bet-2018-19-AU1"])
def test_betankande_printed_to_pdf_reads_as_its_html(rendered, name):
    """The same report from Riksdagen's HTML and from a PDF of it: the same structure, record by record."""
    _, want, want_facts = _parsed(CORPUS, f"riksdagen/{name}.html")
    _, got, got_facts = _parsed(rendered, f"riksdagen/{name}.pdf")
    w, g = want.betankande, got.betankande
    assert g is not None
    assert (g.utskott, g.beteckning, g.date, g.signatory) == (w.utskott, w.beteckning, w.date, w.signatory)
    assert [(m.name, m.party, m.abstains) for m in g.ledamoter] == [(m.name, m.party, m.abstains) for m in w.ledamoter]
    assert [(p.number, p.title, p.reservationer) for p in g.punkter] == [(p.number, p.title, p.reservationer)
                                                                          for p in w.punkter]
    assert [(y.kind, y.number, y.punkt, y.parties, y.persons) for y in g.yttranden] == [
        (y.kind, y.number, y.punkt, y.parties, y.persons) for y in w.yttranden]
    assert set(g.bilagor) == set(w.bilagor)
    assert _records(got_facts) == _records(want_facts)


def test_table_columns_stay_apart(tmp_path):
    """A two-column attendance table: pypdf's plain text runs the columns together, by position they
    stay cells of one row."""
    rows = [("Lisa Andersson (M), ordförande", "Berit Bergström (M) ersätter Emanuel Forsell (M)"),
            ("Fredrik Hansson (C)", "Niclas Nilsson (M) ersätter Hravn Forsne (M)"),
            ("Johan Tolinsson (S)", "")]
    table = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
    html = (f"<h1>Kommunstyrelsen</h1><p>Sammanträdesdatum 2025-01-21</p><table><tr><th>Ledamöter</th>"
            f"<th>Tjänstgörande ersättare</th></tr>{table}</table><p>Sekreterare Patrik Johansson</p>")
    print_pdf(html, tmp_path / "ks.pdf", "Kommunstyrelsen")
    text = read_file(tmp_path / "ks.pdf", tmp_path, 1 << 20).text
    assert "| **Ledamöter** | **Tjänstgörande ersättare** |" in text  # the header cells in bold
    assert "| Lisa Andersson (M), ordförande | Berit Bergström (M) ersätter Emanuel Forsell (M) |" in text
    assert "\nJohan Tolinsson (S)\n" in text or "| Johan Tolinsson (S) |" in text


def test_scanned_page_is_read_by_ocr(tmp_path, repair, monkeypatch):
    """An image-only PDF (the protocol's cover page printed, then rasterised at scan resolution): Tesseract
    reads it, the noise repair runs, and the cover page gives the same organ, date and attendance."""
    from rag.reading import ocr

    monkeypatch.setenv("PARAGRAF_OCR_CACHE", str(tmp_path / "ocr-cache"))
    html = document_html(CORPUS / JONKOPING)
    printed = print_pdf(html, tmp_path / "printed.pdf", "Barn- och utbildningsnämnden 2016-01-26")
    (tmp_path / "scan").mkdir()
    rasterise(printed, tmp_path / "scan" / "protokoll.pdf", dpi=200, first=1)  # an image and nothing else
    src = read_file(tmp_path / "scan" / "protokoll.pdf", tmp_path / "scan", 1 << 30)
    assert src.metadata["ocr_pages"] == 1 and src.metadata["ocr_seconds"][1] > 0
    assert ocr.available()
    got, want = parse(src, repair), parse(read_file(CORPUS / JONKOPING, CORPUS, 1 << 30), repair)
    assert (got.organ, got.date) == (want.organ, want.date) == ("Barn- och utbildningsnämnden", "2016-01-26")
    assert [m.name for m in got.attendance.beslutande] == [m.name for m in want.attendance.beslutande]
    assert "Paragrafer 1 - 15" in src.text and "Justerande Anna Carlsson" in src.text
    # the chunks from the scanned page say so in their locator, and a second read takes the cached text
    chunks = chunk_document(got, src.text)
    assert chunks and all(c.locator.endswith("· OCR") for c in chunks if c.page_start == 1)
    again = read_file(tmp_path / "scan" / "protokoll.pdf", tmp_path / "scan", 1 << 30)
    assert again.text == src.text and again.metadata["ocr_seconds"] == src.metadata["ocr_seconds"]


def _shifted(text: str) -> str:
    """Letters moved three places: what a font without its character map gives as a 'text layer'."""
    abc = "abcdefghijklmnopqrstuvwxyz"
    table = str.maketrans(abc + abc.upper(), abc[3:] + abc[:3] + (abc[3:] + abc[:3]).upper())
    return text.translate(table)


def test_garbage_text_layer_is_read_by_ocr(tmp_path, repair, monkeypatch):
    """A scan with an invisible text layer of garbage over it: the layer is judged by its share of Swedish
    words and Tesseract's reading replaces it; a page of real text keeps its layer."""
    from pypdf import PdfReader, PdfWriter

    from helpers import make_pdf

    monkeypatch.setenv("PARAGRAF_OCR_CACHE", str(tmp_path / "ocr-cache"))
    printed = print_pdf(document_html(CORPUS / JONKOPING), tmp_path / "printed.pdf", "Barn- och utbildningsnämnden")
    rasterise(printed, tmp_path / "scan.pdf", dpi=200, first=1)
    want = read_file(tmp_path / "printed.pdf", tmp_path, 1 << 30).text.split("\f")
    layer = PdfReader(__import__("io").BytesIO(make_pdf([[_shifted(ln) for ln in want[0].splitlines()]], invisible=True)))
    writer = PdfWriter(clone_from=tmp_path / "scan.pdf")
    writer.pages[0].merge_page(layer.pages[0])
    writer.add_page(PdfReader(tmp_path / "printed.pdf").pages[1])  # a page with a good text layer
    (tmp_path / "docs").mkdir()
    with open(tmp_path / "docs" / "protokoll.pdf", "wb") as f:
        writer.write(f)
    src = read_file(tmp_path / "docs" / "protokoll.pdf", tmp_path / "docs", 1 << 30)
    assert src.metadata["ocr_page_numbers"] == "1"  # the garbage page only
    assert "Justerande Anna Carlsson" in src.text and _shifted("Justerande") not in src.text
    got = parse(src, repair)
    assert got.organ == "Barn- och utbildningsnämnden" and len(got.attendance.beslutande) == 16


def test_heading_set_at_tab_stops_opens_its_paragraf(tmp_path):
    """'§ 203 ⇥ Dnr KS-2025-00123': a lone line of cells is text at tab stops, not a table row, so the §
    opens; a contents line ending in its page number does not."""
    pre = "<p style='white-space: pre'>{}</p>".format
    html = ("<p>Kommunstyrelsen</p><p>Sammanträdesdatum 2025-10-21</p><p>Innehåll</p>"
            + pre("§ 203                 Arrendeavtal för tennisklubben                 11")
            + "<p>Sammanträdet</p>"
            + pre("§ 203                                        Dnr KS-2025-00123")
            + "<p><b>Arrendeavtal för tennisklubben</b></p><p><b>Beslut</b></p>"
            + "<p>Kommunstyrelsen godkänner arrendeavtalet.</p>"
            + pre("§ 204                                        Dnr KS-2025-00598")
            + "<p><b>Uppstart av projekt i lokalplan</b></p><p><b>Beslut</b></p>"
            + "<p>Kommunstyrelsen beslutar att starta projektet.</p>")
    print_pdf(html, tmp_path / "ks.pdf", "Kommunstyrelsen")
    src, doc, _ = _parsed(tmp_path, "ks.pdf")
    assert "§ 203   Dnr KS-2025-00123" in src.text
    assert [(p.number, p.dnr) for p in doc.paragrafer] == [("203", "KS-2025-00123"), ("204", "KS-2025-00598")]


def test_cover_page_layout_printed_to_pdf_reads_as_its_markdown(tmp_path):
    """A Kungsbacka protocol converted to Markdown with its layout (two-column cover page, '§ 179 ⇥ Dnr')
    and printed back to PDF: the same §§, titles and beslutande (a title the Markdown cut at its line
    break may read whole from the PDF)."""
    rel = "kungsbacka/vo/2025/2025-01-23/protokoll.md"
    (tmp_path / "vo").mkdir()
    print_pdf(document_html(CORPUS / rel), tmp_path / "vo" / "protokoll.pdf", "protokoll")
    _, want, _ = _parsed(CORPUS, rel)
    _, got, _ = _parsed(tmp_path, "vo/protokoll.pdf")
    assert [(p.number, p.dnr) for p in got.paragrafer] == [(p.number, p.dnr) for p in want.paragrafer]
    assert len(want.paragrafer) == 20
    assert all(g.title.startswith(w.title) for g, w in zip(got.paragrafer, want.paragrafer))
    assert {m.name for m in got.attendance.beslutande} == {m.name for m in want.attendance.beslutande}
