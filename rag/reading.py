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
from dataclasses import replace
from typing import Callable

from .cite import Passage, names_in
from .evidence import TYPED, Evidence, MIN_RELEVANCE, held_by, rank, sentences
from .genre import KIND_SENTENCE, PARTY_LIST, PARTY_NAMES, PARTY_WORD, PERSON, VOTE_PROPOSITION
from .normalize import fold
from .question import Question, organs_in, same_organ
from .votes import counts_in_text

READ_RELEVANCE = MIN_RELEVANCE  # the span's § holds this share of the question's words, as for a typed value
KEYLESS_SHARE = 0.65  # ... or, without the rarest word of its matter, most of them
MOST_SENTENCES = 3  # a vote's Ja, Nej and Avstår lines
MOST_LINES = 4  # the lines of a list question ('Vilka partier reserverade sig …'); any other span is one sentence
_PARTY_IN_PARENS = re.compile(r"\(\s*[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5}\s*\)")
_PARTY_RUN = re.compile(r"\b(?:[A-ZÅÄÖ]{1,4})(?:\s*,\s*[A-ZÅÄÖ]{1,4})*\s+(?:och|samt)\s+[A-ZÅÄÖ]{1,4}\b")
_PARTY_ABBR = re.compile(r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, PARTY_NAMES), key=len, reverse=True)) + r")(?![\w-])")


def kind_of(q: Question) -> str | None:
    """The record kind a question asks about, as genre.toml [reading] names it ('roll:justerare')."""
    if not q.record:
        return None
    kind, role = q.record
    return f"roll:{role}" if kind == "roll" and role else kind


def states_kind(kind: str | None, e: Evidence) -> bool:
    """The sentence, or the section it stands in ('Reservation', 'Omröstning'), is of the kind."""
    if kind is None:
        return True
    pattern = KIND_SENTENCE.get(kind)
    if pattern is None:
        return True
    section = " ".join(e.passage.locator.split(" · ")[1:])
    return bool(pattern.search(e.text) or pattern.search(section))


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
    return True


def asks(sentence: str, q: Question) -> bool:
    """A sentence that only asks, or only repeats the question ('Finns det någon styrgrupp …?'), answers nothing."""
    if sentence.rstrip().endswith("?"):
        return True
    words = {w[:6] for w in re.findall(r"[a-zåäöé0-9]{4,}", fold(sentence))}
    asked = {w[:6] for w in re.findall(r"[a-zåäöé0-9]{4,}", fold(q.text))}
    return bool(words) and len(words - asked) < 2


def read_span(q: Question, passages: list[Passage], weights: dict[str, float] | None = None,
              kind: str | None = None, matter: Callable[[Passage], Passage] | None = None) -> list[Evidence]:
    """The sentences that answer: in the best passage about the question's matter (most of its words in the
    passage's § (`matter`: a 'Reservation' section rarely repeats what the § is about), its place or
    title, the rarest among them; the organ named its own), the best sentence of the kind with a
    candidate of the type and the party named; for a vote, every vote line of that passage. [] when no
    passage holds such a sentence."""
    for p in passages:
        share, keyed = held_by(q, matter(p) if matter else p, weights)
        if share < READ_RELEVANCE or not (keyed or share >= KEYLESS_SHARE) or not _organ_fits(q, p) \
                or not _number_fits(q, p):
            continue
        lines = [e for e in rank(q, [p], weights, limit=200) if states_kind(kind, e)
                 and (e.values if q.answer_type in TYPED else has_candidate(q.answer_type, e.text))
                 and _party_fits(q, e.text) and not asks(e.text, q)]
        if not lines:
            continue
        if kind != "omröstning":  # 'Vilka partier reserverade sig …': each line of the kind in the passage
            many = q.answer_type in {"party", "list"} or fold(q.text).lstrip().startswith("vilka")
            return _with_list(sorted(lines[:MOST_LINES], key=lambda e: e.at) if many else lines[:1])
        votes = sorted((e for e in lines if re.search(r"\d", e.text)), key=lambda e: e.at)[:MOST_SENTENCES]
        return _with_proposition(votes) or lines[:1]
    return []


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


def _number_fits(q: Question, p: Passage) -> bool:
    """'reservation 3', 'punkt 7': the passage is that one (its place or its text says so)."""
    where = fold(f"{p.locator} {p.norm}")
    if q.nummer and not re.search(rf"\b(?:reservation|sarskilt yttrande|sarskilda yttranden)\s*{q.nummer}\b", where):
        return False
    return not q.punkt or bool(re.search(rf"\bpunkt(?:en)?\s*{q.punkt}\b", where))


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
    parts = [f"{counts[k]} {label}" for k, label in (("ja", "ja"), ("nej", "nej"), ("avstår", "avstod"),
                                                     ("frånvarande", "frånvarande")) if k in counts]
    return ", ".join(parts)
