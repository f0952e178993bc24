"""BM25 over normalised text: Swedish Snowball stems, compound parts, accent folding."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..genre import PARTY_NAMES, QUERY_SYNONYMS, STOPWORDS, party_name
from ..models import Lexicon
from ..normalize import fold

_TOKEN = re.compile(r"[0-9a-zåäöéüA-ZÅÄÖÉÜ§]+(?:[-:][0-9a-zåäöA-ZÅÄÖ]+)*")


_KNOWN_PARTY = "|".join(sorted(map(re.escape, PARTY_NAMES), key=len, reverse=True))
_PARTY = re.compile(rf"\(({_KNOWN_PARTY})(?=[)+ ,/]|$)", re.M)


def synonyms(question: str) -> str:
    """The documents' words for what a question asks ('hette' -> 'benämning … döpts')."""
    low = question.lower()
    return " ".join(v for k, v in QUERY_SYNONYMS.items() if re.search(rf"\b{k}\b", low))


def _named(text: str, query: bool) -> str:
    """Party abbreviations followed by the party's name; a query also gets its synonyms."""
    text = _PARTY.sub(lambda m: f"({m.group(1)} {party_name(m.group(1)).lower()}", text)
    return f"{text} {synonyms(text)}" if query else text


PREFIX_LEN = 6  # a crude second stem: Swedish inflection and derivation mostly keep the first six letters


class SwedishAnalyzer:
    """Text -> BM25 terms. Compounds missing from the word list also yield their parts ('tiggeriförbud')."""

    def __init__(self, lexicon: Lexicon | None) -> None:
        import Stemmer

        self.stemmer = Stemmer.Stemmer("swedish")
        self.lexicon = lexicon
        self._cache: dict[str, list[str]] = {}

    def _parts(self, word: str) -> list[str]:
        """A compound's parts ('tiggeriförbud' -> tiggeri, förbud), unless the word list knows it whole."""
        if self.lexicon is not None and len(word) >= 8 and "-" not in word and word not in self.lexicon.words:
            return self.lexicon.split_compound(word)
        return [w for w in word.split("-") if len(w) > 1] if "-" in word else []

    def _terms(self, word: str) -> list[str]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        words = [word, *self._parts(word)]
        terms = [fold(t) for t in self.stemmer.stemWords(words)]
        terms += [f"{fold(w)[:PREFIX_LEN]}~" for w in words if len(w) > PREFIX_LEN + 1]
        self._cache[word] = terms
        return terms

    def __call__(self, text: str, query: bool = False) -> list[str]:
        """Terms of a text; party abbreviations also give the party's name, and a query its synonyms."""
        text = _named(text, query)
        out: list[str] = []
        for m in _TOKEN.finditer(text.lower()):
            w = m.group(0)
            if w in STOPWORDS or len(w) < 2 and not w.isdigit():
                continue
            out.extend(self._terms(w))
        return out


class LexicalIndex:
    """A thin wrapper over bm25s that scores every chunk, so filters apply before the top-k cut."""

    def __init__(self, analyzer: SwedishAnalyzer, bm25=None) -> None:
        self.analyzer = analyzer
        self.bm25 = bm25

    def build(self, texts: list[str]) -> None:
        import bm25s

        self.bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self.bm25.index([self.analyzer(t) or ["∅"] for t in texts], show_progress=False)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, analyzer: SwedishAnalyzer) -> "LexicalIndex":
        import bm25s

        return cls(analyzer, bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        terms = [t for t in self.analyzer(query, query=True) if t in self.bm25.vocab_dict]
        n = self.bm25.scores["num_docs"]
        if not terms:
            return np.zeros(n, dtype=np.float32)
        s = self.bm25.get_scores(terms).astype(np.float32)
        return s * mask if mask is not None else s
