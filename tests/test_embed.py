"""The fast embedding runtime: e5-small exported to ONNX with int8 weights, against the torch model."""
from __future__ import annotations

import json

import numpy as np
import pytest

import rag
from rag.embed import MIN_COSINE, OnnxEmbedder, load_embedder

from conftest import CORPUS, KS16


@pytest.fixture(scope="module")
def runtimes():
    return load_embedder("e5-small", "torch"), load_embedder("e5-small", "onnx-int8")


def test_int8_agrees_with_torch_on_real_passages(runtimes):
    torch_model, fast = runtimes
    assert isinstance(fast, OnnxEmbedder) and fast.dim == torch_model.dim == 384
    stamp = json.loads((fast.model_path.parent / "VERIFIED.json").read_text())
    assert stamp["min_cosine"] >= MIN_COSINE  # checked when it was exported
    text = (CORPUS / KS16).read_text(encoding="utf-8")
    passages = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 60][:40]
    a, b = torch_model.passages(passages), fast.passages(passages)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    assert float((a * b).sum(axis=1).min()) >= MIN_COSINE
    q = "Vem instämde i Sverigedemokraternas särskilda yttrande?"
    assert float(torch_model.query(q) @ fast.query(q)) >= MIN_COSINE
    # the nearest passage to the question is the same under both
    assert int(np.argmax(a @ torch_model.query(q))) == int(np.argmax(b @ fast.query(q)))


def test_an_index_of_one_runtime_is_refused_by_the_other(tmp_path, monkeypatch):
    root = tmp_path / "corpus"
    (root / KS16).parent.mkdir(parents=True)
    (root / KS16).write_bytes((CORPUS / KS16).read_bytes())
    monkeypatch.setenv("PARAGRAF_EMBED_RUNTIME", "onnx-int8")
    rag.ingest([root], index_dir=tmp_path / "index", root=root)
    assert rag.open_index(tmp_path / "index").search("särskilt yttrande", k=3).hits
    monkeypatch.setenv("PARAGRAF_EMBED_RUNTIME", "torch")
    with pytest.raises(rag.IndexError, match="Re-ingest"):
        rag.open_index(tmp_path / "index")
    monkeypatch.setenv("PARAGRAF_EMBED_RUNTIME", "cuda")
    with pytest.raises(ValueError, match="PARAGRAF_EMBED_RUNTIME: 'cuda'"):
        load_embedder("e5-small")
