"""Evidence at sentence level: the sentences of the best passages that can answer a question.

A question that asks for an amount, a date, a count or a duration is answered by
a sentence that holds a value of that kind next to the question's words; code
finds those values, so a small model only has to choose, and an answer without
such a value is not an answer.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .cite import Passage, content_terms
from .genre import AMOUNT_UNITS, MONTHS, NUMBER_WORDS, TIME_UNITS
from .lexical import STOPWORDS
from .normalize import fold
from .question import Question

TYPED = {"amount", "count", "duration", "date"}
SENTENCE_WEIGHT = 0.6  # a sentence's own words count more than its passage's
STEM = 5
MIN_RELEVANCE = 0.35  # calibrated on the dev sets (README, "Typed answers": the trade-off curve)
_NUM = r"(?<![\w§-])(?<!§ )(?:\d{1,3}(?:[  ]\d{3})+|\d+)(?:[,.]\d+)?(?:\s*[–-]\s*\d+(?:[,.]\d+)?)?(?![\w-])"
_WORD_NUM = r"\b(?:" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")\b"
_UNIT = "|".join(sorted(map(re.escape, AMOUNT_UNITS), key=len, reverse=True))
_TIME = "|".join(sorted(map(re.escape, TIME_UNITS), key=len, reverse=True))
_MONTH = "|".join(MONTHS)
PATTERNS: dict[str, re.Pattern] = {
    "amount": re.compile(rf"(?:{_NUM}|{_WORD_NUM})(?:\s+(?:miljoner|miljarder|tusen))?\s*(?:{_UNIT})(?![\wåäö])", re.I),
    "duration": re.compile(rf"(?:{_NUM}|{_WORD_NUM})[\s-]*(?:{_TIME})(?![\wåäö])|\b\w+(?:årig|årigt|åriga)\b", re.I),
    "date": re.compile(rf"\b(?:19|20)\d\d-\d\d-\d\d\b|\b\d{{1,2}}(?:[–-]\d{{1,2}})? (?:{_MONTH})(?: (?:19|20)\d\d)?\b"
                       rf"|\b(?:{_MONTH}) (?:19|20)\d\d\b", re.I),
    "count": re.compile(rf"(?:{_NUM}|{_WORD_NUM})\s+[a-zåäöé]{{3,}}", re.I),
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"”(])|\n{2,}|\n(?=[-•*|])")
_YEAR_ONLY = re.compile(r"^(?:19|20)\d\d\s")
# words that ask, not words the answer shares with the question
_ASKING = {"hur", "manga", "mycket", "stor", "stort", "stora", "hog", "hogt", "hoga", "lang", "langt", "nar", "vilket",
           "vilken", "vilka", "datum"}


@dataclass
class Evidence:
    passage: Passage
    text: str
    score: float
    values: list[str]
    relevance: float  # share of the question's words in the sentence and its passage, weighted


def values(text: str, kind: str) -> list[str]:
    """The values of a kind that a sentence states: '477 miljoner kronor', 'tio år', '1 juli 2026'."""
    pattern = PATTERNS.get(kind)
    if pattern is None:
        return []
    found = [m.group(0).strip() for m in pattern.finditer(text)]
    if kind == "count":  # a year or a date is not a count, and a count counts a noun ('8 anbud', not '8 och')
        found = [v for v in found if not _YEAR_ONLY.match(v) and not re.match(rf"\d+ (?:{_MONTH})", v, re.I)
                 and v.split()[-1].lower() not in STOPWORDS]
    return found


def _terms(q: Question) -> set[str]:
    return {t[:STEM] for t in content_terms(q.text) if t not in _ASKING}


def _stems(text: str) -> set[str]:
    """Five-letter stems: 'helåret' and 'helår', 'upplåtelsetid' and 'upplåtelse' meet."""
    return {t[:STEM] for t in content_terms(text)}


def sentences(passage: Passage) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(passage.norm) if len(s.strip()) > 3]


def term_weights(texts: list[str]) -> dict[str, float]:
    """Inverse document frequency of each content term: 'skattesats' says more than 'kommun'."""
    df: dict[str, int] = {}
    for t in texts:
        for term in _stems(t):
            df[term] = df.get(term, 0) + 1
    n = max(1, len(texts))
    return {term: math.log(1 + n / d) for term, d in df.items()}


def rank(q: Question, passages: list[Passage], weights: dict[str, float] | None = None,
         limit: int = 8) -> list[Evidence]:
    """Sentences by the (weighted) question words they and their passage hold, whether they hold a value
    of the asked kind, and the rank of their passage."""
    terms = _terms(q)
    weight = {t: (weights or {}).get(t, 1.0 if not weights else max(weights.values(), default=1.0)) for t in terms}
    total = sum(weight.values()) or 1.0
    nouns = _counted_nouns(q)
    out = []
    for r, p in enumerate(passages):
        around = _stems(p.norm) | _stems(p.locator) | _stems(p.title)
        passage_share = sum(weight[t] for t in terms & around) / total
        for s in sentences(p):
            share = sum(weight[t] for t in terms & _stems(s)) / total
            found = values(s, q.answer_type)
            if nouns:  # 'Hur många anbud': the count must count anbud
                found = [v for v in found if any(fold(w)[:5] in nouns for w in v.split()[1:])]
            relevance = SENTENCE_WEIGHT * share + (1 - SENTENCE_WEIGHT) * passage_share
            out.append(Evidence(p, s, relevance + (0.5 if found else 0.0) + 0.15 / (1 + r), found, relevance))
    out.sort(key=lambda e: -e.score)
    return out[:limit]


def _counted_nouns(q: Question) -> set[str]:
    """'Hur många nya stolpar' -> {'nya', 'stolp'}: the words right after 'hur många' (five letters)."""
    if q.answer_type != "count":
        return set()
    m = re.search(r"\bhur manga ((?:[a-zåäö]+ ?){1,2})", fold(q.text))
    words = [w for w in (m.group(1).split() if m else []) if w not in {"ar", "som", "av", "i", "har", "procent"}]
    return {w[:5] for w in words}


def supported_value(q: Question, evidence: list[Evidence], min_relevance: float = MIN_RELEVANCE) -> Evidence | None:
    """The best sentence that holds a value of the asked kind and enough of the question's words."""
    return next((e for e in evidence if e.values and e.relevance >= min_relevance), None)


def states_value(text: str, kind: str) -> bool:
    return bool(values(text, kind))
