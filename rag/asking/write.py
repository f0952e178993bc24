"""The answer step: one answer written from what the evidence stage found — a sentence per record, a report's
parts listed and counted, the reading path's lines quoted, a decision or a typed value quoted — or, for the
model's turn, the passages the model reads and what it writes (with what is quoted should it refuse, written
too, for the citation check to choose)."""
from __future__ import annotations

import re
import time
from typing import Iterator

from ..genre import PERSON, SAY, date_in_words
from ..models import LLM
from ..records import MEMBER_LISTS, joined, party_list
from ..records import sentence as fact_sentence
from .evidence import Evidence, rank
from .from_records import for_parties
from .passages import Passage
from .prompt import ANSWER_TOKENS, EVIDENCE_TOKENS, chat_messages, evidence_list, phrase_messages, ranked_evidence, span_messages
from .question import Question
from .quotes import quotable, quote, typed
from .reader import choose_sentences
from .reading_path import kind_of, parties_of_kind, vote_counts
from .reply import MODEL_BUSY, REFUSAL, Draft, Preview, Reply
from .sources import Found, Part, Sources, Turn
from .write_lists import (compared, items_listed, matter_way, members_in_all, records_listed, report_has,
                          reports_listed)




class Writer:
    """Writes an answer from what was found; the model only where no source states it (or to rephrase)."""

    def __init__(self, llm: LLM | None, sources: Sources, embedder, k: int = 6, max_tokens: int = ANSWER_TOKENS,
                 evidence_tokens: int = EVIDENCE_TOKENS, rephrase: bool = False, reader: str = "prose") -> None:
        self.llm = llm
        self.sources = sources  # for the index's term weights, read once
        self.embedder = embedder
        self.k = k
        self.max_tokens = max_tokens
        self.evidence_tokens = evidence_tokens
        self.rephrase = rephrase  # let the LLM rephrase record answers (slower; the record's sentence is exact)
        self.reader = reader  # free text: 'prose' (the LLM writes, code checks), 'span' (a short answer and its
        # excerpt's number, as JSON) or 'select' (it picks sentences)

    @property
    def weights(self) -> dict[str, float]:
        return self.sources.weights

    def write(self, turn: Turn, found: Found, history, klarsprak: bool,
              timings: dict[str, float]) -> Iterator[str | Preview]:
        """The stage's one entry: pieces as they come; returns a Reply, or a Draft for the citation check."""
        if found.route != "llm" or found.refused:
            reply = self.written(turn, found, klarsprak, timings)
            if not reply.refused:
                yield reply.text
            return reply
        return (yield from self._by_llm(turn, found, history, klarsprak, timings))

    def written(self, turn: Turn, found: Found, klarsprak: bool = False, timings: dict[str, float] | None = None) -> Reply:
        """A source's answer as text, cited."""
        q = turn.q
        if found.refused:
            return Reply(REFUSAL, True, route=found.route)
        if found.parts:
            return self._listed(turn, found.kind or "", found.parts, found.route)
        if found.reports:
            return reports_listed(turn, found.reports)
        if found.in_all is not None:
            return members_in_all(turn, found)
        if found.compared is not None:
            return compared(turn, found)
        if found.matter is not None:
            return matter_way(turn, found.matter)
        if found.items:
            return items_listed(turn, found.items)
        if found.facts and found.listed:
            return records_listed(turn)
        if found.facts:
            return self._from_records(turn, klarsprak, timings if timings is not None else {})
        if found.span:
            return self._from_span(found.span, q, found.route)
        if found.value is not None:
            return Reply(typed(found.value, q.answer_type), False, [found.value.passage.n], route=found.route)
        sentence, n = found.quoted  # type: ignore[misc]
        return Reply(_decided_at(found) + quote(sentence, n), False, [n], route=found.route)

    def _from_records(self, turn: Turn, klarsprak: bool, timings: dict[str, float]) -> Reply:
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
        return Reply(text, False, cited, route="record")

    @staticmethod
    def _from_span(span: list[Evidence], q: Question, route: str) -> Reply:
        """The span quoted and cited; a vote's counts first, whatever notation the lines use."""
        counts = vote_counts(span) if q.answer_type in {"vote", "count"} else ""
        n = span[0].passage.n
        said = " ".join(quotable(e.text) for e in span if e.passage.n == n)
        # 'Yrkande från S, V och MP särskilt yttrande C': the party of the kind asked about, named
        named = parties_of_kind(kind_of(q), said) if q.answer_type == "party" else []
        # 'Vilka ledamöter från Miljöpartiet …': the list's members of that party, named
        members = [f"{name} ({party})" for name, party in PERSON.findall(said) if party in q.parties]
        lead = (SAY["vote_lead"].format(counts=counts) if counts else f"{party_list(named)}. " if named
                else f"{joined(members)}. " if members and kind_of(q) in MEMBER_LISTS else "")
        return Reply(lead + SAY["documents_say"].format(said=said, n=n), False, [n], route=route)

    @staticmethod
    def _listed(turn: Turn, kind: str, items: list[Part], route: str) -> Reply:
        """'Betänkande 2013/14:FöU11 har 2 reservationer under punkt 4: reservation 4 (S, MP, V) och …', led
        by the parties when parties are asked; cited where the listed parts are among the passages."""
        q = turn.q
        parties = list(dict.fromkeys(p for _, ps, _, _ in items for p in ps))
        lead = f"{party_list(parties)}. " if q.answer_type == "party" and parties else ""
        text, cited = report_has(turn, q.beteckning or "", kind, items)
        return Reply(lead + text, False, cited, route=route)

    def _by_llm(self, turn: Turn, found: Found, history, klarsprak: bool, timings: dict[str, float]):
        """The LLM reads the passages: it picks evidence sentences ('select'), or writes and code checks."""
        q, passages = turn.q, turn.passages
        t = time.perf_counter()
        if self.reader == "select":  # code quotes and cites what the model picked
            chosen = choose_sentences(self.llm, q, rank(q, passages[: self.k], self.weights))
            timings["generation_s"] = time.perf_counter() - t
            if not chosen:
                return Reply(REFUSAL, True, route="select")
            text = SAY["documents_say_lead"] + " ".join(f"”{quotable(e.text)}” [{e.passage.n}]" for e in chosen)
            yield text
            return Reply(text, False, sorted({e.passage.n for e in chosen}), route="select")
        ranked = self.ranked_evidence(q, passages)
        nearest = ranked[:1]
        shown = SAY["nearest"].format(said=quotable(nearest[0].text), n=nearest[0].passage.n) if nearest else ""
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
        return Draft(raw, messages, self.written(turn, found.fallback))  # type: ignore[arg-type]

    def _span(self, messages: list[dict[str, str]], passages: list[Passage]) -> str:
        """The model fills {"svar", "utdrag"} under llama.cpp's grammar: a short answer in the excerpt's own
        words and its number (0: no excerpt answers); written as '<svar> [n]' for the citation check."""
        numbers = sorted({p.n for p in passages})
        schema = {"type": "object", "required": ["svar", "utdrag"], "properties": {
            "svar": {"type": "string", "maxLength": 300}, "utdrag": {"type": "integer", "enum": [0] + numbers}}}
        out = self.llm.json(span_messages(messages), schema, max_tokens=160) or {}
        answer, n = str(out.get("svar") or "").strip(), out.get("utdrag")
        return f"{answer} [{n}]" if answer and n in numbers else REFUSAL

    def ranked_evidence(self, q: Question, passages: list[Passage]) -> list[Evidence]:
        return ranked_evidence(q, passages, self.weights, self.embedder)

    def evidence_list(self, q: Question, passages: list[Passage], ranked: list[Evidence] | None = None) -> str:
        ranked = ranked if ranked is not None else self.ranked_evidence(q, passages)
        return evidence_list(passages, ranked, self.evidence_tokens, getattr(self.llm, "count_tokens", None))

    def prompt(self, q: Question, passages: list[Passage], history=None, klarsprak: bool = False,
               ranked: list[Evidence] | None = None) -> list[dict[str, str]]:
        """The chat messages for a free-text answer, the weakest passages dropped until they fit the
        model's context with the answer."""
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


def _decided_at(found: Found) -> str:
    """'Kommunfullmäktige den 22 januari 2026, § 8. ': the body, meeting and § of a decision quoted whole."""
    c = found.decided
    if c is None or not (c.organ and c.paragraf and re.fullmatch(r"\d{4}-\d\d-\d\d", c.date or "")):
        return ""
    return SAY["decided_at"].format(organ=c.organ, date=date_in_words(c.date), paragraf=c.paragraf)


def _keeps_facts(phrased: str, draft: str) -> bool:
    """The rephrasing must keep every name, party, number, bilaga and marker of the draft."""
    must = set(re.findall(r"[A-ZÅÄÖ][a-zåäöé]+(?: [A-ZÅÄÖ][a-zåäöé]+)+|\([A-ZÅÄÖ]{1,6}\)|\d+|\[\d+\]", draft))
    return bool(phrased.strip()) and all(m in phrased for m in must)
