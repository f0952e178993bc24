"""Question in, answer out: retrieve, answer decision facts from records, let the LLM phrase, check citations.

The small LLM only phrases. Facts about statements, reservations, votes, jäv and
roles come from records extracted at ingest; free-text answers keep only the
sentences a passage supports; when nothing supports an answer we say so.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from .cite import check
from .passages import Passage, names_in
from .evidence import (GROUNDED, GROUNDED_UNSCOPED, TYPED, Evidence, Grounding, asked_values, grounding,
                       named_elsewhere, rank, supported_value, term_weights)
from .reading_path import (asks, holds_kind, kind_of, number_fits, parties_of_kind, read_span, report_parts,
                      restates, states_kind, vote_counts)
from .reader import choose_sentences
from ..records import CONTENT_RECORDS, COUNTED, MEMBER_LISTS, Fact, joined, party_list
from ..records import sentence as fact_sentence
from ..parsing import Chunk
from ..genre import MONTHS, PERSON, PHRASING, beteckning_key, without_planted
from ..models import LLM
from ..normalize import path_words
from .question import MAX_QUESTION, Question, analyze, check_question
from .retrieve import Filters, Hit, Retriever
from .scope import Scope
from .prompt import (ANSWER_TOKENS, EVIDENCE_TOKENS, chat_messages, evidence_list, excerpt, phrase_messages,
                     ranked_evidence, span_messages)
from .reply import MODEL_BUSY, REFUSAL, Answer, Citation, Preview, explain_terms
from .quotes import best_passage, best_sentence, covers, quotable, quote, typed
from .from_records import RecordChooser, for_parties, opening, part_item, word_keys, word_match

RETRIEVED_CHARS = 600  # the excerpt of each retrieved passage an answer carries
# answers that only a record gives: who, which party, how they voted; no fitting record means no answer
RECORD_ANSWERS = {"person", "party", "vote", "count", "list", "yesno", "organ", "punkt"}
RECORD_VALUES = {"omröstning", "sammanträde", "justering"}  # records that hold the counts or times a question may ask for
# a model's refusal is overridden by the reading path's span only for a question whose answer has a type
# that code can see (a name, a party, counts, a value) and whose words the first passages nearly all hold
OVERRIDABLE = {"person", "party", "vote", "count", "organ", "amount", "date", "duration"}
OVERRIDE_SHARE = 0.8
READ_EXTRA = 3  # a named report's chunks of the kind asked, after the retrieved passages (reading path)
STATED_RELEVANCE = 0.5  # the model refused: a sentence holding this share (with its § title) is quoted instead
# what a § 's Beslut answers, and is read first for: what was decided, and where, who or which it names
DECIDED = {"decision", "place", "list", "person", "organ"}
DECISION_RELEVANCE = 0.6  # a Beslut sentence answers a where/who/which question when it holds most of its words


@dataclass
class _Turn:
    """One question on its way: what it asks, whether the documents can hold it, what was found."""
    q: Question
    query: str
    unscoped: bool  # what the question names is in no document as the scope reads it: searched everywhere
    hits: list[Hit]
    facts: list[Fact]
    decided: Chunk | None
    passages: list[Passage]


@dataclass
class _Reply:
    text: str
    refused: bool
    cited: list[int] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    route: str = ""


HISTORY_TURNS = 4  # earlier turns a question is read with (a follow-up needs the last one or two)
HISTORY_ANSWER_CHARS = 4000  # ... each earlier answer at most this long (a question: MAX_QUESTION)


def _bounded(history: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    """The last earlier turns, each cut to a question's and an answer's length: a 5 MB earlier turn sent to
    /v1 must not make the next question slow."""
    if not history:
        return history
    return [(q[:MAX_QUESTION], a[:HISTORY_ANSWER_CHARS]) for q, a in history[-HISTORY_TURNS:]]


_YES_NO = re.compile(PHRASING["yes_or_no"], re.I)


def _lists_parts(q: Question) -> bool:
    """The question asks for a named report's parts of a kind, all of them: how many, which, whose."""
    return bool(q.beteckning and kind_of(q) in COUNTED and not q.nummer and q.answer_type in {"count", "party", "list"})


class Answerer:
    """One retriever and one LLM, loaded once; `ask` and `stream` per question."""

    def __init__(self, retriever: Retriever, llm: LLM | None, k: int = 6, max_tokens: int = ANSWER_TOKENS,
                 mode: str = "hybrid", use_facts: bool = True, rephrase: bool = False, reader: str = "prose",
                 evidence_tokens: int = EVIDENCE_TOKENS) -> None:
        self.retriever = retriever
        self.llm = llm
        self.k = k
        self.max_tokens = max_tokens
        self.evidence_tokens = evidence_tokens
        self.mode = mode  # retrieval: hybrid | rrf | dense | bm25 (the others are for comparisons)
        self.use_facts = use_facts  # False: no records and no record routes (the reading path on any layout)
        self.rephrase = rephrase  # let the LLM rephrase record answers (slower; the record's sentence is exact)
        self.reader = reader  # free text: 'prose' (the LLM writes, code checks), 'span' (a short answer and its
        # excerpt's number, as JSON) or 'select' (it picks sentences)
        self.records = RecordChooser(retriever)
        self._scope: Scope | None = None
        self._weights: dict[str, float] | None = None
        self._paragrafer: dict[tuple[str, str], list[Chunk]] | None = None

    def search_query(self, question: str | Question, history: list[tuple[str, str]] | None) -> str:
        """A follow-up ('Och vem instämde i det?') is searched together with the previous question."""
        q = analyze(question) if isinstance(question, str) else question
        if history and q.follow_up:
            return f"{q.text} {history[-1][0]}"
        return q.text

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = Scope(self.retriever.chunks)
        return self._scope


    @property
    def weights(self) -> dict[str, float]:
        if self._weights is None:
            self._weights = term_weights([c.norm for c in self.retriever.chunks])
        return self._weights


    def stream(self, question: str, history: list[tuple[str, str]] | None = None, klarsprak: bool = False,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        """Text pieces as they come, then the checked Answer (whose text replaces the pieces)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        question = check_question(question)  # ValueError with a Swedish reason for a question with no words
        history = _bounded(history)
        turn = self._prepare(question, history, filters)
        timings["retrieval_s"] = time.perf_counter() - t0
        reply = self._by_code(turn, klarsprak, timings)
        if reply is None:
            reply = yield from self._by_llm(turn, history, klarsprak, timings)
        elif not reply.refused:
            yield reply.text
        text = explain_terms(reply.text) if klarsprak and not reply.refused else reply.text
        timings["total_s"] = time.perf_counter() - t0
        cites = [Citation(p.n, p.chunk_id, p.doc, p.locator, p.text) for p in turn.passages if p.n in reply.cited]
        retrieved = [{"doc": h.chunk.doc, "locator": h.chunk.locator, "id": h.chunk.id, "score": h.score,
                      "text": excerpt(h.chunk.text, RETRIEVED_CHARS)} for h in turn.hits[: self.k]]
        models = {"embedding": self.retriever.store.manifest.get("embedding_model", ""),
                  "llm": getattr(self.llm, "name", "") if self.llm else ""}
        yield Answer(question, text, reply.refused, cites, retrieved, [f.to_dict() for f in turn.facts], timings,
                     models, turn.query, reply.removed, reply.route)

    def _prepare(self, question: str, history: list[tuple[str, str]] | None, filters: Filters | None) -> _Turn:
        """Understand, scope, retrieve, fit records: what every route below reads."""
        q = analyze(question)  # understood once; every step below reads `q`
        query = self.search_query(q, history)
        # the documents that hold what the question names narrow the search (a follow-up names it earlier);
        # none means the names are written otherwise there, or not at all: the evidence decides, not the scope
        scope = self.scope.documents(analyze(query) if query != question else q)
        unscoped = scope is not None and not scope
        within = filters if scope is None or unscoped else _within(filters, scope)
        hits = self.retriever.search(query, k=max(self.k, 20), filters=within, mode=self.mode).hits
        facts = self.records.facts(q, hits) if self.use_facts else []
        decided = self.records.decision(q, hits[: self.k]) if q.answer_type in DECIDED else None
        # passages: the decision's or the records' chunks first, then the best hits
        ordered: list[str] = [decided.id] if decided else []
        for f in facts:
            ordered += [c for c in f.chunk_ids if c not in ordered]
        ordered += [h.chunk.id for h in hits[: self.k] if h.chunk.id not in ordered]
        if q.record and q.beteckning and not facts:  # the reading path: the named report's part of the kind
            ordered += [c.id for c in self._report_parts(q) if c.id not in ordered][:READ_EXTRA]
        # what addresses the reader or the system is no record: never read, quoted or shown to the model
        passages = [Passage(n, cid, c.doc, c.locator, without_planted(c.text), without_planted(c.norm), c.title or "")
                    for n, cid in enumerate(ordered[: self.k + 4], 1) for c in (self.retriever.chunk(cid),)]
        return _Turn(q, query, unscoped, hits, facts, decided, passages)

    def _by_code(self, turn: _Turn, klarsprak: bool, timings: dict[str, float]) -> _Reply | None:
        """The answers code gives (records, a typed value, a decision) and the refusals it earns;
        None leaves the question to the LLM."""
        q, passages = turn.q, turn.passages
        if turn.facts and (not q.content or turn.facts[0].kind in CONTENT_RECORDS) and (
                q.answer_type not in TYPED or turn.facts[0].kind in RECORD_VALUES):
            return self._from_records(turn, klarsprak, timings)
        if q.answer_type == "count" and q.beteckning and turn.facts and turn.facts[0].kind in COUNTED:
            return self._count(turn)  # 'Hur många reservationer finns i betänkande …': the report's own records
        if _lists_parts(q) and not turn.facts:  # … or its headings: 'Vilka partier lämnade särskilda yttranden?'
            listed = self._read_parts(turn)
            if listed is not None:
                return listed
        if self._asks_for_record(q):  # who, which party, how they voted: the sentence that says it, or nobody
            if not self.grounded(turn):
                return _Reply(REFUSAL, True, route="evidence")
            span = read_span(q, passages, self.weights, kind_of(q), self.matter_of(q))
            return self._from_span(span, q) if span else _Reply(REFUSAL, True, route="evidence")
        if turn.decided is not None and q.answer_type == "decision" and covers(q.text, passages[:1]):
            return _Reply(quote(opening(turn.decided.norm), passages[0].n), False, [passages[0].n], route="decision")
        if turn.decided is not None and not q.content and q.answer_type in {"place", "person"}:
            said = rank(q, passages[:1], self.weights, limit=1)  # 'Var inrättas …?': the Beslut sentence
            if said and said[0].keyed and said[0].relevance >= DECISION_RELEVANCE and (
                    q.answer_type != "person" or names_in(said[0].text)):
                return _Reply(quote(said[0].text, passages[0].n), False, [passages[0].n], route="decision")
        if q.answer_type in TYPED:  # an amount, a date, a count: the sentence that states it (else read on)
            ranked = rank(q, passages[: self.k], self.weights)
            kind = kind_of(q)  # 'När justerades …': a date the 'Justering' states before one another sentence holds
            best = supported_value(q, sorted(ranked, key=lambda e: not states_kind(kind, e, innermost=True)))
            if best is not None:
                return _Reply(typed(best, q.answer_type), False, [best.passage.n], route="typed")
        if not self.grounded(turn):
            return _Reply(REFUSAL, True, route="evidence")
        if self.llm is None:
            return _Reply(REFUSAL, True, route="no llm")
        return None

    @staticmethod
    def _asks_for_record(q: Question) -> bool:
        return bool(q.record and q.answer_type in RECORD_ANSWERS - TYPED and not q.content
                    and q.record[0] not in CONTENT_RECORDS)

    def grounding(self, turn: _Turn) -> Grounding:
        return grounding(turn.q, turn.passages[: self.k], self.weights)

    def grounded(self, turn: _Turn) -> bool:
        """The one refusal rule: the passages hold what the question names and most of its words; a name
        found in no document in any form asks for more of them."""
        doubt = turn.unscoped or bool(named_elsewhere(turn.q, turn.passages[: self.k]))
        return self.grounding(turn).answers(GROUNDED_UNSCOPED if doubt else GROUNDED)

    def paragraf_chunks(self, doc: str, paragraf: str | None) -> list[Chunk]:
        """Every chunk of a § of a document, in order."""
        if self._paragrafer is None:
            self._paragrafer = {}
            for c in self.retriever.chunks:
                if c.paragraf:
                    self._paragrafer.setdefault((c.doc, c.paragraf), []).append(c)
        return self._paragrafer.get((doc, paragraf), []) if paragraf else []

    def _report_parts(self, q: Question) -> list[Chunk]:
        """The chunks of the committee report a question names that state the record kind it asks about
        ('Justering' for who signed, 'Särskilt yttrande 2 (SD)'), read after the retrieved passages."""
        kind = kind_of(q)
        return [c for c in self._report_chunks(q) if holds_kind(kind, c.norm, c.locator) and number_fits(q, c.locator)]

    def _report_chunks(self, q: Question) -> list[Chunk]:
        """The chunks of the committee report the question names, in order."""
        key = beteckning_key(q.beteckning or "")
        return [c for c in self.retriever.chunks if key and key in beteckning_key(c.locator)]

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

    def _from_span(self, span: list[Evidence], q: Question, route: str = "reading") -> _Reply:
        """The span quoted and cited; a vote's counts first, whatever notation the lines use."""
        counts = vote_counts(span) if q.answer_type in {"vote", "count"} else ""
        n = span[0].passage.n
        said = " ".join(quotable(e.text) for e in span if e.passage.n == n)
        # 'Yrkande från S, V och MP särskilt yttrande C': the party of the kind asked about, named
        named = parties_of_kind(kind_of(q), said) if q.answer_type == "party" else []
        # 'Vilka ledamöter från Miljöpartiet …': the list's members of that party, named
        members = [f"{name} ({party})" for name, party in PERSON.findall(said) if party in q.parties]
        lead = (f"Omröstningen: {counts}. " if counts else f"{party_list(named)}. " if named
                else f"{joined(members)}. " if members and kind_of(q) in MEMBER_LISTS else "")
        text = lead + f"Dokumenten säger: ”{said}” [{n}]"
        return _Reply(text, False, [n], route=route)

    def _from_records(self, turn: _Turn, klarsprak: bool, timings: dict[str, float]) -> _Reply:
        """Code writes a sentence per record; the LLM may rephrase (if asked), never change a fact."""
        num = {p.chunk_id: p.n for p in turn.passages}
        facts = [for_parties(f, turn.q.parties) for f in turn.facts]
        draft = " ".join(
            fact_sentence(f) + "".join(f" [{num[c]}]" for c in f.chunk_ids if c in num) for f in facts)
        cited = sorted({num[c] for f in turn.facts for c in f.chunk_ids if c in num})
        text = draft
        if self.llm is not None and self.rephrase:  # a rephrasing that loses a fact is discarded
            t = time.perf_counter()
            phrased = "".join(self.llm.stream(phrase_messages(turn.q.text, draft, klarsprak), self.max_tokens))
            timings["generation_s"] = time.perf_counter() - t
            if _keeps_facts(phrased, draft):
                text = phrased.strip()
        return _Reply(text, False, cited, route="record")

    def _count(self, turn: _Turn) -> _Reply:
        """A named report's reservationer or särskilda yttranden from its records: docs --check holds them
        to the number the report's summary announces."""
        facts = sorted(turn.facts, key=lambda f: int(f.details.get("nummer") or 0))
        items = [(f.details.get("nummer") or "", f.parties, f.details.get("punkt") or "", f.chunk_ids[:1])
                 for f in facts]
        return self._listed(turn, facts[0].kind, items, "record")

    def _read_parts(self, turn: _Turn) -> _Reply | None:
        """Without a record, the report's own headings ('Reservation 4 (S, MP, V)' over 'punkt 4') list and
        count its parts of the kind; those of the punkt asked about, or of the party named."""
        q, kind = turn.q, kind_of(turn.q)
        parts = [p for p in report_parts(kind, self._report_chunks(q))
                 if (not q.punkt or p.punkt == q.punkt) and (not q.parties or set(q.parties) & set(p.parties))]
        items = [(p.nummer, list(p.parties), p.punkt, list(p.chunk_ids)) for p in parts]
        shown = {p.chunk_id for p in turn.passages}  # a list no passage shows is no answer code can cite
        return self._listed(turn, kind, items, "reading") if any(shown & set(p.chunk_ids) for p in parts) else None

    def _listed(self, turn: _Turn, kind: str, items: list[tuple[str, list[str], str, list[str]]],
                route: str) -> _Reply:
        """'Betänkande 2013/14:FöU11 har 2 reservationer under punkt 4: reservation 4 (S, MP, V) och …', led
        by the parties when parties are asked; cited where the listed parts are among the passages."""
        q = turn.q
        num = {p.chunk_id: p.n for p in turn.passages}
        noun = COUNTED[kind][0 if len(items) == 1 else 1]
        listed = [part_item(kind, nummer, parties, "" if q.punkt else punkt) for nummer, parties, punkt, _ in items]
        listing = "; ".join(listed[:-1]) + " och " + listed[-1] if len(listed) > 1 else listed[0]
        where = (f" under punkt {q.punkt}" if q.punkt else "") + (f" med {joined(list(q.parties))}" if q.parties else "")
        parties = list(dict.fromkeys(p for _, ps, _, _ in items for p in ps))
        lead = f"{party_list(parties)}. " if q.answer_type == "party" and parties else ""
        cited = sorted({min(num[c] for c in chunks if c in num) for *_, chunks in items if set(chunks) & num.keys()})
        text = (f"{lead}Betänkande {q.beteckning} har {len(items)} {noun}{where}: {listing}."
                + "".join(f" [{n}]" for n in cited))
        return _Reply(text, False, cited, route=route)

    def _by_llm(self, turn: _Turn, history, klarsprak: bool, timings: dict[str, float]):
        """The LLM reads the passages: it picks evidence sentences ('select'), or writes and code checks."""
        q, passages = turn.q, turn.passages
        t = time.perf_counter()
        if self.reader == "select":  # code quotes and cites what the model picked
            chosen = choose_sentences(self.llm, q, rank(q, passages[: self.k], self.weights))
            timings["generation_s"] = time.perf_counter() - t
            if not chosen:
                return _Reply(REFUSAL, True, route="select")
            text = "Dokumenten säger: " + " ".join(f"”{quotable(e.text)}” [{e.passage.n}]" for e in chosen)
            yield text
            return _Reply(text, False, sorted({e.passage.n for e in chosen}), route="select")
        ranked = self.ranked_evidence(q, passages)
        nearest = ranked[:1]
        shown = f"Närmast i dokumenten: ”{quotable(nearest[0].text)}” [{nearest[0].passage.n}]" if nearest else ""
        busy = getattr(self.llm, "busy", lambda: False)()  # only a question the model must read waits for it
        previewed = f"{shown}\n\n{MODEL_BUSY}".strip() if busy else shown
        if previewed:  # something to read at once; the model's first piece replaces it
            yield Preview(previewed)
        messages = self.prompt(q, passages, history, klarsprak, ranked)
        timings["evidence_s"] = time.perf_counter() - t
        t = time.perf_counter()
        if self.reader == "span":  # a short answer and the number of the excerpt that states it, as JSON
            raw = self._span(messages, passages)
        else:
            raw = yield from self._collect(messages, timings, after_preview=bool(previewed))
        timings["generation_s"] = time.perf_counter() - t - timings.get("prompt_s", 0.0)
        count = getattr(self.llm, "count_tokens", None)
        if count:  # for benchmarks: what the model read and wrote
            timings["tokens_in"] = float(count(" ".join(m["content"] for m in messages)))
            timings["tokens_out"] = float(count(raw))
        checked = check(raw, passages, similarity=self.similarity())
        removed = [s.text for s in checked.removed]
        # an amount, a date, a count: an answer without a value of that kind ('55 procent' for a price) is none
        untyped = q.answer_type in TYPED and not asked_values(q, checked.text())
        # an answer that only says the question again ('X gjordes ändringar som …') answers nothing; 'Ja, …' does
        restated = all(restates(s.text, q) and not _YES_NO.match(s.text) for s in checked.kept)
        if "framgår inte" in raw.lower() or not checked.kept or untyped or restated:
            return self._instead_of_refusal(turn, removed)
        return _Reply(checked.text(), False, sorted({n for s in checked.kept for n in s.cited}), removed, "llm")

    def _instead_of_refusal(self, turn: _Turn, removed: list[str]) -> _Reply:
        """The model gave up or wrote nothing the passages support; a refusal is earned by the evidence, so
        a passage that states the answer is quoted instead: a sentence with most of the question's words,
        a candidate the model may not refuse (`OVERRIDE_SHARE`), or the sentence the matter's § states."""
        q, passages = turn.q, turn.passages
        found = best_sentence(q, passages[:3], self.weights) or best_passage(q.text, passages[:3], q.content)
        if found and q.answer_type in TYPED and not asked_values(q, found[0]):
            found = None
        if found:
            sentence, p = found
            return _Reply(quote(sentence, p.n), False, [p.n], removed, "quote")
        # a record kind says which sentence answers ('reserverar sig'); without one a name is no answer
        strong = q.answer_type in OVERRIDABLE and self.grounding(turn).share >= OVERRIDE_SHARE and (
            q.answer_type in TYPED or kind_of(q) is not None)
        span = read_span(q, passages[:3], self.weights, kind_of(q), self.matter_of(q)) if strong else []
        if span:  # the first passages hold the question's words and a candidate: the model may not refuse
            return _Reply(quote(span[0].text, span[0].passage.n), False, [span[0].passage.n], removed, "override")
        span = self._stated(turn)
        if span:
            return replace(self._from_span(span, q, "stated"), removed=removed)
        return _Reply(REFUSAL, True, [], removed, "llm")

    def _stated(self, turn: _Turn) -> list[Evidence]:
        """What the best passages state about the question's matter: the sentence that, with its § title,
        holds most of the question's words and the rarest of them (a value of the asked kind if one is
        asked); for who / which party, the lines of that passage that name them. [] unless grounded."""
        q = turn.q
        if not self.grounded(turn):
            return []
        said = [e for e in rank(q, turn.passages[:3], self.weights, limit=20)
                if not asks(e.text, q) and (q.answer_type not in TYPED or e.values)]
        if not said or not said[0].keyed or said[0].relevance < STATED_RELEVANCE:
            return []
        if q.answer_type in {"party", "person"}:
            return read_span(q, turn.passages[:3], self.weights, kind_of(q), self.matter_of(q)) or said[:1]
        return said[:1]

    def _span(self, messages: list[dict[str, str]], passages: list[Passage]) -> str:
        """The model fills {"svar", "utdrag"} under llama.cpp's grammar: a short answer in the excerpt's own
        words and its number (0: no excerpt answers); written as '<svar> [n]' for the citation check."""
        numbers = sorted({p.n for p in passages})
        schema = {"type": "object", "required": ["svar", "utdrag"], "properties": {
            "svar": {"type": "string", "maxLength": 300}, "utdrag": {"type": "integer", "enum": [0] + numbers}}}
        out = self.llm.json(span_messages(messages), schema, max_tokens=160) or {}
        answer, n = str(out.get("svar") or "").strip(), out.get("utdrag")
        return f"{answer} [{n}]" if answer and n in numbers else REFUSAL

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, klarsprak: bool = False,
            filters: Filters | None = None) -> Answer:
        final = None
        for part in self.stream(question, history, klarsprak, filters):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    def similarity(self):
        """Embedding cosine of an answer sentence and a passage; one embedding per sentence per answer."""
        vectors: dict[str, object] = {}

        def sim(sentence: str, passage: Passage) -> float:
            row = self.retriever.row.get(passage.chunk_id)
            if row is None:
                return 0.0
            if sentence not in vectors:
                vectors[sentence] = self.retriever.embedder.query(sentence)
            return float(self.retriever.vector(row) @ vectors[sentence])

        return sim

    def ranked_evidence(self, question: str | Question, passages: list[Passage]) -> list[Evidence]:
        q = analyze(question) if isinstance(question, str) else question
        return ranked_evidence(q, passages, self.weights, getattr(self.retriever, "embedder", None))

    def evidence_list(self, question: str | Question, passages: list[Passage],
                      ranked: list[Evidence] | None = None) -> str:
        ranked = ranked if ranked is not None else self.ranked_evidence(question, passages)
        return evidence_list(passages, ranked, self.evidence_tokens, getattr(self.llm, "count_tokens", None))

    def prompt(self, question: str | Question, passages: list[Passage], history=None, klarsprak: bool = False,
               ranked: list[Evidence] | None = None) -> list[dict[str, str]]:
        """The chat messages for a free-text answer, the weakest passages dropped until they fit the
        model's context with the answer."""
        q = analyze(question) if isinstance(question, str) else question
        chat = chat_messages(q.text, self.evidence_list(q, passages, ranked), history, klarsprak)
        budget = getattr(self.llm, "n_ctx", 1 << 30) - self.max_tokens - 64
        count = getattr(self.llm, "count_tokens", None)
        if count and count(" ".join(m["content"] for m in chat)) > budget:
            if len(passages) > 1:
                drop = passages[-1].n
                return self.prompt(q, passages[:-1], history, klarsprak,
                                   ranked and [e for e in ranked if e.passage.n != drop])
            if history:
                return self.prompt(q, passages, None, klarsprak, ranked)
            # one passage and the question alone are too long: cut the text by the tokens over budget
            over = count(" ".join(m["content"] for m in chat)) - budget
            keep = max(0, len(chat[-1]["content"]) - 4 * over - 64)
            chat[-1]["content"] = chat[-1]["content"][:keep]
        return chat

    def _collect(self, messages, timings: dict[str, float], after_preview: bool = False):
        """The model's pieces as they come; the first replaces a preview, if one was shown."""
        out: list[str] = []
        t = time.perf_counter()
        timings["prompt_s"] = 0.0
        for piece in self.llm.stream(messages, max_tokens=self.max_tokens):
            if not out:
                timings["prompt_s"] = time.perf_counter() - t  # prompt evaluation = time to first token
            yield Preview(piece) if after_preview and not out else piece
            out.append(piece)
        return "".join(out)


def _within(filters: Filters | None, docs: set[str]) -> Filters:
    """The user's filters, narrowed to the documents the question can be about."""
    f = replace(filters) if filters else Filters()
    f.docs = frozenset(docs) if f.docs is None else f.docs & frozenset(docs)
    return f


def _keeps_facts(phrased: str, draft: str) -> bool:
    """The rephrasing must keep every name, party, number, bilaga and marker of the draft."""
    must = set(re.findall(r"[A-ZÅÄÖ][a-zåäöé]+(?: [A-ZÅÄÖ][a-zåäöé]+)+|\([A-ZÅÄÖ]{1,6}\)|\d+|\[\d+\]", draft))
    return bool(phrased.strip()) and all(m in phrased for m in must)
