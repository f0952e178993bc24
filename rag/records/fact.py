"""A record: one decision fact a document states, with its place and the chunks it comes from; a record kind's
traits; and the reading of people, parties and sentences every kind shares."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Callable

from ..genre import PARTY_ABBR, PARTY_GROUP, PARTY_LIST, PARTY_NAMES, PARTY_WORD, PERSON, RECORD_DETAILS, SAY, party_of_word

SAYS = RECORD_DETAILS
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9−–-])")


@dataclass
class Fact:
    kind: str  # sammanträde | särskilt yttrande | reservation | protokollsanteckning | yrkande | omröstning | jäv | roll | ersättare | deltar inte i beslutet | återremiss | bordläggning | omedelbar justering | ajournering | beslut | beslutsunderlag | skickas till
    doc: str
    organ: str | None
    date: str | None
    paragraf: str | None
    title: str | None
    bilaga: str | None
    locator: str
    text: str  # the sentence(s) the record comes from, as in the document (normalised)
    persons: list[dict] = field(default_factory=list)  # {"name", "party"}
    parties: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    chunk_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Kind:
    """A record kind: its name, the sentence that states a record of it exactly, and how questions use it."""

    name: str
    sentence: Callable[[Fact], str] | None = None  # None: the record's own text
    counted: tuple[str, str] | None = None  # singular and plural: a question may count it in a named report
    members: bool = False  # it lists members with their parties
    content: bool = False  # its text is what a content question asks for ('Vad föreslår utskottet om …?')
    placed: bool = False  # its text does not name the matter: told with its §


def people_in(text: str, members: dict[str, str | None] | None = None) -> list[dict]:
    """'Name (P)' mentions; with the document's members, also their names written without a party
    ('Johan Tolinsson yrkar …'), in the order they stand."""
    flat = " ".join(text.split())
    found: list[tuple[int, dict]] = []
    for m in PERSON.finditer(flat):
        name = SAYS["title_before_name"].sub("", m.group(1))
        name = re.sub(r"^(\w+) \1\b", r"\1", name)  # "Fredrik Fredrik Hansson": a two-column line wrap
        if " " in name:
            found.append((m.start(), {"name": name, "party": m.group(2)}))
    for name, party in (members or {}).items():
        for m in re.finditer(rf"\b{re.escape(name)}\b(?!s?\s*\()", flat):
            found.append((m.start(), {"name": name, "party": party}))
    out: list[dict] = []
    for _, person in sorted(found, key=lambda x: x[0]):
        if person["name"] not in {p["name"] for p in out}:
            out.append(person)
    return out


def parties_in(text: str, people: list[dict]) -> list[str]:
    """Parties a sentence names: members' parties, party names, '(SD)', '(M+C)', 'KD och M reserverar sig'."""
    found = [p["party"] for p in people]
    found += [party_of_word(m.group(1)) for m in PARTY_WORD.finditer(text)]
    found += re.findall(rf"\(({PARTY_ABBR})\)", text)
    found += [p for group in PARTY_GROUP.findall(text) for p in re.split(r"\s*[+/,]\s*", group)]
    for m in PARTY_LIST.finditer(text):
        found += [m.group(1), *re.findall(PARTY_ABBR, m.group(2)), m.group(3)]  # m.group(3) None: one party
    return [p for p in dict.fromkeys(found) if p]


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def joined(items: list[str]) -> str:
    """'A', 'A och B', 'A, B och C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + SAY["and"] + items[-1] if items else ""


def names_of(persons: list[dict]) -> str:
    return joined([f"{p['name']} ({p['party']})" if p.get("party") else p["name"] for p in persons])


def party_list(parties: list[str]) -> str:
    return joined([f"{PARTY_NAMES.get(p, p)} ({p})" for p in parties if p])
