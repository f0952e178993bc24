"""Retrieval quality on questions we wrote over the bundled corpus, filters, and the CLI's JSON."""
import json
import subprocess
import sys

import pytest

import rag

from conftest import CORPUS, ROOT, index_env
from retrieval_questions import QUESTIONS


def _rank(result, doc, needle):
    for n, hit in enumerate(result.hits, 1):
        if doc in hit.chunk.doc and needle in " ".join(hit.chunk.norm.split()):
            return n
    return None


@pytest.mark.parametrize("question,doc,needle", QUESTIONS, ids=[q[0][:40] for q in QUESTIONS])
def test_right_passage_in_top_5(any_index, question, doc, needle):
    assert _rank(any_index.search(question, k=5), doc, needle), question


def test_statement_with_instammande_ranks_first(any_index):
    top = any_index.search("Vem instämde i Sverigedemokraternas särskilda yttrande?", k=5).hits[0].chunk
    assert top.doc.endswith("ks-2026-01-07-p16-aterrapportering-kraftsamlande-insatser.txt")
    assert "Bilaga 13" in top.locator and "Anders Pripp" in top.text


def test_normal_swedish_finds_ocr_passage(any_index):
    result = any_index.search("Vad hette kraftsamlande insatser tidigare?", k=5)
    hit = next(h for h in result.hits if "dopts om" in h.chunk.text)
    assert hit.chunk.doc.endswith("-ocr.txt") and "områdeslyft" in hit.chunk.norm


def test_compound_and_phrase_match_each_other(corpus_index, any_index):
    lexical = corpus_index.store.lexical_index
    a = set(lexical.analyzer("tiggeriförbud", query=True))
    b = set(lexical.analyzer("förbud mot tiggeri", query=True))
    assert {"tiggeri", "forbud"} <= a & b  # the compound yields the phrase's terms
    hits = any_index.search("tiggeriförbud", k=5, mode="bm25").hits
    assert any("förbud mot tiggeri" in h.chunk.norm for h in hits)


def test_filters(any_index):
    q = "omröstning ja-röster nej-röster"
    by_organ = any_index.search(q, k=10, filters=rag.Filters(organ="Nämnden för Teknik")).hits
    assert by_organ and all(h.chunk.organ == "Nämnden för Teknik" for h in by_organ)
    assert all(h.chunk.organ == "Kommunstyrelsen" for h in any_index.search(q, k=10, filters=rag.Filters(organ="ks")).hits)
    dated = any_index.search(q, k=10, filters=rag.Filters(date_from="2025-10-01", date_to="2025-12-31")).hits
    assert dated and all("2025-10-01" <= h.chunk.date <= "2025-12-31" for h in dated)
    by_doc = any_index.search(q, k=10, filters=rag.Filters(doc="malmo/")).hits
    assert by_doc and all(h.chunk.doc.startswith("malmo/") for h in by_doc)
    by_para = any_index.search(q, k=10, filters=rag.Filters(paragraf="§ 211")).hits
    assert by_para and all(h.chunk.paragraf == "211" for h in by_para)
    assert any_index.search(q, filters=rag.Filters(organ="Finns inte")).hits == []


def test_search_cli_json(any_index):
    env = index_env(any_index)
    out = subprocess.run([sys.executable, "-m", "rag", "search", "--json", "-k", "3",
                          "Vem instämde i Sverigedemokraternas särskilda yttrande?"],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    data = json.loads(out.stdout)
    first = data["passages"][0]
    assert {"doc", "locator", "text", "score", "organ", "date", "paragraf", "section", "bilaga", "page_start"} <= set(first)
    assert "Bilaga 13" in first["locator"] and len(data["passages"]) == 3
    assert first["doc"] == "malmo/ks-2026-01-07-p16-aterrapportering-kraftsamlande-insatser.txt"
    assert (CORPUS / first["doc"]).read_text(encoding="utf-8")[first["start"]:first["end"]] == first["text"]
