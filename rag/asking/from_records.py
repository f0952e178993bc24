"""Answers from records: the records of the asked kind that fit the question (its organ, date, matter,
the persons and parties it names), the sentence that states a record exactly, and the decision part
of the § a question is about."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cached_property

from ..genre import (ACROSS, DECISION_SECTION, MAIN_VOTE_WORDS, MONTHS, PHRASING, SAY, beteckning_key, date_in_words,
                     organs_in, same_organ)
from ..normalize import fold, path_words
from ..parsing import Chunk
from ..records import COUNTED, MEMBER_LISTS, Fact, Step, in_order
from .question import Question
from .retrieve import Retriever

ACROSS_ANSWERS = {"list", "count", "party", "person", "vote", "content"}  # what a list across meetings answers
COMPOUND = 6  # letters of a word's first part that may end another word ('budget…' in 'kommunbudget')
MOST_LISTED = 40  # records a list across meetings reads (its answer names the first of them and the total)
MOST_SHOWN = 15  # … and names in a chat answer (its lead gives the total; `rag ask --all` names every one)
FACT_RANK_LIMIT = 10  # a record is used only when one of its chunks is among the best hits


FACT_RANK_LIMIT_NAMED = 20  # ... or among more of them when the question names a person or an organ


TOPIC_FIT = 0.5  # ... and when it shares half of the question's topic words, and its organ is the one named


def of_report(q: Question, fact: Fact) -> bool:
    """The record is of the committee report the question names (its locator says 'bet. 2010/11:AU1')."""
    return beteckning_key(q.beteckning or "") in beteckning_key(fact.locator)


def of_meeting(q: Question, fact: Fact) -> bool:
    """The record is of the meeting the question names by its date (and organ, if named)."""
    return bool(q.dates) and fact.date in q.dates and (
        not q.organs or any(same_organ(o, fact.organ or "") for o in q.organs))


def part_item(kind: str, nummer: str, parties: list[str], punkt: str) -> str:
    """'reservation 3 (SD, punkt 7)': a report's part as a list names it."""
    about = ", ".join(parties + ([SAY["punkt"].format(punkt=punkt)] if punkt else []))
    return f"{COUNTED[kind][0]} {nummer}".strip() + (f" ({about})" if about else "")


def for_parties(f: Fact, parties: tuple[str, ...]) -> Fact:
    """A list of members told only for the parties the question names ('Vilka ledamöter från MP …')."""
    if f.kind not in MEMBER_LISTS or not parties:
        return f
    persons = [p for p in f.persons if p.get("party") in parties]
    return replace(f, persons=persons, parties=list(dict.fromkeys(p["party"] for p in persons))) if persons else f


def across(q: Question) -> bool:
    """The question asks for every record of its kind over §§ and meetings ('Vilka reservationer anmäldes i
    kommunstyrelsen under 2025, och i vilka ärenden?', '… den 7 januari 2026 respektive den 22 januari 2026'),
    not for the § that fits it best."""
    return bool(q.record) and not q.paragraf and not q.beteckning and q.answer_type in ACROSS_ANSWERS \
        and (bool(ACROSS.search(fold(q.text))) or len(q.dates) > 1 or len(q.years) > 1 and not q.dates
             or q.answer_type == "list" and bool(q.dates))  # 'Vilka yrkanden … den 8 juni 2023': the meeting's


def date_fits(q: Question, date: str | None) -> bool:
    """A date the question names ('2023-06-13') must be the record's date; a month ('i mars 2025') its month,
    and the year then too."""
    m = re.match(r"(\d{4})-(\d{2})-\d{2}$", date or "")
    if not m:
        return True
    if q.dates:
        return date in q.dates
    if not q.months:
        return True
    return any(int(m.group(2)) == month and (year or m.group(1)) == m.group(1) for month, year in q.months)


def date_words(date: str | None) -> str:
    """'2025-03-24' also as '24 mars 2025', the way questions name dates."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})$", date or "")
    return f"{date} {date_in_words(date)}" if m else ""


def word_keys(text: str) -> tuple[set[str], set[str]]:
    words = {w[:12] for w in re.findall(r"[0-9a-zåäöéü]+", fold(text))}
    prefixes = {w[:k] for w in words if len(w) >= 5 for k in range(5, len(w) + 1)}
    return words, prefixes


def word_match(word: str, keys: tuple[set[str], set[str]]) -> bool:
    """Equal, or (both at least 5 letters) one a prefix of the other: 'avfallstaxan' ~ 'avfall', 'tiggeri' ~ 'tiggeriförbud'."""
    words, prefixes = keys
    if word in words or (len(word) >= 5 and word in prefixes):
        return True
    return len(word) > 5 and any(word[:k] in words for k in range(5, len(word)))


def opening(text: str, length: int = 350) -> str:
    """The first sentences or points of a text, up to about `length` characters."""
    out = ""
    for part in re.split(r"(?<=[.!?])\s+|\n+(?=\s*[-•–*]\s)", text.strip()):
        if out and len(out) + len(part) > length:
            break
        out = f"{out} {part.strip()}".strip()
    return out


class RecordChooser:
    """The records that answer a question, among those of the kind it asks for; and the decision part
    of the § the best hits are about."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self._fact_words: dict[int, tuple[set[str], set[str]]] = {}  # per record: its words and their prefixes
        self._titles: tuple[set[str], set[str]] | None = None

    def facts(self, q: Question, hits) -> list[Fact]:
        if not q.record:
            return []
        if across(q):
            return self.listed(q)
        kind = q.record[0]
        rank = {h.chunk.id: r for r, h in enumerate(hits)}
        candidates = self.of_kind(q.record)
        if kind == "beslutsunderlag":  # items noted "med reservation (M)" or "särskilt yttrande (SD)", as asked
            folded = fold(q.text)
            wanted = {t for t, asked in (("reservation", re.search(PHRASING["reservation_asked"], folded)),
                                         ("särskilt yttrande", re.search(PHRASING["statement_asked"], folded))) if asked}
            wanted = wanted or {"särskilt yttrande"}
            candidates = [f for f in candidates if any(n["typ"] in wanted for n in f.details.get("noter", []))]
        elif kind in {"reservation", "särskilt yttrande"} and q.organs:
            # another body's decision, listed in the beslutsunderlag: "Miljönämndens beslut … Särskilt yttrande (SD)"
            candidates += [f for f in self.retriever.store.facts_of({"beslutsunderlag"})
                           if any(n["typ"] == kind for n in f.details.get("noter", []))
                           and not any(same_organ(o, f.organ or "") for o in q.organs)
                           and any(same_organ(o, body) for o in q.organs for body in organs_in(f.text))
                           and len(set(organs_in(f.text))) <= 2]  # one item, not a list flattened by OCR
        # a committee report the question names holds few records of a kind: each of them may answer,
        # wherever its chunks rank ('Hur många reservationer …', 'När justerades betänkande …')
        # a person or an organ the question names is a strong key: their record may rank lower among the hits
        limit = FACT_RANK_LIMIT_NAMED if q.persons or q.organs else FACT_RANK_LIMIT
        limit = len(hits) + 1 if q.beteckning else limit
        # ... and so is a meeting it names by organ and date ('på kommunfullmäktige den 8 juni 2023'): its
        # records of the kind asked are few, each may answer wherever its chunks rank
        scored = [(min((rank[c] for c in f.chunk_ids if c in rank),
                       default=len(hits) if q.beteckning and of_report(q, f)
                       else limit - 1 if of_meeting(q, f) else None), f) for f in candidates]
        scored = [(r, f) for r, f in scored if r is not None and r < limit]
        if not scored:
            return []
        named = set(q.parties)
        if named and any(named & set(f.parties) for _, f in scored):
            scored = [(r, f) for r, f in scored if named & set(f.parties)]  # "Sverigedemokraternas yttrande"
        if q.persons:  # "Vad yrkade Johan Tolinsson?": only records that name him, or none (then the text answers)
            said = {id(f): json.dumps(f.to_dict(), ensure_ascii=False) for _, f in scored}
            every = [(r, f) for r, f in scored if all(p.split()[-1] in said[id(f)] for p in q.persons)]
            # two capitalised words may be a company ('Göteborg Energis'): then a record that names one person
            scored = every or [(r, f) for r, f in scored if any(p.split()[-1] in said[id(f)] for p in q.persons)]
        # the record must be about what the question is about (its organ, date, matter), not only of its kind
        fits = [(self.fit(q, f), r, f) for r, f in scored]
        fits = [x for x in fits if x[0] >= TOPIC_FIT]
        if not fits:
            return []
        fit, _, best = min(fits, key=lambda x: (-x[0], x[1]))
        group = (best.doc, best.paragraf, best.organ)
        if kind == "omröstning" and best.paragraf:  # every vote of the §, in order, unless the main vote is asked
            votes = [f for _, _, f in fits if (f.doc, f.paragraf, f.organ) == group] or [best]
            return votes[-1:] if MAIN_VOTE_WORDS & set(fold(q.text).split()) else votes
        if kind == "beslutsunderlag":  # its items are a list: every one of the § noted as asked, wherever it ranks
            return [f for f in candidates if (f.doc, f.paragraf, f.organ) == group and self.fit(q, f) >= TOPIC_FIT]
        return [f for ft, _, f in sorted(fits, key=lambda x: x[1])
                if (f.doc, f.paragraf, f.organ) == group and ft >= fit - 1e-9] or [best]

    def of_kind(self, record: tuple[str, str | None]) -> list[Fact]:
        """The index's records of a kind (and role, for roles), as a question's `record` names it."""
        kind, role = record
        return [f for f in self.retriever.store.facts_of({kind}) if role is None or f.details.get("roll") == role]

    def listed(self, q: Question) -> list[Fact]:
        """Every record of the kind asked, over every § and meeting in the question's scope (its organ, year,
        month, party, matter), wherever it ranks: a list asked for is complete, in date order."""
        kind = q.record[0]
        scoped = [f for f in self.of_kind(q.record) if (not q.years or q.dates or q.months or (f.date or "")[:4] in q.years)
                  and (not q.parties or set(q.parties) & set(f.parties))]
        if kind == "yrkande" and q.outcome:  # 'Vilka återremisser – yrkanden eller beslut –': those yrkanden, and
            scoped = [f for f in scoped if f.details.get("typ") == q.outcome] + [  # the records of that outcome
                f for f in self.retriever.store.facts_of({q.outcome})
                if (not q.years or q.dates or q.months or (f.date or "")[:4] in q.years)]
        fits = [f for f in scoped if self.fit(q, f) >= TOPIC_FIT]
        once: dict[tuple, Fact] = {}  # a sentence that is both a yrkande and an återremiss, once
        for f in fits:
            once.setdefault((f.doc, f.paragraf, f.text), f)
        return sorted(once.values(), key=in_order)

    def warm(self) -> None:
        self.paragrafer  # noqa: B018 (made now, not on a question)
        self.title_keys()

    @cached_property
    def paragrafer(self) -> list[Step]:
        """Every § of the index with what was decided, read once (on the first question that lists items)."""
        return [s for d in self.retriever.store.steps for s in d.steps]

    def decision(self, q: Question, hits) -> Chunk | None:
        """The decision part ('Beslut') of the § the best hits are about, taken by the organ the question
        names: a nämnd's decision quoted in a kommunstyrelse's handlingar is not the kommunstyrelse's."""
        of = self.retriever.store.paragraf_chunks([(h.chunk.doc, h.chunk.paragraf) for h in hits if h.chunk.paragraf])
        for h in hits:  # the last decision chunk of the §: a proposal may come first
            decided = next((c for c in reversed(of.get((h.chunk.doc, h.chunk.paragraf), [])) if c.section == DECISION_SECTION), None)
            if decided is None:
                continue
            deciding = organs_in(opening(decided.norm, 1))[:1]
            if q.organs and deciding and not any(same_organ(o, deciding[0]) for o in q.organs):
                continue
            return decided
        return None

    def title_keys(self) -> tuple[set[str], set[str]]:
        """The words of every § title in the index: the matters the corpus decides on."""
        if self._titles is None:
            self._titles = word_keys(" ".join({t for d in self.retriever.store.steps for t in d.titles}))
        return self._titles

    def fit(self, q: Question, fact: Fact) -> float:
        """Share of the question's topic words that the record's organ, date, § title and text contain;
        0 when the question names organs ('i kommunfullmäktige', 'miljönämndens') and none is the record's."""
        if q.beteckning and not of_report(q, fact):
            return 0.0  # another committee report
        if q.nummer and "nummer" in fact.details and fact.details["nummer"] != q.nummer:
            return 0.0  # 'reservation 3' of a report that numbers its reservationer
        if q.punkt and "punkt" in fact.details and fact.details["punkt"] != q.punkt:
            return 0.0
        topic = q.topic
        if not topic:
            return 1.0
        organ = word_keys(fact.organ or "")
        # an item of the beslutsunderlag is another body's decision: 'Arbetsmarknads- och socialnämndens beslut …'
        bodies = [fact.organ or ""] + (organs_in(fact.text) if fact.kind == "beslutsunderlag" else [])
        if q.organs and not any(same_organ(o, body) for o in q.organs for body in bodies):
            return 0.0
        if not date_fits(q, fact.date):
            return 0.0  # 'i februari 2025' asks about another meeting than one held in January
        key = id(fact)
        if key not in self._fact_words:
            # the document's path names the municipality or body ('kungsbacka/ks/…', 'jonkoping/…')
            texts = [fact.organ or "", date_words(fact.date), fact.title or "", fact.locator, fact.text,
                     path_words(fact.doc)]
            texts += [c.norm for c in map(self.retriever.chunk, fact.chunk_ids) if c]
            self._fact_words[key] = word_keys(" ".join(texts))
        share = sum(1 for w in topic if word_match(w, self._fact_words[key])) / len(topic)
        # the matter: question words that name what some § of the corpus is about ('biblioteksplanen',
        # 'avfallstaxan'); a record about another matter does not fit, however well organ and date do
        matter = [w for w in topic if not w.isdigit() and w not in MONTHS and not word_match(w, organ)
                  and word_match(w, self.title_keys())]
        if matter and not any(word_match(w, self._fact_words[key]) for w in matter):
            return 0.0
        return share
