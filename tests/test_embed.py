"""The fast embedding runtime: e5-small converted to OpenVINO, against the torch model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import rag
from rag.models.embed import MIN_COSINE, OpenVinoEmbedder, load_embedder

from conftest import CORPUS, KS16


@pytest.fixture(scope="module")
def runtimes():
    return load_embedder("e5-small", "torch"), load_embedder("e5-small", "openvino")


def _passages() -> list[str]:
    text = (CORPUS / KS16).read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if len(p.strip()) > 60][:40]


def test_openvino_agrees_with_torch_on_real_passages(runtimes):
    torch_model, fast = runtimes
    assert isinstance(fast, OpenVinoEmbedder) and fast.dim == torch_model.dim == 384
    stamp = json.loads((fast.model_path.parent / "VERIFIED.json").read_text())
    assert stamp["min_cosine"] >= MIN_COSINE  # checked when it was converted
    passages = _passages()
    a, b = torch_model.passages(passages), fast.passages(passages)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    assert float((a * b).sum(axis=1).min()) >= MIN_COSINE
    q = "Vem instämde i Sverigedemokraternas särskilda yttrande?"
    assert float(torch_model.query(q) @ fast.query(q)) >= MIN_COSINE
    assert np.array_equal(np.argsort(-(a @ torch_model.query(q)))[:5], np.argsort(-(b @ fast.query(q)))[:5])


def test_openvino_reads_the_tokens_transformers_would(runtimes):
    """The fast runtime tokenizes with the `tokenizers` library (no transformers import when an app
    starts): the ids are transformers' own, truncation at the model's length and the padding id included."""
    from transformers import AutoTokenizer

    _, fast = runtimes
    reference = AutoTokenizer.from_pretrained(fast.name)
    texts = ["query: Vem instämde i Sverigedemokraternas särskilda yttrande?", "passage: " + " ".join(_passages()), ""]
    texts += _passages()
    assert fast.tokenizer.ids(texts) == reference(texts, truncation=True, max_length=fast.max_length)["input_ids"]
    assert max(map(len, fast.tokenizer.ids(texts))) == fast.max_length  # the long one was cut
    assert fast.tokenizer.pad == reference.pad_token_id


def test_the_tokenizer_kept_in_memory_cuts_every_text_as_the_whole_one(runtimes):
    """The OpenVINO embedder keeps the pieces of Latin script only (rag/models/tokens.py): on every paragraph of
    the bundled corpus and on texts of other scripts, emoji, combining marks and added tokens it gives the
    whole tokenizer's ids, and loads the whole one only for a text it cannot cut."""
    from tokenizers import Tokenizer

    from rag.models.tokens import LATIN_VERSION, Tokens

    _, fast = runtimes
    folder = Path(fast.name)
    whole = Tokenizer.from_file(str(folder / "tokenizer.json"))
    whole.enable_truncation(fast.max_length)
    tokens = Tokens(folder, fast.max_length)
    texts = [p.strip() for f in sorted(CORPUS.rglob("*")) if f.suffix in {".txt", ".md", ".html"}
             for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert len(texts) > 3000
    latin = [t for t in texts if tokens.latin(t)]
    assert len(latin) > 0.98 * len(texts)
    assert tokens.ids(latin) == [e.ids for e in whole.encode_batch(latin)]
    assert tokens._whole is None  # Swedish documents never needed it
    other = ["query: Что решил совет?", "会议记录 § 12", "Beslut 👍 fattades", "Malmö\u0301 stad", "a <mask> b",
             "\uf0b7 punkt ett", "Ärende −12 → 14 ≤ 20 € ½", "Ordförande: Ἀθηνᾶ", "ﬁnansiering", ""]
    assert tokens.ids(other + latin[:5]) == [e.ids for e in whole.encode_batch(other + latin[:5])]
    assert tokens._whole is not None
    kept = json.loads((folder / "openvino" / f"tokenizer.latin{LATIN_VERSION}.json").read_text(encoding="utf-8"))
    assert len(kept["model"]["vocab"]) < 0.5 * len(json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"])


def test_a_text_gets_its_vector_whatever_its_batch_mates(runtimes):
    """Batched by length with padding masked out: the longest and the shortest passage in one batch
    get the vectors they get alone."""
    _, fast = runtimes
    passages = sorted(_passages(), key=len)
    together = fast.passages([passages[0], passages[-1]], batch_size=2)
    alone = np.stack([fast.passages([passages[0]])[0], fast.passages([passages[-1]])[0]])
    assert float((together * alone).sum(axis=1).min()) >= MIN_COSINE


def test_an_index_of_one_runtime_is_served_by_the_other(tmp_path, monkeypatch):
    root = tmp_path / "corpus"
    (root / KS16).parent.mkdir(parents=True)
    (root / KS16).write_bytes((CORPUS / KS16).read_bytes())
    monkeypatch.setenv("PARAGRAF_EMBED_RUNTIME", "openvino")
    rag.ingest([root], index_dir=tmp_path / "index", root=root)
    q = "Vem lämnade ett särskilt yttrande?"
    fast = [h.chunk.id for h in rag.open_index(tmp_path / "index").search(q, k=5).hits]
    monkeypatch.setenv("PARAGRAF_EMBED_RUNTIME", "torch")
    assert [h.chunk.id for h in rag.open_index(tmp_path / "index").search(q, k=5).hits] == fast
    monkeypatch.setenv("PARAGRAF_EMBED_RUNTIME", "cuda")
    with pytest.raises(ValueError, match="PARAGRAF_EMBED_RUNTIME: 'cuda'"):
        load_embedder("e5-small")
