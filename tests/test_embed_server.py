"""Embeddings from an OpenAI-compatible /v1/embeddings server: llama.cpp's own server on loopback, serving
the test model, against the same model run in process; an index built through it, and refused by another."""
import shutil

import numpy as np
import pytest

import rag
from helpers import llama_server
from rag.models.embed import ServerEmbedder
from rag.store import IndexError_
from rag.models.catalog import resolve

from conftest import CORPUS, KS16

TEXTS = ["Kommunstyrelsen beslutade att godkänna återrapporteringen.", "Barn- och utbildningsnämnden",
         "Ärendet återremitteras till nämnden.", "Reservation från Sverigedemokraterna (SD)."]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with llama_server(resolve("smollm2-135m"), tmp_path_factory.mktemp("embed-server"), "--embedding", "true",
                      "--model_alias", "smollm2") as url:
        yield url


def test_server_vectors_are_the_models_own_in_order(server):
    import llama_cpp

    model = llama_cpp.Llama(str(resolve("smollm2-135m")), embedding=True, verbose=False)
    want = np.array([np.mean(model.embed(t), axis=0) for t in TEXTS])
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    served = ServerEmbedder("smollm2", server)
    got = served.passages(TEXTS, batch_size=3)
    assert got.shape == (len(TEXTS), served.dim) == (len(TEXTS), model.n_embd())
    assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    assert (got * want).sum(axis=1).min() > 0.999  # each text its own vector, in the order asked
    assert served.fingerprint == f"openai:smollm2:{model.n_embd()}"


def test_server_down_is_a_clear_error():
    from helpers import free_port

    with pytest.raises(RuntimeError, match="inbäddningsservern .* svarar inte"):
        ServerEmbedder("smollm2", f"http://127.0.0.1:{free_port()}/v1")


def test_index_built_through_the_server_refuses_another_model(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PARAGRAF_EMBED_BASE_URL", server)
    root = tmp_path / "corpus"
    (root / KS16).parent.mkdir(parents=True)
    shutil.copy(CORPUS / KS16, root / KS16)
    built = rag.ingest([root], index_dir=tmp_path / "index", embed_model="openai:smollm2")
    assert built.added == [KS16] and built.embedded == built.chunks > 0
    retriever = rag.open_index(tmp_path / "index", embed_model="openai:smollm2")
    assert retriever.store.manifest["embedding_model"] == "openai:smollm2"
    assert retriever.store.manifest["embedding_fingerprint"].startswith("openai:smollm2:")
    hits = retriever.search("Vem instämde i Sverigedemokraternas särskilda yttrande?", k=5).hits
    assert hits and all(h.chunk.doc == KS16 for h in hits)
    with pytest.raises(IndexError_, match="openai:smollm2"):
        rag.open_index(tmp_path / "index", embed_model="e5-small")
