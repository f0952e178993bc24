"""Embedding adapters: any sentence-transformers folder or hub id, with query/passage prompts when it has
them, run by torch or (the same folder, converted once) by OpenVINO; or any
OpenAI-compatible /v1/embeddings server ('openai:<model>'), for an archive-scale ingest on a GPU server."""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from ..config import settings
from .catalog import registry, resolve
from .tokens import Tokens

RUNTIMES = ("openvino", "torch")
EXPORTS = {"openvino", "onnx"}  # folders a runtime writes into the model folder: not part of its weights
EXPORT_VERSION = 2  # what VERIFIED.json must name for an export to be reused
MIN_COSINE = 0.9999  # the OpenVINO model must agree this well with torch on every probe sentence
# Swedish sentences of the genre, to check an exported model against the torch one
PROBES = [
    "passage: Kommunstyrelsen beslutar att godkänna återrapporteringen av kraftsamlande insatser.",
    "passage: Anna Carlsson (S) och Markus Redman (S) reserverar sig mot beslutet till förmån för eget yrkande.",
    "passage: Omröstningen utföll med 8 ja-röster mot 7 nej-röster; ordföranden förklarade ja vunnit.",
    "passage: Riksdagen avslår motion 2013/14:Fö201 av Lars-Axel Nordell (KD). Reservation 3 (S, MP)",
    "passage: Anslaget för 2019 föreslås uppgå till 18 486 483 000 kronor enligt bilaga 4.",
    "query: Vem instämde i Sverigedemokraternas särskilda yttrande?",
    "query: Hur mycket kostar ett busskort för ungdomar?",
    "passage: Justerare: Johan Tolinsson (S). Paragrafer 1–15. Sekreterare Linda Byman.",
]


class EmbeddingModel(Protocol):
    """What the index and retrieval need of a model, local or served."""

    name: str
    dim: int

    @property
    def fingerprint(self) -> str: ...

    def passages(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


def resolve_model_name(name: str) -> str:
    """A registry key ('e5-small') becomes its cache folder; a path or hub id passes through."""

    if name in registry():
        return str(resolve(name, fetch_missing=True))
    return name


class Embedder:
    def __init__(self, name: str, device: str = "cpu") -> None:
        if Path(name).exists():  # a local folder must never trigger a hub look-up
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.model = SentenceTransformer(name, device=device)
        self.dim = int(self.model.get_embedding_dimension())
        self.prompts = dict(getattr(self.model, "prompts", {}) or {})

    @property
    def fingerprint(self) -> str:
        """Changes when the weights change: hash of the folder's config and weight file sizes, or the hub id."""
        folder = Path(self.name)
        if not folder.is_dir():
            return self.name
        h = hashlib.sha256()
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".txt"} and p.relative_to(folder).parts[0] not in EXPORTS:
                h.update(p.relative_to(folder).as_posix().encode())
                h.update(str(p.stat().st_size).encode())
                if p.suffix == ".json":
                    h.update(p.read_bytes())
        return h.hexdigest()[:16]

    def _encode(self, texts: list[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        kwargs = {"prompt_name": prompt} if prompt in self.prompts else {}
        vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=progress, **kwargs)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def passages(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", batch_size, progress)

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query", 1, False)[0]


class OpenVinoEmbedder(Embedder):
    """The folder's transformer compiled by OpenVINO (bf16 where the CPU has it, else f32), texts batched
    by length so little is padding: 4-6x torch's chunks per second on two cores. Its vectors equal torch's
    within float noise (cosine >= MIN_COSINE, checked at export), so it keeps the folder's fingerprint: an
    index built by either runtime is served by both."""

    def __init__(self, name: str) -> None:
        import threading

        import openvino as ov

        folder = Path(name)
        self.name = name
        self.model_path, precision = export_openvino(folder)
        config = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        self.prompts = dict(config.get("prompts") or {})
        self.max_length = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
        self.tokenizer = Tokens(folder, self.max_length)
        self.dim = int(json.loads((folder / "config.json").read_text())["hidden_size"])
        self._request = _compile(ov.Core(), self.model_path, precision).create_infer_request()
        self._lock = threading.Lock()  # one infer request, and the app asks from several threads

    def _encode(self, texts: list[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        prefix = self.prompts.get(prompt, "")
        with self._lock:
            return _mean_vectors(self._request, self.tokenizer, [prefix + t for t in texts], self.dim, batch_size,
                                 progress)


def _compile(core, model: Path, precision: str):
    config = {"PERFORMANCE_HINT": "LATENCY"}
    if precision != "default":
        config["INFERENCE_PRECISION_HINT"] = precision
    return core.compile_model(str(model), "CPU", config)


def _mean_vectors(request, tokens: Tokens, texts: list[str], dim: int, batch_size: int = 32,
                  progress: bool = False) -> np.ndarray:
    """Normalised mean token vectors, padding masked out; texts of like length share a batch."""
    from tqdm import tqdm

    out = np.zeros((len(texts), dim), dtype=np.float32)
    ids = tokens.ids(texts)
    order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
    pad = tokens.pad
    for start in tqdm(range(0, len(order), batch_size), disable=not progress, unit="sats"):
        batch = order[start:start + batch_size]
        width = max(len(ids[i]) for i in batch)
        input_ids = np.full((len(batch), width), pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, i in enumerate(batch):
            input_ids[row, :len(ids[i])], mask[row, :len(ids[i])] = ids[i], 1
        hidden = request.infer({"input_ids": input_ids, "attention_mask": mask})[0]
        vecs = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        out[batch] = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    return out


def export_openvino(folder: Path) -> tuple[Path, str]:
    """`folder/openvino/model.xml` and the precision to run it at, converted once and kept only if it
    agrees with the torch model on PROBES (cosine >= MIN_COSINE; bf16 first, else f32); written
    atomically, with the agreement in VERIFIED.json."""
    out = folder / "openvino" / "model.xml"
    stamp = out.with_name("VERIFIED.json")
    if out.exists() and stamp.exists():
        verified = json.loads(stamp.read_text(encoding="utf-8"))
        if verified.get("export") == EXPORT_VERSION:
            return out, verified["precision"]
    _check_pooling(folder)
    import tempfile

    import openvino as ov
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    out.parent.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = dict(tokenizer(PROBES[:2], padding=True, return_tensors="pt"))
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        xml = Path(tmp) / out.name
        with torch.no_grad():
            ov.save_model(ov.convert_model(Hidden(), example_input=sample), str(xml), compress_to_fp16=False)
        want = SentenceTransformer(str(folder), device="cpu").encode(PROBES, normalize_embeddings=True)
        for precision in ("default", "f32"):  # bf16 where the CPU has it, unless it agrees too little
            cosine = _agreement(want, folder, xml, precision)
            if cosine >= MIN_COSINE:
                break
        else:
            raise RuntimeError(f"{folder}: OpenVINO-modellen avviker från originalet "
                               f"(cosinus {cosine:.5f} < {MIN_COSINE})")
        os.replace(xml.with_suffix(".bin"), out.with_suffix(".bin"))
        os.replace(xml, out)
    tmp_stamp = stamp.with_suffix(".tmp")
    tmp_stamp.write_text(json.dumps({"min_cosine": round(cosine, 6), "precision": precision,
                                     "probes": len(PROBES), "export": EXPORT_VERSION}), encoding="utf-8")
    os.replace(tmp_stamp, stamp)
    return out, precision


def _check_pooling(folder: Path) -> None:
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8")) \
        if (folder / "1_Pooling" / "config.json").exists() else {}
    if not pooling.get("pooling_mode_mean_tokens") or not any(m["type"].endswith("Normalize") for m in modules):
        raise RuntimeError(f"{folder}: OpenVINO-körning stöds bara för modeller med medelvärdespoolning "
                           "och normalisering (PARAGRAF_EMBED_RUNTIME=torch)")


def _agreement(want: np.ndarray, folder: Path, model: Path, precision: str) -> float:
    """The lowest cosine between torch's vectors of PROBES (`want`) and the OpenVINO model's, in one batch."""
    import openvino as ov

    request = _compile(ov.Core(), model, precision).create_infer_request()
    max_length = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    got = _mean_vectors(request, Tokens(folder, max_length), PROBES, want.shape[1])
    return float((want * got).sum(axis=1).min())


class ServerEmbedder:
    """An OpenAI-compatible `/v1/embeddings` endpoint (llama.cpp's server, vLLM, Text Embeddings Inference).
    The server knows nothing of e5's 'query: '/'passage: ' prompts, so they are added here (see `prefixes`).
    The fingerprint is the model the server says it ran and the vectors' size: an index built by another
    model, local or served, is refused."""

    def __init__(self, model: str, base_url: str, api_key: str = "not-needed",
                 prefixes: dict[str, str] | None = None) -> None:
        from openai import OpenAI

        self.model, self.base_url = model, base_url.rstrip("/")
        self.name = f"openai:{model} @ {self.base_url}"
        self.prompts = prefixes if prefixes is not None else default_prefixes(model)
        self._client = OpenAI(base_url=self.base_url, api_key=api_key, max_retries=3, timeout=120)
        self._per_token = False
        probe = self._call(["passage: test", "query: test"])
        self.dim = int(probe.shape[1])

    @property
    def fingerprint(self) -> str:
        return f"openai:{self._served_model}:{self.dim}"

    def _call(self, texts: list[str]) -> np.ndarray:
        from openai import APIConnectionError, APIStatusError

        try:
            response = self._client.embeddings.create(model=self.model, input=texts, encoding_format="float")
        except APIConnectionError as exc:
            raise RuntimeError(f"inbäddningsservern {self.base_url} svarar inte ({exc.__class__.__name__})") from exc
        except APIStatusError as exc:
            raise RuntimeError(f"inbäddningsservern {self.base_url} svarade {exc.status_code}: "
                               f"{str(exc.message)[:160]}") from exc
        self._served_model = response.model or self.model
        rows = sorted(response.data, key=lambda d: d.index)
        if len(rows) != len(texts):
            raise RuntimeError(f"inbäddningsservern {self.base_url} gav {len(rows)} vektorer för {len(texts)} texter")
        self._per_token = self._per_token or any(r.embedding and isinstance(r.embedding[0], list) for r in rows)
        vecs = np.asarray([np.mean(r.embedding, axis=0) if self._per_token else r.embedding for r in rows],
                          dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return np.ascontiguousarray(vecs / np.where(norms == 0, 1, norms))

    def _encode(self, texts: list[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        from tqdm import tqdm

        prefix = self.prompts.get(prompt, "")
        if self._per_token:  # llama-cpp-python pools nothing and mixes up a batch's tokens: one text a call
            batch_size = 1
        parts = [self._call([prefix + t for t in texts[i:i + batch_size]])
                 for i in tqdm(range(0, len(texts), batch_size), disable=not progress, unit="sats")]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    def passages(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", batch_size, progress)

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query", 1, False)[0]


def default_prefixes(model: str) -> dict[str, str]:
    """PARAGRAF_EMBED_PREFIXES ('query: |passage: '), else e5's own prompts for a model named e5, else none."""
    value = os.environ.get("PARAGRAF_EMBED_PREFIXES")
    if value is not None:
        query, _, passage = value.partition("|")
        return {"query": query, "passage": passage}
    return {"query": "query: ", "passage": "passage: "} if "e5" in model.lower() else {}


def embed_runtime() -> str:

    runtime = settings().embed_runtime
    if runtime not in RUNTIMES:
        raise ValueError(f"PARAGRAF_EMBED_RUNTIME: '{runtime}' är ingen körning; välj {' eller '.join(RUNTIMES)}")
    return runtime


def load_embedder(name: str, runtime: str | None = None) -> EmbeddingModel:
    """The model by name, in the runtime asked for or PARAGRAF_EMBED_RUNTIME's; 'openai:<model>' is served
    at PARAGRAF_EMBED_BASE_URL (else PARAGRAF_OPENAI_BASE_URL) with PARAGRAF_EMBED_API_KEY."""
    if name.startswith("openai:"):
        return _served(name.removeprefix("openai:"), server_url(), os.environ.get(
            "PARAGRAF_EMBED_API_KEY", os.environ.get("PARAGRAF_OPENAI_API_KEY", "not-needed")))
    return _load(name, runtime or embed_runtime())


def server_url() -> str:
    return os.environ.get("PARAGRAF_EMBED_BASE_URL") or os.environ.get(
        "PARAGRAF_OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")


@lru_cache(maxsize=4)
def _served(model: str, base_url: str, api_key: str) -> ServerEmbedder:
    return ServerEmbedder(model, base_url, api_key)


@lru_cache(maxsize=4)
def _load(name: str, runtime: str) -> Embedder:
    """One model per process, name and runtime: loading is the slow part. OpenVINO needs a local folder
    (a hub id runs on torch)."""
    path = resolve_model_name(name)
    if runtime == "openvino" and Path(path).is_dir():
        return OpenVinoEmbedder(path)
    return Embedder(path)
