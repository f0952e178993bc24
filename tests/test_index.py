"""Ingest: incremental work, bad input, atomic writes, manifest checks — on real files and the real model."""
import json
import shutil

import numpy as np
import pytest

import rag
from rag.store import folder, folder_write
from rag.store.lexical import LexicalIndex

from conftest import CORPUS, KS16, KSAU141


@pytest.fixture()
def small_corpus(tmp_path):
    root = tmp_path / "corpus"
    for doc in (KS16, KSAU141):
        (root / doc).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / doc, root / doc)
    return root


def _docs(folder):
    return sorted({c.doc for c in rag.open_index(folder).chunks})


def test_incremental_reingest(small_corpus, tmp_path):
    idx = tmp_path / "index"
    first = rag.ingest([small_corpus], index_dir=idx)
    assert sorted(first.added) == [KS16, KSAU141] and first.embedded == first.chunks > 0

    again = rag.ingest([small_corpus], index_dir=idx)
    assert again.embedded == 0 and sorted(again.unchanged) == [KS16, KSAU141] and again.chunks == first.chunks

    # a changed file replaces its chunks, nothing else is embedded again
    path = small_corpus / KSAU141
    path.write_text(path.read_text(encoding="utf-8").replace("13 juni 2025", "20 juni 2025"), encoding="utf-8")
    changed = rag.ingest([small_corpus], index_dir=idx)
    assert changed.updated == [KSAU141] and changed.unchanged == [KS16]
    ksau_chunks = [c for c in rag.open_index(idx).chunks if c.doc == KSAU141]
    assert changed.embedded == len(ksau_chunks)
    texts = " ".join(c.text for c in ksau_chunks)
    assert "20 juni 2025" in texts and "13 juni 2025" not in texts
    chunks = rag.open_index(idx).chunks
    assert len({c.id for c in chunks}) == len(chunks)  # never a duplicate

    # a removed file is dropped
    path.unlink()
    removed = rag.ingest([small_corpus], index_dir=idx)
    assert removed.removed == [KSAU141] and _docs(idx) == [KS16]


def test_bad_files_are_reported_and_the_rest_indexed(small_corpus, tmp_path):
    (small_corpus / "tom.txt").write_bytes(b"")
    (small_corpus / "trasig.pdf").write_bytes(b"%PDF-1.7 trasig")
    (small_corpus / "bild.txt").write_bytes(bytes(range(256)))
    report = rag.ingest([small_corpus], index_dir=tmp_path / "index")
    assert sorted(report.added) == [KS16, KSAU141]
    assert sorted(e.split(":")[0] for e in report.errors) == ["bild.txt", "tom.txt", "trasig.pdf"]


def test_nothing_readable_fails(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "tom.txt").write_bytes(b"")
    with pytest.raises(rag.IndexError, match="nothing could be read: tom.txt: file is empty"):
        rag.ingest([root], index_dir=tmp_path / "index")
    assert not folder.exists(tmp_path / "index")


def test_crash_mid_write_leaves_previous_index(small_corpus, tmp_path, monkeypatch):
    idx = tmp_path / "index"
    rag.ingest([small_corpus], index_dir=idx)
    before = [c.id for c in rag.open_index(idx).chunks]
    (small_corpus / KS16).write_text("§ 1 Ny text\n\nBeslut\nKommunstyrelsen beslutar något helt annat.\n", encoding="utf-8")

    def crash(self, folder):
        raise KeyboardInterrupt("killed while writing BM25")

    monkeypatch.setattr(LexicalIndex, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        rag.ingest([small_corpus], index_dir=idx)
    monkeypatch.undo()
    assert [c.id for c in rag.open_index(idx).chunks] == before
    assert not list(idx.glob("*.partial"))
    assert len(list(idx.glob("gen-*"))) == 1


def test_opening_with_another_model_or_chunker_says_reingest(small_corpus, tmp_path):
    idx = tmp_path / "index"
    rag.ingest([small_corpus], index_dir=idx)
    with pytest.raises(rag.IndexError, match=r"embedding model 'e5-small' \(configured: 'KBLab/x'\).*Re-ingest"):
        rag.open_index(idx, embed_model="KBLab/x")
    gen = folder._current_generation(idx)
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["chunker_version"] = "paragraf-chunker-0"
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(rag.IndexError, match=r"chunker paragraf-chunker-0 .*rag ingest --rebuild"):
        rag.open_index(idx)


def test_no_index_is_a_clear_error(tmp_path):
    with pytest.raises(rag.IndexError, match="no index in .*python -m rag ingest"):
        rag.open_index(tmp_path / "nowhere")


def test_an_interrupted_ingest_goes_on_where_it_stopped(small_corpus, tmp_path, monkeypatch):
    """Stopped in the middle of embedding: the slices done are kept, the next ingest embeds only the rest,
    and the index is the one an uninterrupted ingest builds."""
    from rag.models.embed import load_embedder

    monkeypatch.setattr(folder_write, "EMBED_SLICE", 8)
    embedder = load_embedder("e5-small")
    real = type(embedder).passages
    calls = []

    def stopping(self, texts, *args, **kwargs):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C during the third slice
        return real(self, texts, *args, **kwargs)

    monkeypatch.setattr(type(embedder), "passages", stopping)
    with pytest.raises(KeyboardInterrupt):
        rag.ingest([small_corpus], index_dir=tmp_path / "index", root=small_corpus)
    assert not (tmp_path / "index" / "CURRENT").exists()  # nothing half-built is served
    monkeypatch.setattr(type(embedder), "passages", real)
    report = rag.ingest([small_corpus], index_dir=tmp_path / "index", root=small_corpus)
    assert report.resumed == 16 and report.embedded == report.chunks > 16
    assert not (tmp_path / "index" / folder_write.PROGRESS_DIR).exists()
    fresh = rag.ingest([small_corpus], index_dir=tmp_path / "fresh", root=small_corpus)
    assert fresh.resumed == 0
    a, b = rag.open_index(tmp_path / "index"), rag.open_index(tmp_path / "fresh")
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks]
    assert np.allclose(a.store.vectors, b.store.vectors, atol=1e-5)
    assert "sidor" in report.lines()[1] and "beslutsfakta" in report.lines()[1]


def test_parallel_reading_gives_what_one_process_gives():
    """Worker processes read, parse and extract; the chunks, facts and summaries must not depend on them."""
    from rag.store.prepare import prepare_all
    from rag.reading.read import walk

    paths = sorted(walk([CORPUS], CORPUS))
    assert len(paths) >= 10
    serial = list(prepare_all(paths, CORPUS, 50_000_000, n_workers=1))
    parallel = list(prepare_all(paths, CORPUS, 50_000_000, n_workers=2))
    assert [p.doc_id for p in parallel] == [p.doc_id for p in serial]
    for a, b in zip(serial, parallel):
        assert (a.error, a.sha256, a.summary) == (b.error, b.sha256, b.summary)
        assert [c.__dict__ for c in a.chunks] == [c.__dict__ for c in b.chunks]
        assert [f.__dict__ for f in a.facts] == [f.__dict__ for f in b.facts]
    assert sum(len(p.chunks) for p in serial) > 500 and sum(len(p.facts) for p in serial) > 20


def test_chunk_ids_are_unique_in_every_bundled_document():
    """The Postgres index keys chunks by id; a long table cut into pieces of one span must not share one."""
    from rag.store.prepare import prepare_all
    from rag.reading.read import walk

    for got in prepare_all(sorted(walk([CORPUS], CORPUS)), CORPUS, 50_000_000, n_workers=1):
        ids = [c.id for c in got.chunks]
        assert len(ids) == len(set(ids)), got.doc_id
