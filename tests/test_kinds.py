"""The record kinds as a registry: every record the corpus gives is of a registered kind and is stated by its
kind's sentence; every registered kind is read from a document (a small protocol where the corpus has none)."""
from __future__ import annotations

from pathlib import Path

from conftest import CORPUS
from rag.parsing.chunk import chunk_document
from rag.parsing.structure import parse
from rag.reading.read import SourceText
from rag.records import COUNTED, KINDS, extract, sentence

DOCS = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*")
              if p.suffix in {".md", ".txt", ".html"} and p.name != "SOURCES.md")

# a meeting decided by acclamation: no bundled protocol says so
ACKLAMATION = """# Kommunfullmäktige 2025-03-10

## § 12 Val av ordförande i valnämnden

Dnr KS 2025/40

### Beslut

Kommunfullmäktige väljer Eva Lind (S) till ordförande i valnämnden.

### Beslutsgång

Ordföranden konstaterar att fullmäktige väljer Eva Lind (S) med acklamation.
"""


def _records(doc_id: str, text: str | None = None) -> list:
    src = SourceText(doc_id, Path(doc_id), text, "0" * 64, "md", "utf-8", {}, 0) if text else None
    if src is None:
        from rag.reading import read_file

        src = read_file(CORPUS / doc_id, CORPUS, 1 << 30)
    doc = parse(src)
    return extract(doc, chunk_document(doc, src.text))


def test_every_record_is_of_a_registered_kind_and_stated_by_its_sentence():
    seen: set[str] = set()
    for doc_id in DOCS:
        for f in _records(doc_id):
            assert f.kind in KINDS, (doc_id, f.kind)
            seen.add(f.kind)
            said = sentence(f)
            assert said.strip() and said.rstrip()[-1] in ".”\"!?", (doc_id, f.kind, said)
            if KINDS[f.kind].sentence is not None:  # a kind's own sentence names everyone the record names
                assert all(p["name"] in said for p in f.persons), (doc_id, f.kind, said)
    placed = {f.kind for f in _records("okand-kommun/kf.md", ACKLAMATION)}
    assert "acklamation" in placed
    assert set(KINDS) == seen | placed  # no kind registered that no rule reads


def test_a_placed_kind_is_told_with_its_paragraf_and_a_counted_kind_has_its_nouns():
    f = next(f for f in _records("okand-kommun/kf.md", ACKLAMATION) if f.kind == "acklamation")
    assert KINDS["acklamation"].placed and sentence(f).startswith("§ 12 Val av ordförande i valnämnden: ")
    assert COUNTED["reservation"] == ("reservation", "reservationer")
    assert all(k in KINDS for k in COUNTED)
