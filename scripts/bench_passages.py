"""Real-passage vectors for scripts/bench_postgres.py: passages cut from the bundled corpus's chunks (as
the product chunks it) and embedded by the product's embedder, so that the index is measured on points
spread like real text, not only on Gaussian draws (which are harder for HNSW than real embeddings).

A passage is the context line of a chunk (organ, date, §: as the product embeds chunks) and a window of
1-3 consecutive sentences of it, half of them followed by 1-2 sentences of another chunk: enough distinct
passages for 100k from the corpus's ~2,000 chunks. Held-out passages, never inserted, are queries."""
from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "paragraf-bench-passages"  # passage vectors, kept between runs
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])")


def sentences(chunk) -> list[str]:
    """Its sentences of 20-200 characters (table rows and run-on lines left out: short passages embed fast)."""
    return [s for s in _SENTENCE.split(" ".join(chunk.norm.split())) if 20 < len(s) <= 200 and "|" not in s]


def _window(rng, sents: list[str], longest: int) -> str:
    size = int(rng.integers(1, min(longest, len(sents)) + 1))
    start = int(rng.integers(0, len(sents) - size + 1))
    return " ".join(sents[start:start + size])


def make_passages(chunks, n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """`n` distinct passages and, for each, the id of the chunk it starts in (its records and locator in
    the benchmark's rows)."""
    rng = np.random.default_rng(seed)
    usable = [(c, s) for c in sorted(chunks, key=lambda c: c.id) if (s := sentences(c))]
    seen: set[str] = set()
    texts, sources = [], []
    while len(texts) < n:
        chunk, sents = usable[int(rng.integers(len(usable)))]
        text = f"{chunk.context}\n{_window(rng, sents, 3)}"
        if rng.random() < 0.5:
            text += " " + _window(rng, usable[int(rng.integers(len(usable)))][1], 2)
        if text not in seen:
            seen.add(text)
            texts.append(text)
            sources.append(chunk.id)
    return texts, sources


def questions(every: int = 1) -> list[str]:
    """The eval sets' questions (every `every`-th), real queries for recall."""
    out = []
    for path in sorted((ROOT / "eval" / "sets").glob("*.jsonl")):
        out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out[::every]


def embed(embedder, texts: list[str], cache_dir: Path | None = None, batch_size: int = 32,
          piece: int = 1000) -> np.ndarray:
    """Passage vectors, embedded a piece at a time and each piece kept in `cache_dir` under its texts' hash:
    a second run, or a larger one (make_passages's first n are the same for any larger n), embeds only
    what is new."""
    import hashlib

    out, t, done = [], time.perf_counter(), 0
    for i in range(0, len(texts), piece):
        part = texts[i:i + piece]
        key = hashlib.sha1("\n\0".join(part).encode()).hexdigest()[:16]
        cache = cache_dir / f"passages-{key}.npy" if cache_dir else None
        if cache and cache.exists():
            out.append(np.load(cache))
            continue
        out.append(embedder.passages(part, batch_size=batch_size).astype(np.float32))
        done += len(part)
        if cache:
            np.save(cache, out[-1])
    if done:
        seconds = time.perf_counter() - t
        print(f"embedded {done:,} passages in {seconds:.0f} s ({done / seconds:.0f}/s)", flush=True)
    return np.concatenate(out)


def joined(vectors: np.ndarray, texts: list[str], n: int, seed: int = 0) -> np.ndarray:
    """`n` vectors of passages made by joining two of `texts`: the two passages' vectors weighted by their
    lengths in words, normalised (e5 mean-pools its tokens, so the joined text's vector is near that mean).
    Far cheaper than embedding a million passages (two cores embed 30-70 a
    second); `fidelity` says how near."""
    rng = np.random.default_rng(seed)
    words = np.array([len(t.split()) for t in texts], dtype=np.float32)
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    first = rng.integers(len(texts), size=n)
    for start in range(0, n, 50_000):
        a = first[start:start + 50_000]
        b = rng.integers(len(texts), size=len(a))
        part = words[a, None] * vectors[a] + words[b, None] * vectors[b]
        out[start:start + len(a)] = part / np.linalg.norm(part, axis=1, keepdims=True)
    return out


def fidelity(embedder, texts: list[str], vectors: np.ndarray, pairs: int = 150, seed: int = 1) -> str:
    """How near `joined`'s vectors are to the embedder's own for the joined texts (cosine, mean and 5th
    percentile), beside how near a passage is to the nearest other passage: the scale the error is read on."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(len(texts), size=pairs), rng.integers(len(texts), size=pairs)
    true = embedder.passages([f"{texts[i]} {texts[j]}" for i, j in zip(a, b)]).astype(np.float32)
    words = np.array([len(t.split()) for t in texts], dtype=np.float32)
    made = words[a, None] * vectors[a] + words[b, None] * vectors[b]
    cos = (made / np.linalg.norm(made, axis=1, keepdims=True) * true).sum(axis=1)
    sample = vectors[rng.choice(len(vectors), size=min(2_000, len(vectors)), replace=False)]
    sims = sample @ sample.T
    np.fill_diagonal(sims, -1.0)
    return (f"joined passages' vectors against the embedder's own for the joined text ({pairs} pairs): cosine "
            f"mean {cos.mean():.3f}, 5th percentile {np.percentile(cos, 5):.3f}; a passage to its nearest other "
            f"passage: median {np.median(sims.max(axis=1)):.3f}")
