"""Swedish word forms from the Hunspell dictionary: spelling checks for OCR repair and compound splitting.

The dictionary's stems and suffix rules are expanded once, at fetch time (`hunspell.build_wordlist`),
into a plain word list (one lower-case form a line) so that look-ups are set membership.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .catalog import ModelError, resolve

MAX_COMPOUND = 48  # longer 'words' are runs of letters, not compounds: 'tiggeriförbudsutredning' has 23
_SPLIT_CACHE = 65_536


class Lexicon:
    """Set of known Swedish word forms, plus a compound splitter that is iterative, bounded and memoised."""

    def __init__(self, words: set[str]) -> None:
        self.words = words
        self._splits: dict[tuple[str, int], list[str]] = {}

    @classmethod
    def load(cls, path: Path) -> "Lexicon":
        return cls(set(path.read_text(encoding="utf-8").split("\n")) - {""})

    def split_compound(self, word: str, min_part: int = 3) -> list[str]:
        """'tiggeriförbud' -> ['tiggeri', 'förbud']; also the Swedish linking -s- ('arbetsmarknad')."""
        w = word.lower()
        if len(w) < 2 * min_part + 1 or len(w) > MAX_COMPOUND or "-" in w:
            return []
        key = (w, min_part)
        if key not in self._splits:
            if len(self._splits) >= _SPLIT_CACHE:
                self._splits.clear()
            self._splits[key] = self._split(w, min_part)
        return list(self._splits[key])

    def _split(self, w: str, min_part: int) -> list[str]:
        """Bottom-up over the word's prefixes: the longest known tail with a known head (two parts) wins;
        failing that, the first tail whose head splits in turn."""
        splits: list[list[str]] = [[] for _ in range(len(w) + 1)]  # splits[j]: the split of w[:j]
        for j in range(2 * min_part + 1, len(w) + 1):
            best: list[str] = []
            for i in range(j - min_part, min_part - 1, -1):
                tail = w[i:j]
                if tail not in self.words:
                    continue
                for h in (i, i - 1 if w[i - 1] == "s" else None):
                    if h is None or h < min_part:
                        continue
                    if w[:h] in self.words:
                        best = [w[:h], tail]
                        break
                    if h >= 2 * min_part and not best and splits[h]:
                        best = splits[h] + [tail]
                else:
                    continue
                break
            splits[j] = best
        return splits[len(w)]


@lru_cache(maxsize=2)
def _load(path: str) -> Lexicon:
    return Lexicon.load(Path(path))


def default_lexicon() -> Lexicon:
    return _load(str(resolve("sv-wordlist", fetch_missing=True)))


def fetched_lexicon() -> Lexicon | None:
    """The word forms if already fetched: for steps (reading a PDF) that must never download."""
    try:
        return _load(str(resolve("sv-wordlist")))
    except ModelError:
        return None
