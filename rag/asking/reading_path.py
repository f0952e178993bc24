"""The reading path: the span of the passages that states what a question asks, when no record fits.

The parser misses layouts it was not built on (a vote written 'röstar Ja (7)', jäv in
running text, a betänkande converted to Markdown); the passage still states the answer.
For a question about a record kind (who reserved, how they voted, who had jäv) the answer
is the smallest span of the best passages that holds the question's words, a sentence of
the kind asked about (genre.toml [reading]) and a candidate of the expected type (a name
with party, a party, Ja/Nej counts); no such sentence means the documents do not say.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from ..parsing import Chunk
from .passages import Passage, names_in
from .evidence import TYPED, Evidence, MIN_RELEVANCE, headings, held_by, rank, sentences
from ..genre import (KIND_SENTENCE, MONTHS, PARTY_LIST, PARTY_NAMES, PARTY_WORD, PERSON, PHRASING, PROCEDURE_ACTS,
                     PROCEDURE_WORDS, STOPWORDS, VOTE_COUNT_WORDS, VOTE_PROPOSITION, organs_in, same_organ)
from ..normalize import fold
from .question import Question
from ..parsing import counts_in_text

READ_RELEVANCE = MIN_RELEVANCE  # the span's § holds this share of the question's words, as for a typed value
KEYLESS_SHARE = 0.65  # ... or, without the rarest word of its matter, most of them
MOST_SENTENCES = 3  # a vote's Ja, Nej and Avstår lines
MOST_LINES = 4  # the lines of a list question ('Vilka partier reserverade sig …'); any other span is one sentence
_PARTY_IN_PARENS = re.compile(r"\(\s*[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5}\s*\)")
_PARTY_RUN = re.compile(rf"\b(?:[A-ZÅÄÖ]{{1,4}})(?:\s*,\s*[A-ZÅÄÖ]{{1,4}})*\s+(?:{PHRASING['and']})\s+[A-ZÅÄÖ]{{1,4}}\b")
_ABBR = "|".join(sorted(map(re.escape, PARTY_NAMES), key=len, reverse=True))
_PARTY_ABBR = re.compile(rf"(?<![\w-])(?:{_ABBR})(?![\w-])")
_PARTIES_AFTER = re.compile(rf"\s*\(?\s*((?:{_ABBR})(?:\s*(?:,|\+|{PHRASING['and']})\s*(?:{_ABBR}))*)(?![\w-])")


def kind_of(q: Question) -> str | None:
    """The record kind a question asks about, as genre.toml [reading] names it ('roll:justerare')."""
    if not q.record:
        return None
    kind, role = q.record
    return f"roll:{role}" if kind == "roll" and role else kind


def states_kind(kind: str | None, e: Evidence, innermost: bool = False) -> bool:
    """The sentence, or the section it stands in ('Reservation', 'Omröstning'; only the `innermost`
    one: a reservation's 'Förslag till riksdagsbeslut' names the motions' authors, not its own), is of the kind."""
    return kind not in KIND_SENTENCE or holds_kind(kind, e.text, e.passage.locator, innermost)


def holds_kind(kind: str | None, text: str, locator: str, innermost: bool = True) -> bool:
    """A text states the kind, itself or by its section ('Justering', 'Särskilt yttrande 2')."""
    pattern = KIND_SENTENCE.get(kind or "")
    parts = headings(locator)
    return bool(pattern and (pattern.search(text) or pattern.search(" ".join(parts[-1:] if innermost else parts))))


def has_candidate(answer_type: str, text: str) -> bool:
    """A value of the type the question expects: a person, a party, counts, an organ."""
    if answer_type == "person":
        return bool(PERSON.search(text) or names_in(text))
    if answer_type == "party":
        return bool(_PARTY_IN_PARENS.search(text) or PARTY_WORD.search(text) or PARTY_LIST.search(text)
                    or _PARTY_RUN.search(text) or _PARTY_ABBR.search(text))
    if answer_type == "vote":
        return bool(re.search(r"\d", text))
    if answer_type == "organ":
        return bool(organs_in(text))
    if answer_type == "punkt":  # 'Vilken punkt gäller reservation 2?'
        return bool(re.search(PHRASING["punkt_named"], text))
    return True


def asks(sentence: str, q: Question) -> bool:
    """A sentence that only asks, or only repeats the question ('Finns det någon styrgrupp …?'), answers nothing;
    a party or a name the question does not hold is news ('Partigrupp S och MP reserverar sig mot beslutet')."""
    return sentence.rstrip().endswith("?") or _news(sentence, q) < 2


def restates(answer: str, q: Question) -> bool:
    """An answer with no word the question lacks ('X gjordes ändringar som …') says nothing; 'Studor AB' does."""
    return _news(answer, q) == 0


def _news(sentence: str, q: Question) -> int:
    """How many words (and parties) a sentence holds that the question does not; for a question about what a
    matter holds, that it was approved, by whom and when is no news."""
    folded = re.findall(r"[a-zåäöé0-9]{4,}", fold(sentence))
    question = re.findall(r"[a-zåäöé0-9]{4,}", fold(q.text))
    news = {w[:6] for w in folded} - {w[:6] for w in question}
    if q.answer_type in _CONTENT_ANSWERS and not any(w.startswith(PROCEDURE_ACTS) for w in question):
        news -= {w[:6] for w in folded if w.startswith(PROCEDURE_WORDS) or w in _STOP or w in MONTHS or w.isdigit()}
    named = set(_PARTY_ABBR.findall(sentence)) - set(_PARTY_ABBR.findall(q.text))
    return len(news) + len(named) if folded else 2


_CONTENT_ANSWERS = {"list", "content", "reason"}  # what a matter holds, not who decided it or when
_STOP = {fold(w) for w in STOPWORDS}


def read_span(q: Question, passages: list[Passage], weights: dict[str, float] | None = None,
              kind: str | None = None, matter: Callable[[Passage], Passage | None] | None = None) -> list[Evidence]:
    """The sentences that answer: in the best passage about the question's matter (most of its words in the
    passage's § (`matter`: a 'Reservation' section rarely repeats what the § is about), its place or
    title, the rarest among them; the organ named its own), the best sentence of the kind with a
    candidate of the type and the party named; for a vote, every vote line of that passage. [] when no
    passage holds such a sentence."""
    wholes = [(p, matter(p) if matter else p) for p in passages]  # None: its § is about another matter
    about = [p for p, whole in wholes if whole is not None and _about(q, whole, weights) and _organ_fits(q, p)
             and number_fits(q, f"{p.locator} {p.norm}")]
    for innermost in (True, False):  # a line of the kind in its own section first, then in an enclosing one
        for p in about:
            lines = [e for e in (_with_candidate(q, kind, e) for e in rank(q, [p], weights, limit=200)) if e is not None
                     and states_kind(kind, e, innermost) and _party_fits(q, e.text) and not asks(e.text, q)]
            if lines:
                return _span_of(q, kind, lines)
    return []


def _about(q: Question, p: Passage, weights: dict[str, float] | None) -> bool:
    """The passage (its §) holds most of the question's words, and the rarest of them or nearly all."""
    share, keyed = held_by(q, p, weights)
    return share >= READ_RELEVANCE and (keyed or share >= KEYLESS_SHARE)


def _with_candidate(q: Question, kind: str | None, e: Evidence) -> Evidence | None:
    """The line with a candidate of the type asked (a value, when one is asked); a line that names no one
    ('På arbetsmarknadsutskottets vägnar') read with a short next line that does (the name); else None."""
    if q.answer_type in TYPED:
        return e if e.values else None
    if has_candidate(q.answer_type, e.text):
        return e
    if q.answer_type != "person" or not holds_kind(kind, e.text, ""):
        return None
    if has_candidate("party", e.text):
        return e  # 'Vilka reserverade sig …': 'Partigrupp KD och M reserverar sig' names the party group
    following = sentences(e.passage)[e.at + 1:e.at + 2]
    if following and len(following[0]) < 80 and has_candidate(q.answer_type, following[0]):
        return replace(e, text=f"{e.text} {following[0]}")
    return None


def _span_of(q: Question, kind: str | None, lines: list[Evidence]) -> list[Evidence]:
    """The answering lines of one passage: one sentence, the lines of a list, or a vote's lines."""
    if kind != "omröstning":  # 'Vilka partier reserverade sig …': each line of the kind in the passage
        many = q.answer_type in {"party", "list"} or fold(q.text).lstrip().startswith("vilka")
        return _with_list(sorted(lines[:MOST_LINES], key=lambda e: e.at) if many else lines[:1])
    votes = sorted((e for e in lines if re.search(r"\d", e.text)), key=lambda e: e.at)[:MOST_SENTENCES]
    return _with_proposition(votes) or lines[:1]


def parties_of_kind(kind: str | None, text: str) -> list[str]:
    """The parties written right after the kind's words: 'Yrkande från S, V och MP särskilt yttrande C',
    'Särskilt yttrande (SD)' -> the yttrande's party, not the yrkande's."""
    pattern = KIND_SENTENCE.get(kind or "")
    found: list[str] = []
    for m in pattern.finditer(text) if pattern else ():
        after = _PARTIES_AFTER.match(text, m.end())
        found += _PARTY_ABBR.findall(after.group(1)) if after else []
    return list(dict.fromkeys(found))


def _with_proposition(votes: list[Evidence]) -> list[Evidence]:
    """A vote's lines led by what Ja and Nej stood for ('Godkänd voteringsproposition: Ja för …'), when
    the passage states it before them."""
    if not votes:
        return votes
    first = votes[0]
    before = sentences(first.passage)[:first.at]
    at = next((i for i in range(len(before) - 1, -1, -1) if any(p.search(before[i]) for p in VOTE_PROPOSITION)), None)
    return votes if at is None else [replace(first, text=before[at], at=at)] + votes


def _with_list(span: list[Evidence]) -> list[Evidence]:
    """A line ending in a colon ('anmäler jäv under följande paragrafer:') is answered by what follows it."""
    last = span[-1]
    if not last.text.rstrip().endswith(":"):
        return span
    rest = [t for t in sentences(last.passage)[last.at + 1:] if re.search(r"\w{2}", t)][:2]
    return span + [replace(last, text=t, at=last.at + i) for i, t in enumerate(rest, 1)]


def number_fits(q: Question, where: str) -> bool:
    """'reservation 3', 'punkt 7': the text (a passage's place and words, or a locator) is that one's."""
    where = fold(where)
    if q.nummer and not re.search(rf"{PHRASING['numbered_part']}{q.nummer}\b", where):
        return False
    return not q.punkt or bool(re.search(rf"{PHRASING['punkt_number']}{q.punkt}\b", where))


def _organ_fits(q: Question, p: Passage) -> bool:
    """A record of the organ the question names is that organ's own, not one its text mentions."""
    own = organs_in(p.locator.split(" · ")[0])
    return not q.organs or not own or any(same_organ(o, own[-1]) for o in q.organs)


def _party_fits(q: Question, text: str) -> bool:
    """'Hur röstade SD …': the line must name the party."""
    return not q.parties or any(re.search(rf"\b{re.escape(p)}\b", text) or fold(PARTY_NAMES.get(p, p))[:8] in fold(text)
                                for p in q.parties)


def vote_counts(span: list[Evidence]) -> str:
    """'9 ja, 4 nej' when the span's lines state counts in any notation the genre uses; '' otherwise."""
    found = counts_in_text(" ".join(e.text for e in span))
    if not found:
        return ""
    counts, _ = found
    parts = [f"{counts[k]} {label}" for k, label in VOTE_COUNT_WORDS.items() if k in counts]
    return ", ".join(parts)


@dataclass(frozen=True)
class ReportPart:
    """A committee report's reservation or särskilt yttrande as its heading names it ('Reservation 3 (S, MP)'
    under which 'punkt 3' stands): how many there are, and whose, read from the report's own headings."""
    nummer: str
    parties: tuple[str, ...]
    punkt: str
    chunk_ids: tuple[str, ...]  # every chunk under the heading, in order


def report_parts(kind: str, chunks: Iterable[Chunk]) -> list[ReportPart]:
    """The report's parts of the kind ('reservation', 'särskilt yttrande'), each once, in the report's order."""
    found: dict[tuple[str, str], tuple[str, list[str]]] = {}  # (nummer, parties) -> punkt, chunk ids
    for c in chunks:
        heads = c.locator.split(" · ")
        for i, head in enumerate(heads):
            m = _PART_HEAD.match(head)
            if not m or fold(m["kind"]) != fold(kind) or not (m["n"] or m["parties"]):
                continue
            punkt = next((p[1] for p in map(_PUNKT_HEAD.match, heads[i + 1:]) if p), "")
            found.setdefault((m["n"] or "", m["parties"] or ""), (punkt, []))[1].append(c.id)
    return [ReportPart(n, tuple(_PARTY_ABBR.findall(parties)), punkt, tuple(ids))
            for (n, parties), (punkt, ids) in found.items()]


_PART_HEAD = re.compile(r"^(?P<kind>[^\d()]+?)(?:\s+(?P<n>\d{1,3}))?\s*(?:\((?P<parties>[^()]+)\))?$")
_PUNKT_HEAD = re.compile(PHRASING["punkt_heading"])
