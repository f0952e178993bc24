"""Citations checked by code: every [n] marker must point to a passage that supports its sentence.

A sentence is supported by a passage when its names and numbers appear there and
enough of its content words do (stems and six-letter prefixes, accent-folded),
or the embedding similarity is high. Wrong markers are repaired when another
passage clearly supports the sentence, dropped otherwise; a sentence without a
marker gets one when a passage clearly supports it; a sentence that no passage
supports is removed from the answer and reported, never shown as sourced.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable

from ..genre import PARTY_NAMES, PHRASING, RELATION_WORDS
from ..normalize import fold
from .evidence import TYPED, asked_values
from .passages import NAME, WORD, Passage, content_terms, passage_sentences
from .reading_path import restates
from .sources import Turn
from .write import Draft, Reply

_YES_NO = re.compile(PHRASING["yes_or_no"], re.I)  # an answer that starts by answering a yes/no question
_MARKER = re.compile(r"\s*\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"“(])|\n+")
_NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)*\b")
# markers after a sentence's end ("… 2024. [2] Detta …"): moved before it, so that each sentence is checked alone
_MARKERS_AFTER_END = re.compile(r"([.!?])((?:\s*\[\d{1,2}(?:\s*[,;]\s*\d{1,2})*\])+)(?=\s|$)")
SUPPORT = 0.5  # share of a sentence's content words found in the passage
EMBED_SUPPORT = 0.86  # e5 query-vs-passage cosine that counts as support for a paraphrase
EMBED_MIN_LEXICAL = 0.3
SHORT_ANSWER = 3  # words: an answer this short may be a name alone ('Kommunstyrelsen.', 'JM AB')
_PARTY_AFTER = re.compile(r"\s*\((" + "|".join(sorted(map(re.escape, PARTY_NAMES), key=len, reverse=True)) + r")\)")


@dataclass
class CheckedSentence:
    text: str  # without markers
    cited: list[int]  # passage numbers after checking
    supported: bool
    note: str = ""


@dataclass
class CheckResult:
    sentences: list[CheckedSentence] = field(default_factory=list)

    @property
    def kept(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.supported]

    @property
    def removed(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if not s.supported]

    def text(self) -> str:
        return " ".join(s.text + "".join(f" [{n}]" for n in s.cited) for s in self.kept)


def split_sentences(text: str) -> list[tuple[str, list[int]]]:
    """(sentence without markers, marker numbers) for each sentence of a model's answer."""
    out: list[tuple[str, list[int]]] = []
    for raw in _SENT_SPLIT.split(_MARKERS_AFTER_END.sub(r"\2\1", text.strip())):
        raw = raw.strip()
        if not raw:
            continue
        nums = [int(n) for m in _MARKER.finditer(raw) for n in re.split(r"\s*[,;]\s*", m.group(1))]
        clean = _MARKER.sub("", raw).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if clean in {".", ""}:
            if out and nums:
                out[-1][1].extend(nums)
            continue
        out.append((clean, nums))
    return out


def support(sentence: str, passage: Passage) -> float:
    """0..1: how well the passage backs the sentence. Names and numbers must be present."""
    target = fold(passage.norm + " " + passage.locator)
    for num in _NUMBER.findall(sentence):
        if not any(re.search(rf"(?<![\d.,:]){re.escape(n)}(?![\d]|[.,:]\d)", target) for n in {num, num.replace(",", ".")}):
            return 0.0  # a number of its own, not part of another ("2" is not in "2024")
    for m in NAME.finditer(sentence):
        parts = [p for p in re.split(r"[ -]", fold(m.group(0))) if len(p) > 2]
        if m.start() == 0 or sentence[:m.start()].rstrip().endswith((":", "”", "\"")):
            parts = parts[1:]  # a sentence-initial capital is not part of a name
        if parts and not all(p in target for p in parts):
            return 0.0
    if not _relations_held(sentence, passage):
        return 0.0
    words = content_terms(sentence)
    if not words:  # only short or generic words ("JM AB."): they must still be in the passage text
        tokens = {w for w in WORD.findall(fold(sentence)) if len(w) >= 2}
        text = fold(passage.norm)
        return sum(1 for w in tokens if re.search(rf"\b{re.escape(w)}\b", text)) / len(tokens) if tokens else 0.0
    have = content_terms(passage.norm)  # the text itself: echoing a locator is not an answer
    return len(words & have) / len(words)


def _relations_held(sentence: str, passage: Passage) -> bool:
    """A person named with a role, an action or a party ('NN (SD) var sekreterare') needs one sentence
    of the passage that names the person with each of them."""
    folded = fold(sentence)
    persons = list(NAME.finditer(sentence))
    if not persons:
        return True
    relations = [w for w in RELATION_WORDS if re.search(rf"\b{w}", folded)]
    windows = None
    for m in persons:
        surname = fold(m.group(0).split()[-1])
        party = _PARTY_AFTER.match(sentence, m.end())
        if not relations and not party:
            continue
        if windows is None:
            windows = [fold(s) for s in passage_sentences(passage.norm)] or [fold(passage.norm)]
        if not any(surname in w and all(re.search(rf"\b{r}", w) for r in relations)
                   and (not party or re.search(rf"{re.escape(surname)}\W{{0,3}}\(\s*{party.group(1).lower()}\s*\)", w))
                   for w in windows):
            return False
    return True


def check(answer: str, passages: list[Passage], min_support: float = SUPPORT,
          similarity: Callable[[str, Passage], float] | None = None) -> CheckResult:
    """`similarity` (embedding cosine) rescues a paraphrase with fewer shared words: names and numbers
    must still be present and a third of the content words shared."""
    by_n = {p.n: p for p in passages}
    result = CheckResult()
    for sentence, nums in split_sentences(answer):
        scores = {p.n: support(sentence, p) for p in passages}
        if similarity is not None:
            for p in passages:
                if EMBED_MIN_LEXICAL <= scores[p.n] < min_support and similarity(sentence, p) >= EMBED_SUPPORT:
                    scores[p.n] = min_support
        valid = [n for n in dict.fromkeys(nums) if n in by_n and scores[n] >= min_support]
        best = max(scores, key=scores.get) if scores else None
        note = ""
        if nums and not valid and best is not None and scores[best] >= min_support:
            valid, note = [best], f"marker {nums} repaired to [{best}]"
        elif not nums and best is not None and scores[best] >= min_support:
            valid, note = [best], f"marker [{best}] added"
        elif nums and len(valid) < len(set(nums)):
            note = f"unsupported markers dropped from {nums}"
        result.sentences.append(CheckedSentence(sentence, valid, bool(valid), note or ("" if valid else "no passage supports it")))
    return result


def cited_spans(passage_text: str, answer: str) -> list[tuple[int, int]]:
    """Character spans of the passage's words that the answer uses: what a reader should see highlighted."""
    terms = content_terms(answer)
    numbers = set(_NUMBER.findall(answer))
    spans = []
    for m in WORD.finditer(passage_text):
        word = m.group()
        if (word.isdigit() and word in numbers) or content_terms(word) & terms:
            spans.append((m.start(), m.end()))
    return spans


def _names_someone(answer: str) -> bool:
    """A name in an answer: a capitalised word or abbreviation ('Johan Tolinsson', 'JM AB', 'Kommunstyrelsen');
    a sentence's first word counts only in a short answer ('Det var tre ledamöter' names nobody)."""
    for sentence, _ in split_sentences(answer):
        words = WORD.findall(sentence)
        if any(w[:1].isupper() for w in (words if len(words) <= SHORT_ANSWER else words[1:])):
            return True
    return False


def settle(draft: Draft | Reply, turn: Turn, similarity: Callable[[str, Passage], float] | None = None) -> Reply:
    """The stage's one entry: the model's answer kept with its citations checked, its unsupported sentences
    removed; or, when it refused, kept nothing, gave no value of the kind asked or only said the question
    again, what the evidence stage found to quote instead. An answer written by code stands as written."""
    if isinstance(draft, Reply):
        return draft
    q = turn.q
    checked = check(draft.raw, turn.passages, similarity=similarity)
    removed = [s.text for s in checked.removed]
    # an amount, a date, a count: an answer without a value of that kind ('55 procent' for a price) is none,
    # and so is one whose lead sentence stated the value unsupported: what is left of it is context, not the answer
    lead = checked.sentences[0] if checked.sentences else None
    untyped = q.answer_type in TYPED and (not asked_values(q, checked.text())
                                          or (lead is not None and not lead.supported and bool(asked_values(q, lead.text))))
    # an answer that only says the question again ('X gjordes ändringar som …') answers nothing; 'Ja, …' does
    restated = all(restates(s.text, q) and not _YES_NO.match(s.text) for s in checked.kept)
    # who: an answer that names nobody ('3 ledamöter avstår från att rösta') answers no 'Vilka ledamöter …'
    nameless = q.answer_type == "person" and not _names_someone(checked.text())
    if "framgår inte" in draft.raw.lower() or not checked.kept or untyped or restated or nameless:
        return replace(draft.fallback, removed=removed)
    return Reply(checked.text(), False, sorted({n for s in checked.kept for n in s.cited}), removed, "llm")
