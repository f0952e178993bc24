"""Chunk boundaries and locators on the real documents."""
import pytest

from rag.parsing.chunk import MAX_CHARS, chunk_document

from conftest import FG, HANDLINGAR, KF8, KS16, KS_2025, KS_2026, KSAU141

ALL = [KS16, KSAU141, KF8, KS_2025, HANDLINGAR, KS_2026, FG]


@pytest.mark.parametrize("doc_id", ALL)
def test_chunks_cite_the_original_exactly_and_stay_inside_their_place(parsed, doc_id):
    doc, src = parsed(doc_id)
    chunks = chunk_document(doc, src.text)
    assert chunks
    blocks = doc.blocks
    for c in chunks:
        assert src.text[c.start:c.end] == c.text and c.text.strip()
        assert len(c.text) <= 2 * MAX_CHARS
        inside = [b for b in blocks if b.start < c.end and b.end > c.start]  # blocks the chunk overlaps
        assert inside, c.locator
        # never across two §§, sections, bilagor or attached parts
        assert {(b.paragraf, b.section, b.bilaga, b.part) for b in inside} == {(c.paragraf, c.section, c.bilaga, c.part)}
    assert len({c.id for c in chunks}) == len(chunks)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)


def test_locator_names_organ_date_paragraf_bilaga_page(parsed):
    doc, src = parsed(KS16)
    chunks = chunk_document(doc, src.text)
    pripp = next(c for c in chunks if "Anders Pripp" in c.text)
    assert pripp.locator.startswith("Kommunstyrelsen 2026-01-07 § 16 · Bilaga 13 · Särskilt yttrande")
    assert pripp.locator.endswith("s. 4")
    assert "Bilaga 13" in pripp.context and "Återrapportering kring kraftsamlande insatser" in pripp.context


def test_ocr_chunks_keep_original_and_normalised_text(parsed):
    doc, src = parsed(KF8)
    renamed = next(c for c in chunk_document(doc, src.text) if "dopts om" in c.text)
    assert "döpts om" in renamed.norm and "områdeslyft" in renamed.norm
    assert renamed.locator.startswith("Kommunfullmäktige 2026-01-22 § 8 · Tjänsteskrivelse · Ärendet")


def test_tiny_paragraphs_merge_and_broken_sentences_join(parsed):
    doc, src = parsed(KS16)
    chunks = chunk_document(doc, src.text)
    # Bilaga 13 is one line per paragraph in the PDF text; it must not become one chunk per line
    bilaga13 = [c for c in chunks if c.bilaga == "Bilaga 13"]
    assert 2 <= len(bilaga13) <= 4
    doc, src = parsed(KS_2025)
    prognosis = next(c for c in chunk_document(doc, src.text) if "477 miljoner" in c.text)
    assert "Kommunens prognos för hela året" in " ".join(prognosis.text.split())  # joined across the blank line
