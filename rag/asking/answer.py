"""Question in, answer out: each stage once, in order.

    understand (question.py) → scope (scope.py) → retrieve (retrieve.py) → evidence (sources.py)
    → answer (write.py) → cite (cite.py) → reply (reply.py)

The small LLM only phrases. Facts about statements, reservations, votes, jäv and roles come from records
extracted at ingest; free-text answers keep only the sentences a passage supports; when nothing supports
an answer we say so.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Iterator

from ..models import LLM
from ..records import in_bulk
from .cite import settle
from .evidence import Evidence, Grounding
from .from_records import MOST_SHOWN
from .passages import Passage
from .prompt import ANSWER_TOKENS, EVIDENCE_TOKENS
from .question import MAX_QUESTION, Question, analyze, understand
from .reply import Answer, finish
from .retrieve import Filters, Retriever
from .scope import Scope
from .sources import Sources, Turn
from .write import Reply, Writer

HISTORY_TURNS = 4  # earlier turns a question is read with (a follow-up needs the last one or two)
HISTORY_ANSWER_CHARS = 4000  # ... each earlier answer at most this long (a question: MAX_QUESTION)


class Answerer:
    """One retriever and one LLM, loaded once; `ask` and `stream` per question."""

    def __init__(self, retriever: Retriever, llm: LLM | None, k: int = 6, max_tokens: int = ANSWER_TOKENS,
                 mode: str = "hybrid", use_facts: bool = True, rephrase: bool = False, reader: str = "prose",
                 evidence_tokens: int = EVIDENCE_TOKENS, shown: int = MOST_SHOWN) -> None:
        self.retriever = retriever
        self.llm = llm
        self.k = k
        self.max_tokens = max_tokens
        self.mode = mode  # retrieval: hybrid | rrf | dense | bm25 (the others are for comparisons)
        self.use_facts = use_facts  # False: no records and no record routes (the reading path on any layout)
        self.rephrase = rephrase
        self.reader = reader
        self.evidence_tokens = evidence_tokens
        self.sources = Sources(retriever, k, use_facts, shown)  # `shown`: the items a list answer names
        self.writer = Writer(llm, self.sources, getattr(retriever, "embedder", None), k, max_tokens, evidence_tokens,
                             rephrase, reader)
        self._scope: Scope | None = None

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = Scope(self.retriever.store.profiles, self.retriever.store)
        return self._scope

    @property
    def weights(self) -> dict[str, float]:
        return self.sources.weights

    def warm(self) -> None:
        """Make the corpus-wide views now, not on the first question that needs them: the scope, the word
        weights, every § and title, the matters (at a million chunks, seconds). An app calls it in the
        background when it opens or follows an index; a question asked meanwhile waits for the view it needs."""
        with in_bulk():
            self.scope, self.weights  # noqa: B018
            if self.use_facts:
                self.sources.records.warm()
                self.sources.lists.warm()

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, klarsprak: bool = False,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        """Text pieces as they come, then the checked Answer (whose text replaces the pieces)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        history = _bounded(history)
        asked = understand(question, history)  # ValueError with a Swedish reason for a question with no words
        turn, found = self._found(asked, filters)
        timings["retrieval_s"] = time.perf_counter() - t0
        draft = yield from self.writer.write(turn, found, history, klarsprak, timings)
        reply = settle(draft, turn, self.similarity())
        timings["total_s"] = time.perf_counter() - t0
        models = {"embedding": self.retriever.store.manifest.get("embedding_model", ""),
                  "llm": getattr(self.llm, "name", "") if self.llm else ""}
        yield finish(asked.text, reply, turn, self.k, klarsprak, models, timings)

    def _found(self, asked, filters: Filters | None):
        """Scope, retrieval and the evidence for an understood question."""
        # the documents that hold what the question names narrow the search (a follow-up names it earlier);
        # none means the names are written otherwise there, or not at all: the evidence decides, not the scope
        scope = self.scope.documents(asked.named)
        unscoped = scope is not None and not scope
        within = filters if scope is None or unscoped else _within(filters, scope)
        hits = self.retriever.search(asked.query, k=max(self.k, 20), filters=within, mode=self.mode).hits
        absent = self.scope.absent(asked.named)  # a meeting or a diarienummer no document holds: refused
        return self.sources.gather(asked.q, asked.query, unscoped, hits, self.llm is not None, absent)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, klarsprak: bool = False,
            filters: Filters | None = None) -> Answer:
        final = None
        for part in self.stream(question, history, klarsprak, filters):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    # -- what tests, benchmarks and the scripts look at between the stages --------------------------------------
    def turn(self, question: str, history: list[tuple[str, str]] | None = None) -> Turn:
        """The question's records and passages, as the answer step reads them."""
        return self._found(understand(question, _bounded(history)), None)[0]

    def after_refusal(self, turn: Turn) -> Reply:
        """What is quoted should the model refuse this turn."""
        return self.writer.written(turn, self.sources.after_refusal(turn))

    def grounding(self, turn: Turn) -> Grounding:
        return self.sources.grounding(turn)

    def search_query(self, question: str | Question, history: list[tuple[str, str]] | None) -> str:
        """A follow-up ('Och vem instämde i det?') is searched together with the previous question."""
        return understand(question if isinstance(question, str) else question.text, history).query

    def similarity(self):
        """Embedding cosine of an answer sentence and a passage; one embedding per sentence per answer."""
        vectors: dict[str, object] = {}

        def sim(sentence: str, passage: Passage) -> float:
            stored = self.retriever.vector(passage.chunk_id)
            if stored is None:
                return 0.0
            if sentence not in vectors:
                vectors[sentence] = self.retriever.embedder.query(sentence)
            return float(stored @ vectors[sentence])

        return sim

    def ranked_evidence(self, question: str | Question, passages: list[Passage]) -> list[Evidence]:
        return self.writer.ranked_evidence(_understood(question), passages)

    def evidence_list(self, question: str | Question, passages: list[Passage],
                      ranked: list[Evidence] | None = None) -> str:
        return self.writer.evidence_list(_understood(question), passages, ranked)

    def prompt(self, question: str | Question, passages: list[Passage], history=None, klarsprak: bool = False,
               ranked: list[Evidence] | None = None) -> list[dict[str, str]]:
        return self.writer.prompt(_understood(question), passages, history, klarsprak, ranked)


def _understood(question: str | Question) -> Question:
    return analyze(question) if isinstance(question, str) else question


def _bounded(history: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    """The last earlier turns, each cut to a question's and an answer's length: a 5 MB earlier turn sent to
    /v1 must not make the next question slow."""
    if not history:
        return history
    return [(q[:MAX_QUESTION], a[:HISTORY_ANSWER_CHARS]) for q, a in history[-HISTORY_TURNS:]]


def _within(filters: Filters | None, docs: set[str]) -> Filters:
    """The user's filters, narrowed to the documents the question can be about."""
    f = replace(filters) if filters else Filters()
    f.docs = frozenset(docs) if f.docs is None else f.docs & frozenset(docs)
    return f
