"""Swedish word forms from the Hunspell dictionary: spelling checks for OCR repair and compound splitting.

The dictionary's stems and suffix rules are expanded once, at fetch time, into a
plain word list (one lower-case form a line) so that look-ups are set membership.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

_FLAG_SPLIT = re.compile(r"^([^/\s]+)(?:/(\S+))?")


def _parse_sfx(aff: Path) -> dict[str, list[tuple[str, str, re.Pattern[str]]]]:
    rules: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
    for line in aff.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] == "SFX":
            flag, strip, add, cond = parts[1], parts[2], parts[3], parts[4]
            strip = "" if strip == "0" else strip
            add = "" if add == "0" else add.split("/")[0]
            cond_re = re.compile("" if cond == "." else f"{cond}$")
            rules.setdefault(flag, []).append((strip, add, cond_re))
    return rules


def build_wordlist(dic: Path, aff: Path, out: Path) -> int:
    """Expand stems with their suffix rules into a lower-case word list; returns its size."""
    rules = _parse_sfx(aff)
    words: set[str] = set()
    lines = dic.read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        m = _FLAG_SPLIT.match(line.strip())
        if not m:
            continue
        stem, flags = m.group(1), m.group(2) or ""
        if "%" in flags or "Z" in flags:  # forbidden words, parts only allowed inside compounds
            continue
        low = stem.lower()
        if "¤" not in flags:
            words.add(low)
        for flag in flags:
            for strip, add, cond in rules.get(flag, ()):
                if strip and not low.endswith(strip):
                    continue
                if cond.pattern and not cond.search(low):
                    continue
                words.add((low[: len(low) - len(strip)] if strip else low) + add)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(sorted(w for w in words if w)) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return len(words)


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
    from .models import resolve

    return _load(str(resolve("sv-wordlist", fetch_missing=True)))


def fetched_lexicon() -> Lexicon | None:
    """The word forms if already fetched: for steps (reading a PDF) that must never download."""
    from .models import ModelError, resolve

    try:
        return _load(str(resolve("sv-wordlist")))
    except ModelError:
        return None
