"""Matters: the §§ that handle one ärende, linked across documents and bodies — by diarienummer (every shape
the genre writes it), by a § that names an earlier step ('beslutade den 26 september 2024 § 189'), and by
title where neither is written — and told as steps in date order, each with what was decided and the
statements, reservations and votes of the step, and where it stands."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from ..genre import (GENITIVE_ORGAN, MATTER_REFERENCES, MORE_REFERENCE, NOT_DIARIENUMMER, NUMBER_YEAR, ORGAN_ABBREV,
                     STANDING_TITLES, STEP_DONE, iso_date)
from ..normalize import fold
from ..parsing import Chunk, cut_at_space
from .fact import Fact
from .kinds import sentence

DECISION_CHARS = 300  # of a step's Beslut
SAME_TITLE = 0.5  # a bare number's step and a series number's step: this share of the shorter title's words shared
MOST_MENTIONS = 2  # other diarienummer a § may name and still be a step of their matters
SAID_KINDS = ("reservation", "särskilt yttrande", "omröstning", "protokollsanteckning")  # told with a step
# a series, the year and the number: 'STK-2024-1374', 'KS 2025/123', 'Bun/2023:276'; never a date ('Fritid 2025-09-17')
# nor a riksmöte's report ('Jämför 2010/11:AU1')
_STANDING = {" ".join(re.findall(r"\w+", fold(t))) for t in STANDING_TITLES}  # as _title_key writes them
_DNR = re.compile(r"(?<![\w/])([A-ZÅÄÖ][A-ZÅÄÖa-zåäö]{0,5})[ /-]?((?:19|20)\d\d)[:/-]0*(\d{1,6})(?![-\d]|:[A-ZÅÄÖa-zåäö])")


class _made_once:
    """A cached property without the lock Python 3.11's takes on every first read (a step's keys come out the
    same in any thread, and a million chunks' steps are keyed at once)."""

    def __init__(self, make) -> None:
        self.make, self.name, self.__doc__ = make, make.__name__, make.__doc__

    def __get__(self, step, owner=None):
        if step is None:
            return self
        value = step.__dict__[self.name] = self.make(step)
        return value


def dnr_key(dnr: str) -> str | None:
    """'STK-2024-1374', 'KS 2025/123', 'Bun/2023:276', 'KS-2025-00530' -> 'STK-2024-1374', 'KS-2025-123', …: one
    key whatever the shape."""
    m = _DNR.search(dnr or "")
    if m and m.group(1).upper() not in NOT_DIARIENUMMER:
        return f"{m.group(1).upper()}-{m.group(2)}-{int(m.group(3))}"
    m = NUMBER_YEAR.fullmatch((dnr or "").strip())  # Göteborg's '0488/23': only as a §'s own diarienummer
    return f"{int(m.group(1))}/{m.group(2)}" if m else None


def dnr_named(text: str) -> str | None:
    """The key of a diarienummer a question names beyond doubt: its series in capitals ('KS 2025/123') or
    joined to the year ('Bun/2023:276'), never a word before a period ('Under 2024-2025')."""
    for m in _DNR.finditer(text or ""):
        if m.group(1).isupper() and len(m.group(1)) > 1 or text[m.end(1):m.end(1) + 1] in "/-":
            return dnr_key(m.group(0))
    return None


def dnr_keys(text: str) -> set[str]:
    """Every diarienummer a text names, as keys ('STK-2024-1374', 'KS 2025/123' -> 'KS-2025-123')."""
    return {k for m in _DNR.finditer(text or "") if (k := dnr_key(m.group(0)))}


def in_order(x: Step | Fact) -> tuple:
    """Date, body, § number: how steps and records over meetings are told."""
    return (x.date or "", x.organ or "", int(x.paragraf) if (x.paragraf or "").isdigit() else 0)


@dataclass
class Step:
    """One § of a matter: the body, the meeting, what was decided and said; `mentioned` when no document of
    the corpus holds the § itself, only a later step that names it."""
    organ: str | None
    date: str | None
    paragraf: str
    title: str | None = None
    doc: str | None = None
    locator: str = ""
    chunk_id: str | None = None
    dnr: str | None = None
    decision: str = ""
    said: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, sentence, chunk id)
    mentioned_in: str | None = None  # the locator of the step that names it

    @_made_once
    def key(self) -> tuple:
        """Made once: read when the step is whole (`paragrafer` sets its body and date first)."""
        return (_folded_organ(self.organ or ""), self.date, self.paragraf)

    @_made_once
    def linked_by(self) -> _Keys:
        """What linking reads of the step, made once (a refreshed index links the steps it kept again)."""
        series = _DNR.search(self.dnr or "")
        bare = NUMBER_YEAR.fullmatch((self.dnr or "").strip())
        return _Keys(dnr_key(self.dnr or ""), _title_key(fold(self.title or "")),
                     (series.group(2), int(series.group(3))) if series else None,
                     (f"20{bare.group(2)}", int(bare.group(1))) if bare else None)

    @classmethod
    def from_dict(cls, d: dict) -> Step:
        """From `to_dict`, or its stored form without the fields left empty (`stored`)."""
        return cls(**{"organ": None, "date": None, **d, "said": [(s["kind"], s["text"], s["chunk_id"])
                                                                 for s in d.get("said", ())]})

    def stored(self) -> dict:
        """`to_dict` without its empty fields: a million chunks' steps are read by every instance."""
        return {k: v for k, v in self.to_dict().items() if v not in (None, "", [])}

    def to_dict(self) -> dict:
        return {"organ": self.organ, "date": self.date, "paragraf": self.paragraf, "title": self.title,
                "doc": self.doc, "locator": self.locator, "chunk_id": self.chunk_id, "dnr": self.dnr,
                "decision": self.decision, "said": [{"kind": k, "text": s, "chunk_id": c} for k, s, c in self.said],
                "mentioned_in": self.mentioned_in}


class _Keys(NamedTuple):
    dnr: str | None  # the diarienummer's key
    title: str | None  # the title's key, when it may link bodies
    number: tuple[str, int] | None  # (year, number) of a diarienummer with its series
    bare: tuple[str, int] | None  # (year, number) of one without ('1313/22')


@dataclass
class Matter:
    """One ärende: its diarienummer, its title and its steps in date order."""
    dnr: list[str]
    title: str
    steps: list[Step]

    @property
    def name(self) -> str:
        return self.dnr[0] if self.dnr else self.title

    def to_dict(self) -> dict:
        return {"dnr": self.dnr, "title": self.title, "steps": [s.to_dict() for s in self.steps]}


def link(steps: list[Step], mentions: list[set[str]], references: list[list[Step]]) -> list[Matter]:
    """Every matter with more than one step, the oldest first step first, from the §§ as `paragrafer` read them
    and what each names (`step_mentions`, `step_references`); steps only named by a § are added to a copy."""
    steps = list(steps)
    links = _Links(len(steps))
    by_key = {s.key: i for i, s in enumerate(steps)}
    by_dnr: dict[str, int] = {}
    by_title: dict[str, int] = {}
    for i, s in enumerate(steps):
        key, title = s.linked_by.dnr, s.linked_by.title
        if key:
            links.join(i, by_dnr.setdefault(key, i))
        if title and not s.dnr:  # a matter moving between bodies; one body's recurring item is a new matter each time
            first = by_title.setdefault(title, i)
            if steps[first].key[0] != s.key[0]:  # their bodies, folded
                links.join(i, first)
    for i, j in _same_number(steps):
        links.join(i, j)
    for i, mentioned in enumerate(mentions):
        for key in mentioned & by_dnr.keys():
            links.join(i, by_dnr[key])
    for i, named in enumerate(references):
        for step in named:
            j = by_key.get(step.key)
            if j is None:
                by_key[step.key] = j = len(steps)
                steps.append(step)
                links.grow()
            links.join(i, j)
    return _grouped(steps, links)


def _grouped(steps: list[Step], links: _Links) -> list[Matter]:
    groups: dict[int, list[Step]] = {}
    for i, s in enumerate(steps):
        groups.setdefault(links.root(i), []).append(s)
    out = []
    for members in groups.values():
        if len({(s.doc, s.paragraf, s.date) for s in members}) < 2:
            continue
        members.sort(key=in_order)
        # the diarienummer most steps carry (the body that owns the matter) first; a tie: the latest step's
        carried = Counter(s.dnr for s in members)
        first = {d: i for i, d in reversed(list(enumerate(s.dnr for s in members)))}
        dnrs = sorted((d for d in carried if d), key=lambda d: (-carried[d], -first[d]))
        titles = Counter(s.title for s in members if s.title)
        out.append(Matter(dnrs, titles.most_common(1)[0][0] if titles else "", members))
    return sorted(out, key=lambda m: (m.steps[0].date or "", m.name))


def find(found: list[Matter], query: str) -> list[Matter]:
    """The matters a diarienummer or a title (its words) names."""
    key = dnr_key(query)
    if key:
        hits = [m for m in found if any(dnr_key(d) == key for d in m.dnr)]
        if hits:
            return hits
    words = [w for w in re.findall(r"\w{4,}", fold(query))]
    return [m for m in found if words and all(any(w[:6] in fold(s.title or "") for s in m.steps) for w in words)]


class _Links:
    """Union-find over step indices."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def grow(self) -> None:
        self.parent.append(len(self.parent))

    def root(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.root(a)] = self.root(b)


def paragrafer(chunks: list[Chunk], facts: list[Fact]) -> list[Step]:
    """A step per § of each document (its chunks and bilagor; by its diarienummer too, as a document of
    handlingar may hold two bodies' § 80), with its decision and statements. The body and date are those of
    its Beslut: a § may quote an earlier date or carry another body's running head."""
    steps: dict[tuple, Step] = {}
    of_chunk: dict[str, Step] = {}
    for c in chunks:
        if not c.paragraf or not c.date:
            continue
        key = (c.doc, c.paragraf, dnr_key(c.dnr or ""))
        s = steps.get(key)
        if s is None:
            s = steps[key] = Step(c.organ, c.date, c.paragraf, c.title, c.doc, _step_locator(c), c.id, c.dnr)
        s.title = s.title or c.title
        of_chunk[c.id] = s
    for f in facts:
        s = of_chunk.get(f.chunk_ids[0]) if f.chunk_ids else None
        if s is None:
            continue
        if f.kind == "beslut":  # the Beslut's blocks, its opening told
            if not s.decision:
                s.chunk_id, s.organ, s.date = f.chunk_ids[0], f.organ or s.organ, f.date or s.date
                s.locator = " · ".join(x for x in (s.organ, s.date, f"§ {s.paragraf}", s.title) if x)
            s.decision = _opening(f"{s.decision} {f.text}") if len(s.decision) < DECISION_CHARS else s.decision
        elif f.kind in SAID_KINDS:
            s.said.append((f.kind, sentence(f), f.chunk_ids[0]))
    return list(steps.values())


def step_references(chunks: list[Chunk], steps: list[Step]) -> list[list[Step]]:
    """For each step, the earlier steps its text names (as Steps to be found or added)."""
    named: list[list[Step]] = [[] for _ in steps]
    for i, c in _step_chunks(chunks, steps):
        text = " ".join(c.norm.split())
        for pattern in MATTER_REFERENCES:
            for m in pattern.finditer(text):
                for step in _named_steps(m, steps[i]):
                    if step.key != steps[i].key and step.key not in {x.key for x in named[i]}:
                        named[i].append(step)
    return named


def _step_chunks(chunks: list[Chunk], steps: list[Step]):
    """(step index, chunk) for every chunk of a step."""
    index = {(s.doc, s.paragraf, dnr_key(s.dnr or "")): i for i, s in enumerate(steps)}
    for c in chunks:
        i = index.get((c.doc, c.paragraf, dnr_key(c.dnr or "")))
        if i is not None:
            yield i, c


def _same_number(steps: list[Step]) -> list[tuple[int, int]]:
    """A diarienummer written without its series ('1313/22') and one with it ('SLK-2022-01313'): the same
    number of the same year, and titles alike (one body's registry numbers every series from one)."""
    by_number: dict[tuple[str, int], list[int]] = {}
    for j, s in enumerate(steps):
        if s.linked_by.number:
            by_number.setdefault(s.linked_by.number, []).append(j)
    pairs = []
    words: dict[int, set[str]] = {}  # step index -> its title's words, made for the steps compared only
    for i, s in enumerate(steps):
        for j in by_number.get(s.linked_by.bare, []) if s.linked_by.bare else []:
            if _shared_words(*(words.setdefault(x, _title_words(steps[x].title)) for x in (i, j))) >= SAME_TITLE:
                pairs.append((i, j))
    return pairs


def _title_words(title: str | None) -> set[str]:
    """The title's words of five letters or more, by their first six."""
    return {w[:6] for w in re.findall(r"\w{5,}", fold(title or ""))}


def _shared_words(wa: set[str], wb: set[str]) -> float:
    """The share of the shorter title's words the other holds."""
    shorter, other = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return len(shorter & other) / len(shorter) if shorter else 0.0


def step_mentions(chunks: list[Chunk], steps: list[Step]) -> list[set[str]]:
    """For each step, the diarienummer of other matters its text names ('Begäran om yttrande … KS-2025-00530'):
    a remiss answered, a decision followed up. A § that names more than MOST_MENTIONS is a list (delegation
    decisions, letters received), a step of none of them."""
    found: list[set[str]] = [set() for _ in steps]
    for i, c in _step_chunks(chunks, steps):
        found[i] |= {dnr_key(m.group(0)) for m in _DNR.finditer(c.norm)} - {dnr_key(steps[i].dnr or ""), None}
    return [keys if len(keys) <= MOST_MENTIONS else set() for keys in found]


def _named_steps(m: re.Match, by: Step) -> list[Step]:
    """The steps a reference names (one, or a list: '… den 12 juni 2024, § 547 och den 28 augusti 2024, § 634');
    without an organ the referring body's own."""
    groups = m.groupdict()
    organ = _organ(groups.get("organ") or "") if groups.get("organ") else by.organ
    if groups.get("yymmdd"):
        d = groups["yymmdd"]
        date = f"20{d[:2]}-{d[2:4]}-{d[4:]}"
    else:
        date = groups.get("iso") or iso_date(groups.get("date") or "")
    named = [(date, groups.get("paragraf"))]
    named += [(iso_date(x.group("date")), x.group("paragraf")) for x in MORE_REFERENCE.finditer(groups.get("more") or "")]
    done = STEP_DONE.match(m.group(0))  # 'Bordlagt den …': what those steps did
    return [Step(organ, d, p, decision=done.group(0).capitalize() if done else "",
                 mentioned_in=f"{by.organ} {by.date} § {by.paragraf}") for d, p in named if d and organ and p]


def _organ(word: str) -> str | None:
    """'KSAU' -> 'Kommunstyrelsens arbetsutskott'; 'grundskolenämndens' -> 'Grundskolenämnden'."""
    if word.lower() in ORGAN_ABBREV:
        return ORGAN_ABBREV[word.lower()]
    if len(word) <= 6:
        return None
    name = word[:1].upper() + word[1:]
    return GENITIVE_ORGAN.sub(r"\1", name)


def _step_locator(c: Chunk) -> str:
    return " · ".join(x for x in (c.organ, c.date, f"§ {c.paragraf}", c.title) if x)


@lru_cache(maxsize=4096)
def _folded_organ(organ: str) -> str:
    return fold(organ)


def _title_key(folded: str) -> str | None:
    key = " ".join(re.findall(r"\w+", folded))
    return key if len(key) >= 15 and key not in _STANDING else None


def _opening(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= DECISION_CHARS else flat[: cut_at_space(flat, DECISION_CHARS)] + " …"
