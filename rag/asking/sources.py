"""The evidence stage: what a question is answered from, read from its sources in order — the records that fit,
a committee report's own parts, the reading path's span, a § decision, a typed value — or, when none of them
states the answer and the passages hold what the question names, the passages the model reads, with what is
quoted should the model refuse. Nothing here writes an answer (write.py does); a refusal here is earned by
the evidence (`grounded`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable

from ..genre import MONTHS, RECORD_INTENTS, beteckning_key, organs_in, same_organ, without_planted
from ..normalize import fold, path_words
from ..parsing import Chunk
from ..records import CONTENT_RECORDS, COUNTED, Fact, Matter, Step
from .evidence import GROUNDED, GROUNDED_UNSCOPED, TYPED, Evidence, Grounding, asked_values, grounding, \
    named_elsewhere, rank, supported_value, term_weights
from .from_records import MOST_LISTED, MOST_SHOWN, RecordChooser, across, opening, word_keys, word_match
from .lists import Compared, ListChooser, differences, on_every_list
from .passages import Passage, names_in
from .question import Question
from .quotes import best_passage, best_sentence, covers
from .reading_path import asks, holds_kind, kind_of, number_fits, read_span, report_parts, states_kind
from ..store import Filters
from .retrieve import Hit, Retriever

# answers that only a record gives: who, which party, how they voted; no fitting record means no answer
RECORD_ANSWERS = {"person", "party", "vote", "count", "list", "yesno", "organ", "punkt"}
RECORD_VALUES = {"omröstning", "sammanträde", "justering"}  # records that hold the counts or times a question may ask for
# a model's refusal is overridden by the reading path's span only for a question whose answer has a type
# that code can see (a name, a party, counts, a value) and whose words the first passages nearly all hold
OVERRIDABLE = {"person", "party", "vote", "count", "organ", "amount", "date", "duration"}
OVERRIDE_SHARE = 0.8
READ_EXTRA = 3  # a named report's chunks of the kind asked, after the retrieved passages (reading path)
STATED_RELEVANCE = 0.5  # the model refused: a sentence holding this share (with its § title) is quoted instead
STATED_WORDS = 4  # … and has at least this many words ('Tidigare behandling' is a heading)
SAID_ANSWERS = {"list", "content", "reason"}  # … and, for these, holds a word of the matter itself, not only its title
# what a § 's Beslut answers, and is read first for: what was decided, and where, who or which it names
DECIDED = {"decision", "place", "list", "person", "organ"}
DECISION_RELEVANCE = 0.6  # a Beslut sentence answers a where/who/which question when it holds most of its words
# a report's part as a list names it: (number, parties, punkt, the chunks that state it)
Part = tuple[str, list[str], str, list[str]]


@dataclass
class Turn:
    """One question on its way: what it asks, whether the documents can hold it, what was found."""
    q: Question
    query: str
    unscoped: bool  # what the question names is in no document as the scope reads it: searched everywhere
    hits: list[Hit]
    facts: list[Fact]
    decided: Chunk | None
    passages: list[Passage]
    matter_of: dict[str, Matter] = field(default_factory=dict)  # a passage's chunk id -> its matter (> 1 step)
    matter: Matter | None = None  # the matter whose way the question asks about
    items: list[Step] = field(default_factory=list)  # the §§ of the kind of item it lists ('Vilka motioner …')
    reports: list[tuple[str, str, list[Part]]] = field(default_factory=list)  # several reports' parts asked
    acts: bool = False  # the records are what the party it names did in its matter ('Hur agerade S i …?')
    along: bool = False  # … or those of the kind asked along its matter, of the bodies it names
    in_all: list[dict] | None = None  # … or several reports' member lists: the members on every one of them
    earlier: dict[tuple, list[Step]] = field(default_factory=dict)  # (doc, §) of an item -> earlier steps only named
    beside: dict[tuple, list[Fact]] = field(default_factory=dict)  # … -> its records of the kind asked beside
    compared: Compared | None = None  # a list at two meetings: who was on it only at each, and how many at both
    shown: int = MOST_SHOWN  # the items a list answer names (its lead gives the total)


@dataclass
class Found:
    """What states the answer, and from which source (`route`, as the Answer reports it)."""
    route: str
    refused: bool = False
    facts: list[Fact] = field(default_factory=list)  # the records that fit
    kind: str | None = None  # ... or a report's parts of this kind, listed
    parts: list[Part] = field(default_factory=list)
    span: list[Evidence] = field(default_factory=list)  # the reading path's lines
    quoted: tuple[str, int] | None = None  # a sentence and its passage's number
    value: Evidence | None = None  # a typed value and its sentence
    fallback: Found | None = None  # route 'llm': what is quoted if the model refuses or writes nothing supported
    listed: bool = False  # the records are every one of a kind over §§ and meetings, told as a list
    matter: Matter | None = None  # a matter's way through its meetings, step by step
    items: list[Step] = field(default_factory=list)  # the §§ of a kind of item in scope, with their decisions
    reports: list[tuple[str, str, list[Part]]] = field(default_factory=list)  # several reports' parts of kinds
    decided: Chunk | None = None  # the § decision quoted from: its body, meeting and § lead the quote
    in_all: list[dict] | None = None  # the members on every one of the member lists in `facts`
    compared: Compared | None = None  # the list at two meetings compared


class Sources:
    """The index's sources for the answer step, with what is read once per index (term weights, §§)."""

    def __init__(self, retriever: Retriever, k: int, use_facts: bool, shown: int = MOST_SHOWN) -> None:
        self.retriever = retriever
        self.k = k
        self.use_facts = use_facts  # False: no records and no record routes (the reading path on any layout)
        self.shown = shown  # the items a list answer names; all of them ('rag ask --all'): a large number
        self.records = RecordChooser(retriever)
        self.lists = ListChooser(self.records)
        self._weights: dict[str, float] | None = None

    @property
    def weights(self) -> dict[str, float]:
        if self._weights is None:
            self._weights = term_weights(self.retriever.store.stem_counts(), self.retriever.size)
        return self._weights

    def gather(self, q: Question, query: str, unscoped: bool, hits: list[Hit], llm: bool,
               absent: str | None = None) -> tuple[Turn, Found]:
        """The stage's one entry: the turn's records and passages, and the source that answers; `absent`
        (the scope's): what the question names is no document's, and the refusal is earned."""
        turn = self.turn(q, query, unscoped, hits)
        return turn, Found("scope", refused=True) if absent else self.find(turn, llm)

    def turn(self, q: Question, query: str, unscoped: bool, hits: list[Hit]) -> Turn:
        """The records that fit and the passages, numbered: the decision's or the records' chunks first."""
        turn = self._chosen(q, query, unscoped, hits)
        turn.passages = self._numbered(turn)
        chunks = {p.chunk_id: self.retriever.chunk(p.chunk_id) for p in turn.passages}
        turn.matter_of = {cid: m for cid, c in chunks.items() if c is not None and (m := self.lists.matter_at(c)) is not None}
        return turn

    def _chosen(self, q: Question, query: str, unscoped: bool, hits: list[Hit]) -> Turn:
        """What the records say to the question, the first of these that fits: a list of §§ (items of a kind, or
        about a matter), a matter's way, a party's doings, the records along a matter, the member lists of
        several reports, a list at two meetings, the records that fit; and the § decision it is about."""
        records = self.use_facts
        items = self.lists.items(q) if records else []
        matter = self.lists.matter_asked(q, hits) if not items else None
        # the §§ about what a list (or a matter's way, where no matter links them) asks about
        items = items or (self.lists.about(q) if records and matter is None else [])
        acts = self.lists.party_acts(q) if records and not items else []  # 'Hur agerade S i …?'
        along = self.lists.along(q, hits) if records and not items and not acts else []
        lists = self.lists.member_lists(q) if records and not items else []  # 'både om A och om B'
        meetings = self.lists.at_meetings(q) if records and not items else []  # 'Jämför … A och … B'
        facts = acts or along or lists or [f for fs in meetings for f in fs] or (
            self.records.facts(q, hits) if records and not items else [])
        decided = self.records.decision(q, hits[: self.k]) if q.answer_type in DECIDED and not items else None
        return Turn(q, query, unscoped, hits, facts, decided, passages=[], matter=matter, items=items,
                    reports=self._reports_asked(q) if records else [], acts=bool(acts), along=bool(along),
                    in_all=on_every_list(lists) if lists else None,
                    earlier=self.lists.earlier(items) if items and q.item is None else {},  # §§ about a matter: history
                    beside=self.lists.beside(q, items),  # 'Vilka beslut och yrkanden …': each §'s records of the kind
                    compared=differences(meetings) if meetings else None, shown=self.shown)

    def _numbered(self, turn: Turn) -> list[Passage]:
        """The passages in the order they are read and cited: the decision, a matter's steps or the listed §§,
        the records, then the retrieved hits."""
        q, facts, matter, items = turn.q, turn.facts, turn.matter, turn.items
        ordered: list[str] = [turn.decided.id] if turn.decided else []
        most = max(MOST_LISTED, self.shown)  # the records a list reads, each cited where it stands
        ordered += [s.chunk_id for s in (matter.steps if matter else items[:most])
                    if s.chunk_id and s.chunk_id not in ordered]
        ordered += [c for s in (matter.steps if matter else []) for *_, c in s.said if c not in ordered]
        ordered += [c for fs in turn.beside.values() for f in fs for c in f.chunk_ids[:1] if c not in ordered]
        ordered += [c for *_, parts in turn.reports for *_, chunks in parts for c in chunks[:1] if c not in ordered]
        listed = across(q) and bool(facts) or bool(items) or turn.acts or turn.along
        for f in facts[:most] if listed else facts:  # a list cites each record where it stands
            ordered += [c for c in (f.chunk_ids[:1] if listed else f.chunk_ids) if c not in ordered]
        ordered += [h.chunk.id for h in turn.hits[: self.k] if h.chunk.id not in ordered]
        if q.record and q.beteckning and not facts:  # the reading path: the named report's part of the kind
            ordered += [c.id for c in self._report_parts(q) if c.id not in ordered][:READ_EXTRA]
        # what addresses the reader or the system is no record: never read, quoted or shown to the model
        return [Passage(n, cid, c.doc, c.locator, without_planted(c.text), without_planted(c.norm), c.title or "")
                for n, cid in enumerate(ordered[: (most if listed or matter else 0) + self.k + 4], 1)
                for c in (self.retriever.chunk(cid),)]

    def find(self, turn: Turn, llm: bool) -> Found:
        """The first source that states the answer, in the order of trust; the refusals the evidence earns;
        else the model's turn."""
        q, passages = turn.q, turn.passages
        if turn.items:  # 'Vilka motioner avslogs …': every § of the kind in scope, with its decision
            return Found("record", items=turn.items)
        if turn.reports:  # 'Jämför 2010/11:AU1 och 2018/19:AU1: hur många reservationer …': each report's
            return Found("record", reports=turn.reports)
        if turn.in_all is not None:  # 'Vilka ledamöter deltog i besluten både om A och om B?'
            return Found("record", facts=turn.facts, in_all=turn.in_all)
        if turn.compared is not None:  # 'Jämför vilka som fick beslutet … A och … B'
            return Found("record", facts=turn.facts, compared=turn.compared)
        if turn.matter is not None:  # 'I vilka organ behandlades ärendet …?': its steps
            return Found("matter", matter=turn.matter)
        if turn.facts and (across(q) or turn.acts or turn.along):  # every record of the kind over the meetings asked about
            return Found("record", facts=turn.facts, listed=True)
        if turn.facts and (not q.content or turn.facts[0].kind in CONTENT_RECORDS) and (
                q.answer_type not in TYPED or turn.facts[0].kind in RECORD_VALUES):
            return Found("record", facts=turn.facts)
        if q.answer_type == "count" and q.beteckning and turn.facts and turn.facts[0].kind in COUNTED:
            return self._counted(turn)  # 'Hur många reservationer finns i betänkande …': the report's own records
        if _lists_parts(q) and not turn.facts:  # … or its headings: 'Vilka partier lämnade särskilda yttranden?'
            listed = self._read_parts(turn)
            if listed is not None:
                return listed
        if _asks_for_record(q):  # who, which party, how they voted: the sentence that says it, or nobody
            span = read_span(q, passages, self.weights, kind_of(q), self.matter_of(q)) if self.grounded(turn) else []
            return Found("reading", span=span) if span else Found("evidence", refused=True)
        decision = self._decision(turn)
        if decision is not None:
            return decision
        if q.answer_type in TYPED:  # an amount, a date, a count: the sentence that states it (else read on)
            ranked = rank(q, passages[: self.k], self.weights)
            kind = kind_of(q)  # 'När justerades …': a date the 'Justering' states before one another sentence holds
            best = supported_value(q, sorted(ranked, key=lambda e: not states_kind(kind, e, innermost=True)))
            if best is not None:
                return Found("typed", value=best)
        if not self.grounded(turn):
            return Found("evidence", refused=True)
        if not llm:
            return Found("no llm", refused=True)
        return Found("llm", fallback=self.after_refusal(turn))

    def _decision(self, turn: Turn) -> Found | None:
        """The § decision the question is about: its opening for what was decided; its sentence that holds
        most of the question's words for where or who."""
        q, passages = turn.q, turn.passages
        if turn.decided is None:
            return None
        if q.answer_type == "decision" and covers(q.text, passages[:1]):
            return Found("decision", quoted=(opening(turn.decided.norm), passages[0].n), decided=turn.decided)
        if not q.content and q.answer_type in {"place", "person"}:
            said = rank(q, passages[:1], self.weights, limit=1)  # 'Var inrättas …?': the Beslut sentence
            if said and said[0].keyed and said[0].relevance >= DECISION_RELEVANCE and (
                    q.answer_type != "person" or names_in(said[0].text)):
                return Found("decision", quoted=(said[0].text, passages[0].n), decided=turn.decided)
        return None

    def after_refusal(self, turn: Turn) -> Found:
        """Should the model give up or write nothing the passages support: a refusal is earned by the evidence,
        so a passage that states the answer is quoted instead — a sentence with most of the question's words,
        a candidate the model may not refuse (`OVERRIDE_SHARE`), or the sentence the matter's § states."""
        q, passages = turn.q, turn.passages
        found = best_sentence(q, passages[:3], self.weights) or best_passage(q.text, passages[:3], q.content)
        if found and q.answer_type in TYPED and not asked_values(q, found[0]):
            found = None
        if found and q.answer_type == "decision" and not _decided_by(found[0], q):
            found = None  # 'Barn- och utbildningsnämnden beslutar …' is no answer to what fullmäktige decided
        if found:
            return Found("quote", quoted=(found[0], found[1].n))
        # a record kind says which sentence answers ('reserverar sig'); without one a name is no answer
        strong = q.answer_type in OVERRIDABLE and self.grounding(turn).share >= OVERRIDE_SHARE and (
            q.answer_type in TYPED or kind_of(q) is not None)
        span = read_span(q, passages[:3], self.weights, kind_of(q), self.matter_of(q)) if strong else []
        if span:  # the first passages hold the question's words and a candidate: the model may not refuse
            return Found("override", quoted=(span[0].text, span[0].passage.n))
        span = self._stated(turn)
        return Found("stated", span=span) if span else Found("llm", refused=True)

    def _stated(self, turn: Turn) -> list[Evidence]:
        """What the best passages state about the question's matter: the sentence that, with its § title,
        holds most of the question's words and the rarest of them (a value of the asked kind if one is
        asked); for who / which party, the lines of that passage that name them. [] unless grounded."""
        q = turn.q
        if not self.grounded(turn):
            return []
        said = [e for e in rank(q, turn.passages[:3], self.weights, limit=20)  # a heading states nothing
                if not asks(e.text, q) and (q.answer_type not in TYPED or e.values) and len(e.text.split()) >= STATED_WORDS
                and (q.answer_type not in SAID_ANSWERS or _says_about(e.text, q)) and _names_held(e, q)
                and (q.answer_type != "decision" or _decided_by(e.text, q, subject=True))]
        if not said or not said[0].keyed or said[0].relevance < STATED_RELEVANCE:
            return []
        if q.answer_type in {"party", "person"}:
            return read_span(q, turn.passages[:3], self.weights, kind_of(q), self.matter_of(q)) or said[:1]
        return said[:1]

    def grounding(self, turn: Turn) -> Grounding:
        return grounding(turn.q, turn.passages[: self.k], self.weights)

    def grounded(self, turn: Turn) -> bool:
        """The one refusal rule: the passages hold what the question names and most of its words; a name
        found in no document in any form asks for more of them."""
        doubt = turn.unscoped or bool(named_elsewhere(turn.q, turn.passages[: self.k]))
        return self.grounding(turn).answers(GROUNDED_UNSCOPED if doubt else GROUNDED)

    def _reports_asked(self, q: Question) -> list[tuple[str, str, list[Part]]]:
        """For a question that names several reports and counts or lists their reservationer or särskilda
        yttranden: each report's parts of each kind asked (of the parties named), from its records."""
        if len(q.beteckningar) < 2 or q.answer_type not in {"count", "list", "party", "content", "yesno"}:
            return []
        said = [(m.start(), k) for k, _, pattern in RECORD_INTENTS if k in COUNTED and (m := pattern.search(fold(q.text)))]
        kinds = [k for _, k in sorted(said)]  # in the question's order
        out = []
        for beteckning in q.beteckningar:
            for kind in dict.fromkeys(kinds):
                facts = sorted((f for f in self.retriever.store.facts_of({kind})
                                if beteckning_key(beteckning) in beteckning_key(f.locator)
                                and (not q.parties or set(q.parties) & set(f.parties))),
                               key=lambda f: int(f.details.get("nummer") or 0))
                out.append((beteckning, kind, [(f.details.get("nummer") or "", f.parties, f.details.get("punkt") or "",
                                                f.chunk_ids[:1]) for f in facts]))
        return out

    def _counted(self, turn: Turn) -> Found:
        """A named report's reservationer or särskilda yttranden from its records: docs --check holds them
        to the number the report's summary announces."""
        facts = sorted(turn.facts, key=lambda f: int(f.details.get("nummer") or 0))
        parts = [(f.details.get("nummer") or "", f.parties, f.details.get("punkt") or "", f.chunk_ids[:1])
                 for f in facts]
        return Found("record", kind=facts[0].kind, parts=parts)

    def _read_parts(self, turn: Turn) -> Found | None:
        """Without a record, the report's own headings ('Reservation 4 (S, MP, V)' over 'punkt 4') list and
        count its parts of the kind; those of the punkt asked about, or of the party named."""
        q, kind = turn.q, kind_of(turn.q)
        parts = [p for p in report_parts(kind, self._report_chunks(q))
                 if (not q.punkt or p.punkt == q.punkt) and (not q.parties or set(q.parties) & set(p.parties))]
        shown = {p.chunk_id for p in turn.passages}  # a list no passage shows is no answer code can cite
        if not any(shown & set(p.chunk_ids) for p in parts):
            return None
        return Found("reading", kind=kind, parts=[(p.nummer, list(p.parties), p.punkt, list(p.chunk_ids)) for p in parts])

    def paragraf_chunks(self, doc: str, paragraf: str | None) -> list[Chunk]:
        """Every chunk of a § of a document, in order."""
        return self.retriever.store.paragraf_chunks([(doc, paragraf)])[(doc, paragraf)] if paragraf else []

    def _report_parts(self, q: Question) -> list[Chunk]:
        """The chunks of the committee report a question names that state the record kind it asks about
        ('Justering' for who signed, 'Särskilt yttrande 2 (SD)'), read after the retrieved passages."""
        kind = kind_of(q)
        return [c for c in self._report_chunks(q) if holds_kind(kind, c.norm, c.locator) and number_fits(q, c.locator)]

    def _report_chunks(self, q: Question) -> list[Chunk]:
        """The chunks of the committee report the question names, in order."""
        store = self.retriever.store
        return store.chunks_where(store.where(Filters(beteckning=q.beteckning))) if q.beteckning else []

    def matter_of(self, q: Question) -> Callable[[Passage], Passage | None]:
        """For the reading path: a passage's whole §, or None when the passage is about another matter than
        the question's: its words that name some § of the corpus ('avfallstaxan') are neither in the §'s
        title nor in the passage ('avfallsplan'), as for a record (`RecordChooser.fit`)."""
        organs = word_keys(" ".join(q.organs))  # 'barn- och utbildningsnämnden' names the body, not the matter
        named = [w for w in q.topic if not w.isdigit() and w not in MONTHS and not word_match(w, organs)
                 and word_match(w, self.records.title_keys())]

        def whole(p: Passage) -> Passage | None:
            m = self.matter(p)
            said = f"{m.title} {p.locator} {p.norm} {path_words(p.doc)}"  # the path names the place
            if named and not any(word_match(w, word_keys(said)) for w in named):
                return None
            return m
        return whole

    def matter(self, p: Passage) -> Passage:
        """The whole § a passage stands in, as one passage: what its matter is, for the reading path."""
        c = self.retriever.chunk(p.chunk_id)
        whole = self.paragraf_chunks(c.doc, c.paragraf) if c else []
        if not whole:
            return p
        return replace(p, norm=" ".join(x.norm for x in whole), title=" ".join({x.title for x in whole if x.title}))


def _decided_by(sentence: str, q: Question, subject: bool = False) -> bool:
    """A sentence that opens with a body deciding is an answer about that body's decision only; with `subject`
    (what the passages merely state), the body the question names must be the sentence's first words:
    'Utbildningsförvaltningens förslag till beslut: Förslag till kommunfullmäktige' is none of its decisions."""
    deciding = organs_in(opening(sentence, 1))[:1]
    if subject and q.organs:  # the body, then its verb: 'Kommunfullmäktige Stadskontoret …' lists who is told
        told = sentence.lstrip("-–•* 0123456789.")
        after = told[len(deciding[0]):].split()[:1] if deciding and fold(told).startswith(deciding[0]) else []
        if not (after and after[0][:1].islower()):
            return False
    return not (q.organs and deciding and not any(same_organ(o, deciding[0]) for o in q.organs))


def _names_held(e: Evidence, q: Question) -> bool:
    """What the passages state answers a question that names somebody or something ('Förvaltningsrätten i
    Göteborg', 'Hammarbadet') only if the sentence or its § title names it too, or the document's path does
    (the municipality); the name that acts in the question ('Hur dömde Förvaltningsrätten …') the sentence itself."""
    itself = re.findall(r"\w+", fold(e.text))
    said = itself + re.findall(r"\w+", fold(f"{e.passage.title} {path_words(e.passage.doc)}"))
    return all(_name_in(n, itself if n == q.subject else said) for n in q.names)


def _name_in(name: str, words: list[str]) -> bool:
    """A name is there whole, in any inflection ('Kungsbackas' ~ 'kungsbacka'; 'Förvaltningsrätten' is not
    'förvaltnings')."""
    stem = fold(name)
    stem = stem[:-1] if stem.endswith("s") and len(stem) > 4 else stem
    return any(w.startswith(stem) for w in words)


def _says_about(sentence: str, q: Question) -> bool:
    """The sentence itself, not only its § title, holds a word of what the question is about (beyond numbers)."""
    said = word_keys(sentence)
    return any(word_match(w, said) for w in q.topic if not w.isdigit() and w not in MONTHS)


def _lists_parts(q: Question) -> bool:
    """The question asks for a named report's parts of a kind, all of them: how many, which, whose."""
    return bool(q.beteckning and kind_of(q) in COUNTED and not q.nummer and q.answer_type in {"count", "party", "list"})


def _asks_for_record(q: Question) -> bool:
    return bool(q.record and q.answer_type in RECORD_ANSWERS - TYPED and not q.content
                and q.record[0] not in CONTENT_RECORDS)
