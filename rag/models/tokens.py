"""Token ids for the OpenVINO embedder, as the model's fast tokenizer makes them, read from its tokenizer.json by
the `tokenizers` library (transformers' AutoTokenizer gives the same ids but takes seconds to import).

A multilingual Unigram tokenizer (e5's: 250,000 pieces of every script) takes about 290 MB in memory. The
pieces written only in the documents' scripts (LATIN) are about two in five of them, and a text of those
characters only can be cut into no other piece: the tokenizer of those pieces alone gives the same ids at a
third of the memory. A text holding any other character, or an added token it left out ('<mask>'), is
tokenized by the whole tokenizer, loaded then."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

# Latin with its accents and combining marks, punctuation, symbols, arrows and the private-use glyphs PDF
# bullets come as; Unigram's word-start mark '▁' (U+2581) falls among the symbols
LATIN = ((0x0000, 0x036F), (0x1E00, 0x1EFF), (0x2000, 0x2BFF), (0xE000, 0xF8FF))
_LATIN_CHARS = frozenset(chr(c) for lo, hi in LATIN for c in range(lo, hi + 1))
LATIN_VERSION = 1  # of the kept tokenizer's file: a change of LATIN or of its making is a new one


class Tokens:
    """The ids of texts as the model's tokenizer.json makes them, truncated at the model's length; `pad`, the id
    padding takes."""

    def __init__(self, folder: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self._folder, self._max_length = folder, max_length
        self._whole = None
        self._lock = threading.Lock()
        latin = _latin(folder)
        if latin is None:
            self._tokenizer, self._ids, self._left_out = self.whole(), None, ()
        else:
            path, ids, left_out = latin
            self._tokenizer, self._ids, self._left_out = self._truncating(Tokenizer.from_file(str(path))), ids, left_out
        special = json.loads((folder / "special_tokens_map.json").read_text(encoding="utf-8")) \
            if (folder / "special_tokens_map.json").exists() else {}
        pad = special.get("pad_token")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        self.pad = self._id(self._tokenizer.token_to_id(pad)) if pad else 0

    def _id(self, place: int | None) -> int:
        """The whole tokenizer's id of a piece of the one in use (0 for none)."""
        if place is None:
            return 0
        return int(self._ids[place]) if self._ids is not None else place

    def ids(self, texts: list[str]) -> list[list[int]]:
        if not texts:
            return []
        if self._ids is None:
            return [e.ids for e in self._tokenizer.encode_batch(texts)]
        kept = [i for i, t in enumerate(texts) if self.latin(t)]
        out: list[list[int]] = [[] for _ in texts]
        for i, e in zip(kept, self._tokenizer.encode_batch([texts[i] for i in kept])):
            out[i] = self._ids[e.ids].tolist()
        rest = sorted(set(range(len(texts))) - set(kept))
        for i, e in zip(rest, self.whole().encode_batch([texts[i] for i in rest]) if rest else []):
            out[i] = e.ids
        return out

    def latin(self, text: str) -> bool:
        """Whether the kept tokenizer cuts the text as the whole one does: every character of its normalized
        form is LATIN, and it holds no added token the kept one left out."""
        normalizer = self._tokenizer.normalizer
        normalized = normalizer.normalize_str(text) if normalizer else text
        return _LATIN_CHARS.issuperset(normalized) and not any(t in text for t in self._left_out)

    def whole(self):
        """The whole tokenizer, loaded on the first text the kept one cannot cut."""
        from tokenizers import Tokenizer

        with self._lock:
            if self._whole is None:
                self._whole = self._truncating(Tokenizer.from_file(str(self._folder / "tokenizer.json")))
            return self._whole

    def _truncating(self, tokenizer):
        tokenizer.enable_truncation(self._max_length)
        return tokenizer


def _latin(folder: Path) -> tuple[Path, np.ndarray, tuple[str, ...]] | None:
    """The kept tokenizer's file, its pieces' ids in the whole one and the added tokens it left out, made once
    next to the OpenVINO export (openvino/); None for a tokenizer that is not Unigram."""
    out = folder / "openvino" / f"tokenizer.latin{LATIN_VERSION}.json"
    places = out.with_suffix(".ids.json")
    source = folder / "tokenizer.json"
    if not out.exists() or out.stat().st_mtime < source.stat().st_mtime:
        spec = json.loads(source.read_text(encoding="utf-8"))
        if (spec.get("model") or {}).get("type") != "Unigram" or spec["model"].get("byte_fallback"):
            return None
        _write_latin(spec, out, places)
    kept = json.loads(places.read_text(encoding="utf-8"))
    return out, np.asarray(kept["ids"], dtype=np.int64), tuple(kept["left_out"])


def _write_latin(spec: dict, out: Path, places: Path) -> None:
    """Keeps the pieces of LATIN characters only, the special ones, and the lowest-scoring piece (Unigram
    scores an unknown character below the lowest piece); every id the tokenizer writes is one of the kept
    pieces' places. Written atomically, the whole tokenizer's ids of those places first."""
    model = spec["model"]
    vocab = model["vocab"]
    specials = {a["id"] for a in spec.get("added_tokens", [])} | {model.get("unk_id")}
    lowest = min(range(len(vocab)), key=lambda i: vocab[i][1])
    keep = [i for i, (piece, _) in enumerate(vocab) if i in specials or i == lowest or _LATIN_CHARS.issuperset(piece)]
    place = {old: new for new, old in enumerate(keep)}
    model["vocab"] = [vocab[i] for i in keep]
    if model.get("unk_id") is not None:
        model["unk_id"] = place[model["unk_id"]]
    left_out = [a["content"] for a in spec.get("added_tokens", []) if a["id"] not in place]
    spec["added_tokens"] = [{**a, "id": place[a["id"]]} for a in spec.get("added_tokens", []) if a["id"] in place]
    for special in ((spec.get("post_processor") or {}).get("special_tokens") or {}).values():
        special["ids"] = [place[i] for i in special["ids"]]
    out.parent.mkdir(parents=True, exist_ok=True)
    for path, data in ((places, {"ids": keep, "left_out": left_out}), (out, spec)):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
