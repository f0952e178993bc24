"""A document's profile and steps: what the corpus-wide views of a question need of one document, made once
when it is indexed. The profile: the organs, meetings, §§, reports and diarienummer a question's scope is
read from, and the word stems the evidence weighs. Its steps: its §§ as steps of matters, with the
diarienummer and earlier steps each names, and its titles. An app instance keeps profiles from the start and
reads the steps on the first question that needs them; it reads passages by id, so that at a million chunks
the passages stay in the database (docs/design.md, "Lean instances")."""
from __future__ import annotations

import gc
import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from ..genre import STOPWORDS, organ_key, organs_in
from ..normalize import fold, path_words
from ..parsing import Chunk
from .fact import Fact
from .matters import Matter, Step, dnr_keys, link, paragrafer, step_mentions, step_references

STEM = 5
WORD = re.compile(r"[0-9a-zåäöéü§]+", re.I)
STOP = {fold(w) for w in STOPWORDS}
_STEMMER = Stemmer.Stemmer("swedish")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    return fold(_STEMMER.stemWord(word))[:STEM]


def stems(text: str) -> set[str]:
    """Snowball stems cut to five letters: 'gäller' and 'gälla', 'helåret' and 'helår',
    'upplåtelsetid' and 'upplåtelse' meet."""
    return {stem(w) for w in WORD.findall(text.lower()) if len(w) >= 3 and fold(w) not in STOP}


@dataclass
class Profile:
    doc: str
    chunks: int
    organs: list[str]  # the meeting's organ(s), as the chunks carry them
    dates: list[str]  # meeting dates
    paragrafer: list[str]
    beteckningar: list[str]  # the committee report's own, as its chunks carry it
    diarienummer: list[str]  # every diarienummer its text names, as keys
    mentioned: list[tuple[str, frozenset[str]]]  # organ keys of every organ its text names
    stems: dict[str, int]  # stem -> the chunks that hold it (empty as Postgres keeps it: paragraf_stems)

    def to_dict(self) -> dict:
        return {**vars(self), "mentioned": [[kind, sorted(words)] for kind, words in self.mentioned]}

    @classmethod
    def from_dict(cls, d: dict) -> Profile:
        return cls(**{**d, "stems": d.get("stems") or {},
                      "mentioned": [(kind, frozenset(words)) for kind, words in d["mentioned"]]})


@dataclass
class DocumentSteps:
    """A document's §§ as steps of matters, what each names of other matters, and its titles."""

    doc: str
    titles: list[str]
    steps: list[Step]
    mentions: list[list[str]]  # for each step: the diarienummer of other matters its text names
    references: list[list[Step]]  # for each step: the earlier steps its text names

    def to_dict(self) -> dict:
        return {"doc": self.doc, "titles": self.titles, "steps": [s.stored() for s in self.steps],
                "mentions": self.mentions, "references": [[s.stored() for s in named] for named in self.references]}

    @classmethod
    def from_dict(cls, d: dict) -> DocumentSteps:
        return cls(d["doc"], d["titles"], [Step.from_dict(s) for s in d["steps"]], d["mentions"],
                   [[Step.from_dict(s) for s in named] for named in d["references"]])


def scope_text(doc: str, chunks: list[Chunk]) -> str:
    """The folded text a question's names are looked for in: the path (it often names the body:
    'goteborg/ks-…', 'kungsbacka/'), and each chunk's locator (title and section), title and text."""
    return fold(" ".join([path_words(doc)] + [f"{c.locator} {c.title or ''} {c.norm}" for c in chunks]))


def profile(doc: str, chunks: list[Chunk]) -> Profile:
    """The profile of a document from its chunks, in their order."""
    held: Counter[str] = Counter()
    for c in chunks:
        held.update(stems(c.norm))
    return Profile(doc, len(chunks), _once(c.organ for c in chunks), _once(c.date for c in chunks),
                   _once(c.paragraf for c in chunks), _once(c.beteckning for c in chunks),
                   sorted({k for c in chunks for k in dnr_keys(f"{c.dnr or ''} {c.text}")}),
                   list(dict.fromkeys(organ_key(p) for p in organs_in(scope_text(doc, chunks)))), dict(held))


def document_steps(doc: str, chunks: list[Chunk], facts: list[Fact]) -> DocumentSteps:
    """The steps of a document from its chunks and records, in their order."""
    steps = paragrafer(chunks, facts)
    return DocumentSteps(doc, _once(c.title for c in chunks), steps, [sorted(k) for k in step_mentions(chunks, steps)],
                         step_references(chunks, steps))


def by_document(items: list) -> dict[str, list]:
    """Chunks or records by their document, in the order of its first one."""
    out: dict[str, list] = {}
    for x in items:
        out.setdefault(x.doc, []).append(x)
    return out


def profiles(chunks: list[Chunk]) -> list[Profile]:
    """Each document's profile, in the order of its first chunk."""
    return [profile(doc, cs) for doc, cs in by_document(chunks).items()]


def steps_of(chunks: list[Chunk], facts: list[Fact]) -> list[DocumentSteps]:
    """Each document's steps, in the order of its first chunk."""
    facts_of = by_document(facts)
    return [document_steps(doc, cs, facts_of.get(doc, [])) for doc, cs in by_document(chunks).items()]


@contextmanager
def in_bulk():
    """Python's cycle collector paused while the steps of a whole index are made or linked: it would walk every
    object made so far again and again (at a million chunks, half the time). Nothing made here is a cycle."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def matters_of(found: list[DocumentSteps]) -> list[Matter]:
    """Every matter of the documents with more than one step (records/matters.py)."""
    with in_bulk():
        return link([s for d in found for s in d.steps], [set(m) for d in found for m in d.mentions],
                [named for d in found for named in d.references])


def _once(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
