"""What code quotes from the passages when it answers without the model, or after the model gave up:
the sentence that holds most of the question's words, a passage's sentences nearest the question, a
typed value with the sentence that states it."""
from __future__ import annotations

import re

from ..genre import MONTHS, SAY
from ..normalize import path_words
from ..store import synonyms
from .passages import Passage, content_terms
from .evidence import Evidence, stated
from .question import Question
from .reading_path import asks

def question_terms(question: str) -> set[str]:
    return content_terms(question) | content_terms(synonyms(question))


def focus(question: str, text: str, keep: int = 3) -> list[str]:
    """The passage's sentences that share most words with the question, in document order."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]
    if len(sentences) <= keep:
        return sentences
    terms = question_terms(question)
    ranked = sorted(range(len(sentences)), key=lambda i: -len(terms & content_terms(sentences[i])))[:keep]
    return [sentences[i] for i in sorted(ranked)]


def best_sentence(q: Question, passages: list[Passage], weights: dict[str, float] | None = None,
                  min_share: float = 0.6) -> tuple[str, Passage] | None:
    """A sentence that covers most of the question's words (weighted by rarity, so the word that says what
    is asked counts most; synonyms count too), for an extractive answer; never one that only asks."""
    question = q.text
    terms = question_terms(question)
    core = content_terms(question)
    rare = max((weights or {}).values(), default=1.0)

    def weight(term: str) -> float:
        return (weights or {}).get(term[:5], rare)

    total = sum(weight(t) for t in core) or 1.0
    best: tuple[float, str, Passage] | None = None
    for p in passages:
        # a protocol's sentences do not name its body or municipality: its place (organ, the path) does
        place = content_terms(f"{p.locator.split(' · ')[0]} {path_words(p.doc)}")
        for s in re.split(r"(?<=[.!?])\s+", " ".join(p.norm.split())):
            have = content_terms(s) | place
            synonyms = len((terms - core) & have)
            share = sum(weight(t) for t in core & have) / total + 0.25 * synonyms
            if share >= min_share and len(s) <= 400 and (best is None or share > best[0]) and not asks(s, q):
                best = (share, s, p)
    return (best[1], best[2]) if best else None


def best_passage(question: str, passages: list[Passage], content: bool) -> tuple[str, Passage] | None:
    """For 'Vad skriver X om Y?' only: the best passage, when it (with its place) holds every content
    word of the question, quoted by its two sentences nearest the question."""
    if not content or not passages:
        return None
    core = content_terms(question)
    p = passages[0]
    if not core or core - content_terms(p.norm + " " + p.locator):
        return None
    picked = focus(question, p.norm, keep=2)
    if len(core & content_terms(" ".join(picked))) >= 2 and len(" ".join(picked)) <= 500:
        return " ".join(picked), p
    return None


def quote(sentence: str, n: int) -> str:
    return SAY["documents_say"].format(said=quotable(sentence), n=n)


def typed(best: Evidence, kind: str) -> str:
    """The value first when the sentence states one ('Tio år.'), then the sentence that states it;
    a sentence with several ('8 anbud kom in, 7 kvalificerade') is quoted whole, and so is a count,
    whose noun may be an adjective away ('38 nya stolpar')."""
    quoted = quote(best.text, best.passage.n)
    if len(set(best.values)) != 1 or kind == "count":
        return quoted
    value = stated(best.values[0])
    return f"{value[:1].upper()}{value[1:]}. {quoted}"


def quotable(sentence: str) -> str:
    """A sentence as it reads, without table pipes, line breaks or markup."""
    text = re.sub(r"<br\s*/?>|\s*\|\s*", " ", sentence)
    return " ".join(re.sub(r"[*_#]{1,3}", "", text).split()).strip(" -")


_DATES = re.compile(r"\b(?:19|20)\d\d-\d\d-\d\d\b|\b(?:den )?\d{1,2} (?:" + "|".join(MONTHS) + r")(?: (?:19|20)\d\d)?\b")


def covers(question: str, passages: list[Passage]) -> bool:
    """Do the passages mention enough of what the question is about? If not, refuse without asking the LLM.
    Dates are left out: the scope has already held the passages to the dates named."""
    asked = _DATES.sub(" ", question)
    words: dict[str, set[str]] = {}  # each content word, with the documents' words for it ('vann': 'vinnare')
    for word in asked.split():
        for term in content_terms(word):
            words.setdefault(term, {term}).update(content_terms(synonyms(word)))
    if not words:
        return True
    best = max(sum(1 for alts in words.values() if alts & have) / len(words)
               for p in passages for have in (content_terms(f"{p.norm} {p.locator} {p.title}"),))
    return best >= 0.5
