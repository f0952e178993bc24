"""Shared fixtures: the bundled corpus, the real word list and models, one index built once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

import rag
from rag.lexicon import default_lexicon
from rag.normalize import OcrRepair
from rag.read import read_file
from rag.structure import parse

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
KS16 = "malmo/ks-2026-01-07-p16-aterrapportering-kraftsamlande-insatser.txt"
KSAU141 = "malmo/ksau-2025-03-24-p141-kraftsamlande-insatser-remiss.md"
KF8 = "malmo/kf-2026-01-22-p8-aterrapportering-kraftsamlande-insatser-ocr.txt"
KS_2025 = "kungsbacka/ks/2025/2025-10-21/protokoll.md"
HANDLINGAR = "kungsbacka/ks/2025/2025-10-21/handlingar.EXCERPT-sida-215-244.md"
KALLELSE = "kungsbacka/ks/2025/2025-10-21/kallelse.md"
KS_2026 = "kungsbacka/ks/2026/2026-08-25/protokoll-kommunstyrelsen-protokoll-2026-08-25-179-180.md"
FG = "kungsbacka/fg/2025/2025-03-19/protokoll-forskola-grundskola-namnd-protokoll-29-2025-03-19.md"


@pytest.fixture(scope="session")
def repair() -> OcrRepair:
    return OcrRepair(default_lexicon())


@pytest.fixture(scope="session")
def parsed(repair):
    cache: dict = {}

    def get(doc_id: str):
        if doc_id not in cache:
            src = read_file(CORPUS / doc_id, CORPUS, 50_000_000)
            cache[doc_id] = (parse(src, repair), src)
        return cache[doc_id]

    return get


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> rag.Retriever:
    folder = tmp_path_factory.mktemp("index")
    report = rag.ingest([CORPUS], index_dir=folder)
    assert not report.errors, report.errors
    return rag.open_index(folder)
