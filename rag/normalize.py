"""Text normalisation for indexing: OCR repair with a Swedish word list, and folding for lexical search.

The original text is never changed; this produces a parallel normalised string
per line, used for structure detection, embeddings and BM25. Repairs happen
only when a word is unknown and a small set of typical OCR confusions turns it
into a known word (ä read as i/a/d, ö as o/6/é, å as a, § as {).
"""
from __future__ import annotations

import itertools
import re
import unicodedata

from .models import Lexicon

_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ{]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    """A NUL, a line break, an escape: no name holds one."""
    return bool(_CONTROL.search(text))


def printable(text: str) -> str:
    """One line however the name was made: control characters ('\\n' in a file name, an escape) written out."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)
# OCR character -> what it often stands for in Swedish scans
CONFUSIONS: dict[str, tuple[str, ...]] = {
    "a": ("ä", "å"), "i": ("ä",), "o": ("ö",), "6": ("ö",), "é": ("ö",), "d": ("ö", "ä"),
    "4": ("ä",), "0": ("o", "ö"),
}
# Known words that OCR produces from a more common word; applied only to OCR'd text.
OCR_FUNCTION_WORDS = {"ar": "är", "for": "för", "dr": "är", "4r": "är", "f6r": "för",
                      "aven": "även", "dven": "även", "nar": "när", "sa": "så", "da": "då", "pa": "på",
                      "fa": "få", "ga": "gå", "bade": "både", "an": "än", "4n": "än", "fran": "från"}
# What Tesseract reads a '§' as in print fonts; a line of only that and a number is a § heading when the
# numbers run on (lines.restore_section_signs), as '81', '$2', '83' for §§ 1-3
OCR_SECTION_SIGN_READS = "8$3S5{"
_SECTION_SIGN = re.compile(r"(?<![\w§])[{$]\s?(?=\d)")
_SECTION_SIGNS = re.compile(r"(?<![\w§])[8$] [8$] (?=\d)")  # '§§ 1-5' read as '8 8 1-5'
_ONE_FOR_I = re.compile(r"(?<=[a-zåäö,] )1(?= [a-zåäö])")
_MAX_SLOTS = 5


def nfc(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.replace("\u00ad", "").replace("\ufb01", "fi").replace("\ufb02", "fl")


_FOLDED = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})


def fold(text: str) -> str:
    """Lower case with å/ä→a, ö→o, é→e: the accent folding that EVAL-FORMAT and BM25 use."""
    return nfc(text).lower().translate(_FOLDED)


def path_words(doc: str) -> str:
    """A document's path as words: 'jonkoping/barn-och-utbildningsnamnden-2016-01-26' names the
    municipality and the body that its sentences do not repeat."""
    return re.sub(r"[/_.\-]", " ", doc)


def similarity(a: str, b: str) -> float:
    """How alike two readings of one text are (0-1): OCR reads a header or a name a little otherwise."""
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _match_case(src: str, dst: str) -> str:
    if src.isupper() and len(src) > 1:
        return dst.upper()
    if src[:1].isupper():
        return dst[:1].upper() + dst[1:]
    return dst


class OcrRepair:
    """Word-level OCR repair against a lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self._cache: dict[str, str | None] = {}

    def candidate(self, word: str) -> str | None:
        """The known word this unknown word most likely stands for, or None."""
        if word in self._cache:
            return self._cache[word]
        low = word.lower()
        result: str | None = None
        if len(low) >= 2 and not low.isdigit() and low not in self.lex.words and not self._compound(low):
            slots = [i for i, ch in enumerate(low) if ch in CONFUSIONS][:_MAX_SLOTS + 3]
            best: tuple[int, str] | None = None
            for n in range(1, min(len(slots), 4) + 1):
                for combo in itertools.combinations(slots, n):
                    for repl in itertools.product(*(CONFUSIONS[low[i]] for i in combo)):
                        chars = list(low)
                        for i, r in zip(combo, repl):
                            chars[i] = r
                        cand = "".join(chars)
                        if cand in self.lex.words or self._compound(cand):
                            cost = n * 2 + (0 if cand in self.lex.words else 1)
                            if best is None or cost < best[0]:
                                best = (cost, cand)
                if best:
                    break
            if best:
                result = _match_case(word, best[1])
        self._cache[word] = result
        return result

    def known(self, word: str) -> bool:
        """A Swedish word form, or a compound of them."""
        low = word.lower()
        return low in self.lex.words or self._compound(low)

    def _compound(self, word: str) -> bool:
        parts = self.lex.split_compound(word) if len(word) > 8 else []
        return bool(parts) and all(len(p) >= 4 for p in parts)

    def repairable(self, word: str) -> bool:
        return self.candidate(word) is not None

    def repair_line(self, line: str) -> str:
        line = _SECTION_SIGNS.sub("§§ ", line)
        line = _SECTION_SIGN.sub("§", line)
        line = _ONE_FOR_I.sub("i", line)

        def fix(m: re.Match[str]) -> str:
            w = m.group(0)
            if w.lower() in OCR_FUNCTION_WORDS:
                return _match_case(w, OCR_FUNCTION_WORDS[w.lower()])
            return self.candidate(w) or w

        return _WORD.sub(fix, line)


def ocr_noise(text: str, repair: OcrRepair, sample: int = 4000) -> float:
    """Share of words (3+ letters) that look like OCR damage: unknown but repairable. ~0 for clean text."""
    words = [w for w in _WORD.findall(text[:200_000]) if len(w) >= 3 and w.isalpha()][:sample]
    if not words:
        return 0.0
    bad = sum(1 for w in words if repair.repairable(w))
    return bad / len(words)


OCR_THRESHOLD = 0.12  # measured: clean protocols 0.00-0.05, the Malmö OCR scan ~0.2
