"""The answer step: one answer written from what the evidence stage found — a sentence per record, a report's
parts listed and counted, the reading path's lines quoted, a decision or a typed value quoted — or, for the
model's turn, the passages the model reads and what it writes (with what is quoted should it refuse, written
too, for the citation check to choose)."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Iterator

from ..genre import (ITEMS, KIND_ONE, KIND_PLURAL, LAST_DECISION_ASKED, OUTCOMES, PERSON, SAY, SUM_ASKED, date_in_words,
                     decided_as, party_name)
from ..models import LLM
from ..normalize import fold
from ..records import MEMBER_LISTS, COUNTED, Matter, Step, joined, party_list
from ..records import sentence as fact_sentence
from .evidence import Evidence, kronor, rank, values
from .from_records import for_parties, opening, part_item
from .passages import Passage
from .prompt import ANSWER_TOKENS, EVIDENCE_TOKENS, chat_messages, evidence_list, phrase_messages, ranked_evidence, span_messages
from .question import Question
from .quotes import quotable, quote, typed
from .reader import choose_sentences
from .reading_path import kind_of, parties_of_kind, vote_counts
from .reply import MODEL_BUSY, REFUSAL, Preview
from .sources import Found, Part, Sources, Turn


MOST_SAID = 3  # a matter's step: its reservationer, särskilda yttranden and votes told under it
SAID_CHARS = 240  # … each cut to its opening
DECISION_SHOWN = 300  # characters of a listed § 's decision
DECISION_WHOLE = 1200  # … and of a matter's latest decision, when the question asks for it


@dataclass
class Reply:
    """An answer as written: its text, the passages it cites, what the check removed, the route it took."""
    text: str
    refused: bool
    cited: list[int] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    route: str = ""


@dataclass
class Draft:
    """The model's answer before the citation check, the messages it read, and what stands if it fails."""
    raw: str
    messages: list[dict[str, str]]
    fallback: Reply


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
            return self._reports(turn, found.reports)
        if found.in_all is not None:
            return _members_in_all(turn, found)
        if found.compared is not None:
            return _compared(turn, found)
        if found.matter is not None:
            return self._matter(turn, found.matter)
        if found.items:
            return self._items(turn, found.items)
        if found.facts and found.listed:
            return self._listed_records(turn)
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
    def _matter(turn: Turn, matter) -> Reply:
        """A matter's steps in date order, each with what was decided, cited where it stands."""
        num = {p.chunk_id: p.n for p in turn.passages}
        lines = [SAY["matter_steps"].format(name=matter.name, title=matter.title, n=len(matter.steps))]
        whole = _last_decision(turn, matter)
        for s in matter.steps[:turn.shown]:
            decision = whole if whole and s is matter.steps[-1] else s.decision
            decided = (f": {decision}" if decision else "") + (
                SAY["matter_named"].format(where=s.mentioned_in) if s.mentioned_in else "")
            cite = f" [{num[s.chunk_id]}]" if s.chunk_id in num else ""
            when = date_in_words(s.date) if re.fullmatch(r"\d{4}-\d\d-\d\d", s.date or "") else s.date or ""
            lines.append("- " + SAY["matter_step"].format(date=when, organ=s.organ, paragraf=s.paragraf,
                                                          decision=decided) + cite)
            lines += [f"  - {opening(said, SAID_CHARS)}" + (f" [{num[c]}]" if c in num else "")
                      for _, said, c in s.said[:MOST_SAID]]
        if len(matter.steps) > turn.shown:
            lines.append(SAY["listed_rest"].format(n=len(matter.steps) - turn.shown))
        told = [c for s in matter.steps[:turn.shown] for c in [s.chunk_id] + [c for *_, c in s.said[:MOST_SAID]]]
        cited = sorted({num[c] for c in told if c in num})
        return Reply("\n".join(lines), False, cited, route="matter")

    @staticmethod
    def _items(turn: Turn, items: list[Step]) -> Reply:
        """The §§ of a kind of item in scope with what was decided: those with the outcome asked for, or, when
        none has it, all of them under a lead that says so (the list is complete, so its silence is evidence)."""
        q = turn.q
        if q.item is None:  # §§ about the question's matter (and their sum, when asked: 'hur mycket … sammanlagt')
            listed = _listed_steps(turn, items, SAY["items_about"].format(n=len(items)))
            total = _sum_of(items) if SUM_ASKED.search(fold(q.text)) and len(items) <= turn.shown else None
            return replace(listed, text=f"{listed.text}\n{total}") if total else listed
        kind = ITEMS[q.item]
        shown = [s for s in items if not q.outcome or decided_as(s.decision, q.outcome, s.organ)]
        outcome = OUTCOMES[q.outcome].noun if q.outcome else ""
        if q.outcome and not shown:
            shown = items
            lead = (SAY["items_none_one"].format(item=kind.one, outcome=outcome) if len(items) == 1
                    else SAY["items_none"].format(n=len(items), items=kind.the_many, outcome=outcome))
        else:
            name = kind.one if len(shown) == 1 else kind.many
            lead = (SAY["items_with"].format(n=len(shown), items=name, outcome=outcome) if q.outcome
                    else SAY["items_listed"].format(n=len(shown), items=name))
        return _listed_steps(turn, shown, lead)

    @staticmethod
    def _listed_records(turn: Turn) -> Reply:
        """Every record of the kind in the question's scope: the total, then each in date order with its
        meeting and §, cited; a long list names the first `turn.shown` and how many more there are."""
        num = {p.chunk_id: p.n for p in turn.passages}
        facts = [for_parties(f, turn.q.parties) for f in turn.facts]
        kind = facts[0].kind
        kinds = KIND_ONE.get(kind, kind) if len(facts) == 1 else KIND_PLURAL.get(kind, kind)
        mixed = turn.acts and len({f.kind for f in facts}) > 1  # a party's doings: yrkanden, reservationer, votes
        lines = [SAY["party_acts"].format(party=party_name(turn.q.parties[0]), n=len(facts)) if mixed
                 else SAY["listed"].format(n=len(facts), kinds=kinds)]
        for f in facts[:turn.shown]:
            item = SAY["listed_item"].format(date=f.date or "", organ=f.organ or "", paragraf=f.paragraf or "",
                                             title=f" {f.title}" if f.title else "", sentence=fact_sentence(f, placed=False))
            lines.append("- " + item + "".join(f" [{num[c]}]" for c in f.chunk_ids[:1] if c in num))
        if len(facts) > turn.shown:
            lines.append(SAY["listed_rest"].format(n=len(facts) - turn.shown))
        cited = sorted({num[c] for f in facts[:turn.shown] for c in f.chunk_ids[:1] if c in num})
        return Reply("\n".join(lines), False, cited, route="record")

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
        text, cited = _report_has(turn, q.beteckning or "", kind, items)
        return Reply(lead + text, False, cited, route=route)

    @staticmethod
    def _reports(turn: Turn, reports: list[tuple[str, str, list[Part]]]) -> Reply:
        """Several named reports' parts of the kinds asked, a sentence each: 'Betänkande 2010/11:AU1 har 3
        reservationer: … Betänkande 2018/19:AU1 har 1 reservation: …'."""
        said = [_report_has(turn, beteckning, kind, items) for beteckning, kind, items in reports]
        return Reply(" ".join(text for text, _ in said), False, sorted({n for _, c in said for n in c}), route="record")

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


def _report_has(turn: Turn, beteckning: str, kind: str, items: list[Part]) -> tuple[str, list[int]]:
    """The sentence that lists and counts a report's parts of a kind (of the punkt and parties asked), cited."""
    q = turn.q
    num = {p.chunk_id: p.n for p in turn.passages}
    where = (SAY["under_punkt"].format(punkt=q.punkt) if q.punkt else "") + (
        SAY["with_parties"].format(parties=joined(list(q.parties))) if q.parties else "")
    if not items:
        return SAY["report_has_none"].format(beteckning=beteckning, noun=COUNTED[kind][1], where=where), []
    noun = COUNTED[kind][0 if len(items) == 1 else 1]
    listed = [part_item(kind, nummer, parties, "" if q.punkt else punkt) for nummer, parties, punkt, _ in items]
    listing = "; ".join(listed[:-1]) + SAY["and"] + listed[-1] if len(listed) > 1 else listed[0]
    cited = sorted({min(num[c] for c in chunks if c in num) for *_, chunks in items if set(chunks) & num.keys()})
    return (SAY["report_has"].format(beteckning=beteckning, n=len(items), noun=noun, where=where, listing=listing)
            + "".join(f" [{n}]" for n in cited)), cited


def _members_in_all(turn: Turn, found: Found) -> Reply:
    """The members on every named report's member list, each list cited."""
    num = {p.chunk_id: p.n for p in turn.passages}
    reports = joined(list(turn.q.beteckningar))
    names = joined([f"{p['name']} ({p['party']})" if p.get("party") else p["name"] for p in found.in_all])
    key = "members_in_none" if not found.in_all else "member_in_all" if len(found.in_all) == 1 else "members_in_all"
    cited = sorted({num[c] for f in found.facts for c in f.chunk_ids[:1] if c in num})
    text = SAY[key].format(n=len(found.in_all), reports=reports, names=names) + "".join(f" [{n}]" for n in cited)
    return Reply(text, False, cited, route=found.route)


def _sum_of(steps: list[Step]) -> str:
    """The sum of the amounts of money the §§ decided, when each decision states exactly one; '' otherwise."""
    amounts = [[kronor(v) for v in values(s.decision, "amount")] for s in steps]
    if not amounts or any(len(a) != 1 or a[0] is None for a in amounts):
        return ""
    total = f"{round(sum(a[0] for a in amounts)):,}".replace(",", " ")
    return SAY["listed_sum"].format(amount=f"{total} kronor", n=len(steps))


def _compared(turn: Turn, found: Found) -> Reply:
    """A list at two meetings: who only each meeting's list names, and how many both name, each list cited."""
    num = {p.chunk_id: p.n for p in turn.passages}
    only, both = found.compared
    lines, cited = [], set()
    for facts, names in only:
        first = facts[0]
        where = f"{first.organ} § {first.paragraf}" if first.paragraf else first.organ or ""
        marks = sorted({num[c] for f in facts for c in f.chunk_ids[:1] if c in num})
        cited |= set(marks)
        said = (SAY["compared_only"].format(date=first.date, where=where, names=joined(names)) if names
                else SAY["compared_none"].format(date=first.date, where=where))
        lines.append(said + "".join(f" [{n}]" for n in marks))
    lines.append(SAY["compared_both"].format(n=both))
    return Reply(" ".join(lines), False, sorted(cited), route=found.route)


def _last_decision(turn: Turn, matter: Matter) -> str:
    """The latest step's decision whole, when the question asks what it decided or proposed ('…, och vad
    föreslogs då?'): the text of the Beslut passage it cites; '' otherwise."""
    last = matter.steps[-1] if matter.steps else None
    if last is None or not last.chunk_id or not LAST_DECISION_ASKED.search(fold(turn.q.text)):
        return ""
    said = next((p.text for p in turn.passages if p.chunk_id == last.chunk_id), "")
    return opening(" ".join(said.split()), DECISION_WHOLE) if said else ""


def _listed_steps(turn: Turn, steps: list[Step], lead: str) -> Reply:
    """§§ listed under a lead, each with its meeting, title and decision, cited where it stands."""
    num = {p.chunk_id: p.n for p in turn.passages}
    lines = [lead]
    for s in steps[:turn.shown]:
        item = SAY["listed_item"].format(date=s.date or "", organ=s.organ or "", paragraf=s.paragraf,
                                         title=f" {s.title}" if s.title else "",
                                         sentence=opening(s.decision, DECISION_SHOWN))
        lines.append("- " + item + (f" [{num[s.chunk_id]}]" if s.chunk_id in num else ""))
        lines += [f"  - {fact_sentence(f, placed=False)}" + "".join(f" [{num[c]}]" for c in f.chunk_ids[:1] if c in num)
                  for f in turn.beside.get((s.doc, s.paragraf), [])]
        prior = turn.earlier.get((s.doc, s.paragraf), [])
        if prior:  # steps of its matter only this or a later § names
            lines.append("  - " + SAY["listed_earlier"].format(steps=", ".join(
                SAY["listed_step"].format(date=x.date or "", organ=x.organ or "", paragraf=x.paragraf)
                + (f" ({x.decision})" if x.decision else "") for x in prior)))
    if len(steps) > turn.shown:
        lines.append(SAY["listed_rest"].format(n=len(steps) - turn.shown))
    cited = sorted({num[s.chunk_id] for s in steps[:turn.shown] if s.chunk_id in num}
                   | {num[c] for s in steps[:turn.shown] for f in turn.beside.get((s.doc, s.paragraf), [])
                      for c in f.chunk_ids[:1] if c in num})
    return Reply("\n".join(lines), False, cited, route="record")


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
