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


from .passages import Passage, passage_sentences
from ..genre import (AMOUNT_UNITS, COUNT_QUESTION_NOT, KRONOR_SCALES, MEASURE_UNITS, MONEY_WORDS, MONTHS, NUMBER_WORDS, PARTY_NAMES,
                     PERIODS, PHRASING, QUERY_SYNONYMS, SHARE_WORDS, STOPWORDS, TIME_UNITS, date_in_words, organ_key,
                     organs_in, same_organ)
from ..normalize import fold, path_words
from ..records.profile import STEM, STOP as _STOP, WORD as _WORD, stem as _stem, stems as _stems
from .question import Question

TYPED = {"amount", "count", "duration", "date"}
SENTENCE_WEIGHT = 0.6  # a sentence's own words count more than its passage's
MIN_RELEVANCE = 0.45  # calibrated on the dev sets (docs/benchmarks.md, "Typed answers: the refusal trade-off")
KEYLESS_RELEVANCE = 0.65  # ... and without the question's rarest word, a sentence must hold most of the others
_NUM = r"(?<![\w§-])(?<!§ )(?:\d{1,3}(?:[  ]\d{3})+|\d+)(?:[,.]\d+)?(?:\s*[–-]\s*\d+(?:[,.]\d+)?)?(?![\w-])"
_WORD_NUM = r"\b(?:" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")\b"
_UNIT = "|".join(sorted(map(re.escape, AMOUNT_UNITS), key=len, reverse=True))
_TIME = "|".join(sorted(map(re.escape, TIME_UNITS), key=len, reverse=True))
_MONTH = "|".join(MONTHS)
PATTERNS: dict[str, re.Pattern] = {
    "amount": re.compile(rf"(?:{_NUM}|{_WORD_NUM})(?:\s+(?:{PHRASING['amount_scale']}))?\s*(?:{_UNIT})(?![\wåäö])", re.I),
    "duration": re.compile(rf"(?:{_NUM}|{_WORD_NUM})[\s-]*(?:{_TIME})(?![\wåäö])|\b\w+(?:{PHRASING['duration_adjective']})\b", re.I),
    "date": re.compile(rf"\b(?:19|20)\d\d-\d\d-\d\d\b|\b\d{{1,2}}(?:[–-]\d{{1,2}})? (?:{_MONTH})(?: (?:19|20)\d\d)?\b"
                       rf"|\b(?:{_MONTH}) (?:19|20)\d\d\b"
                       rf"|{PERIODS}", re.I),  # 'kvartal 1 2025', 'hösten 2024': a time named as a period
    "count": re.compile(rf"(?:{_NUM}|{_WORD_NUM})\s+[a-zåäöé]{{3,}}", re.I),
}
_YEAR_ONLY = re.compile(r"^(?:19|20)\d\d\s")
# words that ask, not words the answer shares with the question
_ASKING = {"hur", "manga", "mycket", "stor", "stort", "stora", "hog", "hogt", "hoga", "lang", "langt", "nar", "vilket",
           "vilken", "vilka", "datum",
           # the kind of answer asked for ('Vilka partier står bakom …'): the text names them, '(S, V)'
           "parti", "partier", "partiet", "partierna", "ledamot", "ledamoter", "ledamoterna", "personer", "bakom"}


@dataclass
class Evidence:
    passage: Passage
    text: str
    score: float
    values: list[str]
    relevance: float  # share of the question's words in the sentence and its passage, weighted
    keyed: bool = True  # the sentence or its passage holds the question's rarest word
    at: int = 0  # the sentence's place in its passage


def kronor(amount: str) -> float | None:
    """An amount of money in kronor ('1 000 000 kronor', '3,5 miljoner kronor', '6 200 mnkr'); None for
    any other amount (a share, an area) or a range."""
    m = re.fullmatch(r"(\d[\d  ]*(?:[,.]\d+)?)\s*(.*)", amount.strip())
    if not m:
        return None
    words = m.group(2).lower().split()
    if not words or any(w not in KRONOR_SCALES for w in words):
        return None
    value = float(re.sub(r"[  ]", "", m.group(1)).replace(",", "."))
    for w in words:
        value *= KRONOR_SCALES[w]
    return value


def values(text: str, kind: str) -> list[str]:
    """The values of a kind that a sentence states: '477 miljoner kronor', 'tio år', '1 juli 2026'."""
    pattern = PATTERNS.get(kind)
    if pattern is None:
        return []
    found = [" ".join(m.group(0).split()) for m in pattern.finditer(text)]
    if kind == "count":  # a year or a date is not a count, and a count counts a noun ('8 anbud', not '8 och')
        found = [v for v in found if not _YEAR_ONLY.match(v) and not re.match(rf"\d+ (?:{_MONTH})", v, re.I)
                 and v.split()[-1].lower() not in STOPWORDS]
    return found


_MEASURE = re.compile(r"(?:" + "|".join(map(re.escape, MEASURE_UNITS)) + r")$", re.I)


def asked_values(q: Question, text: str) -> list[str]:
    """The values of the asked kind a sentence states, that could answer this question: a price is
    in kronor, not a share or an area; a share ('skattesatsen', 'hur många procent') is a share."""
    found = values(text, q.answer_type)
    if q.answer_type != "amount":
        return found
    words = fold(q.text).split()
    if any(w.startswith(SHARE_WORDS) for w in words):
        return [v for v in found if re.search(PHRASING["share_value"], v, re.I)]
    if any(w.startswith(MONEY_WORDS) or any(m in w for m in MONEY_WORDS if len(m) >= 5) for w in words):
        return [v for v in found if not _MEASURE.search(v)]
    return found


def stated(value: str) -> str:
    """A value as an answer states it: 'tioårigt' -> 'tio år'."""
    m = re.fullmatch(PHRASING["duration_stated"], value, re.I)
    return f"{m.group(1)} {PHRASING['duration_word']}" if m else value




_UNIT_WORDS = set(AMOUNT_UNITS) | set(TIME_UNITS)


def _terms(q: Question) -> dict[str, set[str]]:
    """Each of the question's word stems, with the stems of the documents' words for it
    ('kostar': 'kostnad', 'avgift')."""
    out: dict[str, set[str]] = {}
    for w in _WORD.findall(q.text.lower()):
        if len(w) < 3 or fold(w) in _STOP or fold(w) in _ASKING:
            continue
        # a unit ('kronor') is what the asked kind holds anyway, not a word the answer shares
        alternatives = [a for a in QUERY_SYNONYMS.get(w, "").split() if a not in _UNIT_WORDS]
        out.setdefault(_stem(w), set()).update({_stem(w)} | _stems(" ".join(alternatives)))
    return out


def sentences(passage: Passage) -> list[str]:
    return passage_sentences(passage.norm)


def term_weights(held: dict[str, int], chunks: int) -> dict[str, float]:
    """Inverse document frequency of each content term (`held`: how many of the chunks hold it): 'skattesats'
    says more than 'kommun'."""
    n = max(1, chunks)
    return {term: math.log(1 + n / d) for term, d in held.items()}


def rank(q: Question, passages: list[Passage], weights: dict[str, float] | None = None,
         limit: int = 8) -> list[Evidence]:
    """Sentences by the (weighted) question words they and their passage hold, whether they hold a value
    of the asked kind, and the rank of their passage."""
    terms = _terms(q)
    weight = {t: (weights or {}).get(t, 1.0 if not weights else max(weights.values(), default=1.0)) for t in terms}
    total = sum(weight.values()) or 1.0
    nouns = _counted_nouns(q)

    def share(stems: set[str]) -> float:
        return sum(weight[t] for t, alts in terms.items() if alts & stems) / total

    # the rarest word says what the question is about ('busskort'): without it a value answers another question
    # (of five letters or more: 'kom', 'gav' are rare only as words of their own)
    long = {t: w for t, w in weight.items() if len(t) >= STEM}
    rarest = max(long.values(), default=0.0)
    key = [terms[t] for t, w in long.items() if w >= rarest - 1e-9]

    out = []
    for r, p in enumerate(passages):
        # a § title, or the heading a sentence stands under ('Justering'), names the matter of every sentence there
        titled = _stems(p.title) | _stems(" ".join(headings(p.locator)[-1:]))
        # the document's path names the municipality or body ('jonkoping/…')
        around = _stems(p.norm) | _stems(p.locator) | titled | _stems(path_words(p.doc))
        passage_share = share(around)
        keyed = not key or any(alts & around for alts in key)
        for at, s in enumerate(sentences(p)):
            sentence_share = share(_stems(s) | titled)
            found = asked_values(q, s)
            if nouns:  # 'Hur många anbud': the count must count anbud
                found = [v for v in found if any(fold(w)[:5] in nouns for w in v.split()[1:])]
            relevance = SENTENCE_WEIGHT * sentence_share + (1 - SENTENCE_WEIGHT) * passage_share
            out.append(Evidence(p, s, relevance + (0.5 if found else 0.0) + (0.1 if keyed else 0.0) + 0.15 / (1 + r),
                                found, relevance, keyed, at))
    out.sort(key=lambda e: -e.score)
    return out[:limit]


def headings(locator: str) -> list[str]:
    """A locator's headings, outermost first: not its head (organ, date, §) nor a place (page, punkt, report)."""
    return [x for x in locator.split(" · ")[1:] if not _PLACE_PART.match(x)]


_PLACE_PART = re.compile(PHRASING["locator_place"])
_PAGE_PART = re.compile(PHRASING["locator_page"])


def label(locator: str) -> str:
    """A locator as the model reads it: without its pages, which say nothing about the matter and
    cost ~5 tokens a passage; the citation shown to the reader keeps them."""
    return " · ".join(x for x in locator.split(" · ") if not _PAGE_PART.match(x))


def _counted_nouns(q: Question) -> set[str]:
    """'Hur många nya stolpar' -> {'nya', 'stolp'}: the words right after 'hur många' (five letters)."""
    if q.answer_type != "count":
        return set()
    m = re.search(PHRASING["count_question"], fold(q.text))
    words = [w for w in (m.group(1).split() if m else []) if w not in COUNT_QUESTION_NOT]
    return {w[:5] for w in words}


def supported_value(q: Question, evidence: list[Evidence], min_relevance: float = MIN_RELEVANCE) -> Evidence | None:
    """The best sentence that holds a value of the asked kind and enough of the question's words, and is not
    about another organ of the kind the question names."""
    return next((e for e in evidence if e.values and e.relevance >= min_relevance
                 and (e.keyed or e.relevance >= KEYLESS_RELEVANCE) and not another_organ(q, e.text)), None)


def another_organ(q: Question, sentence: str) -> bool:
    """'Finansutskottet justerade den 25 november …' does not date the arbetsmarknadsutskottet's justering: the
    sentence's subject is another organ of the kind the question names (a kommunstyrelse's proposal that
    'Kommunfullmäktige fastställer …' is its own)."""
    subject = organs_in(" ".join(sentence.split()[:3]))[-1:]
    return bool(q.organs and subject) and not any(same_organ(o, subject[0]) for o in q.organs) and any(
        organ_key(o)[0] == organ_key(subject[0])[0] for o in q.organs)




GROUNDED = 0.5  # share of the question's (weighted) words its best passage must hold: docs/design.md, "The refusal rule"
GROUNDED_UNSCOPED = 0.7  # ... when something the question names is in no document in any form
_PATH = re.compile(r"[/_.\-]")


@dataclass(frozen=True)
class Grounding:
    """Whether the passages can answer a question at all: the one refusal rule every route uses."""
    share: float  # the weighted share of the question's words that its best passage holds (with place and path)
    keyed: bool  # a passage holds the question's rarest word (reported; the reading path asks for it)
    missing: tuple[str, ...] = ()  # what the question names (date, organ, person, §) that no passage holds

    def answers(self, threshold: float = GROUNDED) -> bool:
        return not self.missing and self.share >= threshold


def grounding(q: Question, passages: list[Passage], weights: dict[str, float] | None = None) -> Grounding:
    """How much of what the question asks about the passages hold. A refusal is earned here, by the
    evidence: the passages lack a date, an organ, a person or a § the question names, or most of its
    (rarity-weighted) words."""
    if not passages:
        return Grounding(0.0, False, ("passages",))
    held = [held_by(q, p, weights) for p in passages]
    return Grounding(max(share for share, _ in held), any(keyed for _, keyed in held), tuple(_missing(q, passages)))


def held_by(q: Question, p: Passage, weights: dict[str, float] | None = None) -> tuple[float, bool]:
    """The weighted share of the question's words that one passage holds (in its text, place, § title and
    document path), and whether it holds the rarest of them (five letters or more)."""
    terms = _terms(q)
    if not terms:
        return 1.0, True
    weight = {t: (weights or {}).get(t, max((weights or {}).values(), default=1.0)) for t in terms}
    # the key is a word of the matter ('avfallstaxan'), not of the asking ('står bakom', 'betänkande')
    topical = {_stem(w) for w in q.topic if not w.isdigit()}
    long = {t: w for t, w in weight.items() if len(t) >= STEM and t in topical}
    rarest = max(long.values(), default=0.0)
    key = [terms[t] for t, w in long.items() if w >= rarest - 1e-9]
    around = _stems(p.norm) | _stems(p.locator) | _stems(p.title) | _stems(_PATH.sub(" ", p.doc)) | _dated(p.locator)
    around |= _parties_named(q, p.norm)
    share = sum(weight[t] for t, alts in terms.items() if alts & around) / (sum(weight.values()) or 1.0)
    return share, not key or any(alts & around for alts in key)


def _parties_named(q: Question, text: str) -> set[str]:
    """'Miljöpartiet' is held by a list that writes 'Peter Rådberg (MP)'."""
    return set().union(*(_stems(PARTY_NAMES[a]) for a in q.parties
                         if a in PARTY_NAMES and re.search(rf"\(\s*{re.escape(a)}\s*\)", text)))


def _dated(locator: str) -> set[str]:
    """The meeting's date in words ('25 augusti 2026'), as a question names it, from the locator's ISO date."""
    return _stems(" ".join(date_in_words(d) for d in _ISO.findall(locator)))


_ISO = re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b")


def _missing(q: Question, passages: list[Passage]) -> list[str]:
    """The dates, months, organs, persons, §§, bilagor and reports a question names that no passage
    holds, in its text, its place (locator) or its document's path."""
    texts = [fold(f"{_PATH.sub(' ', p.doc)} {p.locator} {p.title} {p.norm}") for p in passages]
    heads = [fold(p.locator.split(" · ")[0]) for p in passages]  # 'kommunstyrelsen 2024-09-11 § 678'
    out = []
    for d in q.dates:
        words = date_in_words(d)
        # 'på sammanträdet den 25 september': a meeting held that day, not a text that mentions the date
        if not any(d in h for h in heads) if q.meeting_date else not any(d in t or words in t for t in texts):
            out.append(d)
    for month, year in q.months:
        iso = f"{year}-{month:02d}-" if year else f"-{month:02d}-"
        said = f"{MONTHS[month - 1]} {year}" if year else MONTHS[month - 1]
        if not any(iso in h for h in heads) and not any(said in t for t in texts):
            out.append(said)
    for organ in q.organs:
        if not any(same_organ(organ, h) or any(same_organ(organ, o) for o in organs_in(t)) for h, t in zip(heads, texts)):
            out.append(organ)
    for person in q.persons:
        last = fold(person.split()[-1])[:5]
        if not any(re.search(rf"\b{re.escape(last)}", t) for t in texts):
            out.append(person)
    for label, value in (("§", q.paragraf), ("bilaga", q.bilaga)):
        if value and not any(re.search(rf"{label}\s*{value}\b", t) for t in texts):
            out.append(f"{label} {value}")
    if q.beteckning and not any(fold(q.beteckning).replace(" ", "") in t.replace(" ", "") for t in texts):
        out.append(q.beteckning)
    return out


def named_elsewhere(q: Question, passages: list[Passage]) -> list[str]:
    """The other proper names a question states ('Hammarbadet', 'Göteborgs') that no passage holds in
    any form (five-letter stems, so 'Göteborgs' finds 'Göteborg'): they lower confidence, not refuse."""
    texts = [fold(f"{_PATH.sub(' ', p.doc)} {p.locator} {p.title} {p.norm}") for p in passages]
    return [n for n in q.names if not any(re.search(rf"\b{re.escape(fold(n)[:5])}", t) for t in texts)]
