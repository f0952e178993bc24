"""Riksdagen's committee reports (betänkanden): their parts, punkter, reservationer and särskilda yttranden.

A betänkande has no §§. It is read from the conventions every committee follows: the
title line with the beteckning, 'Utskottets förslag till riksdagsbeslut' with numbered
punkter that name their reservationer, the justering ('Stockholm den …', 'På …utskottets
vägnar', 'Följande ledamöter har deltagit i beslutet: …'), then numbered reservationer
('av …') and särskilda yttranden ('… anför:'), and bilagor. The same rules read the HTML
Riksdagen publishes and Markdown or PDF text of the same report, since they work on blocks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..genre import BETECKNING, BET_CONTENTS, BET_PARTS, BET_PHRASE, BET_TITLE, NUMBER_VALUES, PHRASING
from .lines import Block
from ..normalize import fold

_FURNITURE_WORDS = re.compile(r"^[A-ZÅÄÖ ,–-]+$")


@dataclass
class Ledamot:
    name: str
    party: str | None
    abstains: str | None = None  # the footnote: 'Avstår från ställningstagande under punkt 7.'


@dataclass
class Punkt:
    number: str | None
    title: str
    reservationer: list[str] = field(default_factory=list)  # their numbers ('1'; '' when unnumbered)
    first: int = 0  # index of its first block
    last: int = 0


@dataclass
class Yttrande:
    """A reservation or a särskilt yttrande: who wrote it and on which punkt."""

    kind: str  # 'reservation' | 'särskilt yttrande'
    number: str | None
    title: str
    punkt: str | None
    parties: list[str]
    persons: list[dict]
    first: int  # index of its heading block
    last: int  # index of its last block

    @property
    def label(self) -> str:
        name = "Reservation" if self.kind == "reservation" else "Särskilt yttrande"
        head = f"{name} {self.number}" if self.number else name
        head += f" ({', '.join(self.parties)})" if self.parties else ""
        return head + (f" · punkt {self.punkt}" if self.punkt else "")


@dataclass
class Betankande:
    utskott: str
    beteckning: str
    title: str | None
    date: str | None = None
    signatory: str | None = None
    ledamoter: list[Ledamot] = field(default_factory=list)
    punkter: list[Punkt] = field(default_factory=list)
    yttranden: list[Yttrande] = field(default_factory=list)
    bilagor: list[str] = field(default_factory=list)
    announced: dict[str, int] = field(default_factory=dict)  # 'reservation' -> 16, as its summary says
    referenced: list[str] = field(default_factory=list)  # reservation numbers the punkter name
    justering: tuple[int, int] = (0, 0)  # first and last index of the justering's blocks

    @property
    def reservationer(self) -> list[Yttrande]:
        return [y for y in self.yttranden if y.kind == "reservation"]

    @property
    def sarskilda_yttranden(self) -> list[Yttrande]:
        return [y for y in self.yttranden if y.kind == "särskilt yttrande"]


def flat(block: Block) -> str:
    return re.sub(r"^#+\s*", "", " ".join(block.norm.replace("**", "").split()))


def recognise(blocks: list[Block], name: str = "") -> tuple[str, str, str | None] | None:
    """(utskott, beteckning, title) when the first blocks are a betänkande's title page, or (a conversion
    that dropped the title page: pandoc's '[TABLE]') when the report signs as a committee's."""
    return _titled(blocks) or _untitled(blocks, name)


def looks_like(blocks: list[Block]) -> bool:
    """The first blocks are a report's, titled or not (a heading of its parts and a 'betänkande' or 'Utskottet')."""
    return bool(_titled(blocks)) or _parts_shown(blocks)


def _parts_shown(blocks: list[Block]) -> bool:
    """A heading of a report's parts ('Innehållsförteckning', 'Reservationer') and the word 'betänkande'."""
    texts = [flat(b) for b in blocks]
    return any(fold(t).strip(" :") in BET_CONTENTS | set(BET_PARTS) for t in texts) and any(
        re.search(PHRASING["report_word"], t) for t in texts)


def _untitled(blocks: list[Block], name: str) -> tuple[str, str, str | None] | None:
    """A report without its title page: the signature names the committee ('På arbetsmarknadsutskottets
    vägnar'); the file name ('bet-2018-19-AU1.md') or the text names the beteckning."""
    if not _parts_shown(blocks[:60]):  # recognise() tried the title page first
        return None
    signed = next((m for b in blocks for m in [BET_PHRASE["signatory"].match(flat(b))] if m), None)
    if signed is None:
        return None
    named = _NAMED_BETECKNING.search(name)
    if named:
        bet = f"{named.group(1)}/{named.group(2)}:{named.group(3)}"
    else:
        said = [m.group("bet") for b in blocks for m in BETECKNING.finditer(flat(b))]
        if not said:
            return None
        bet = max(dict.fromkeys(said), key=said.count)
    utskott = _committee(signed.group("utskott"))
    title = next((t for t in map(flat, blocks[:6]) if t and not t.startswith("[") and len(t) < 200), None)
    return utskott, bet, title


def _committee(genitive: str) -> str:
    """'arbetsmarknadsutskottets' -> 'Arbetsmarknadsutskottet'."""
    return genitive[0].upper() + genitive[1:-1]


# a file named by its beteckning: 'bet-2018-19-AU1.md', '2010_11_FöU11.html'
_NAMED_BETECKNING = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_](\d\d)[-_:]([A-Za-zÅÄÖåäö]{0,3}U\d{1,3})(?![\w])")


def _titled(blocks: list[Block]) -> tuple[str, str, str | None] | None:
    head = [c.strip() for b in blocks[:6] for c in flat(b).split("|") if c.strip()]  # a title page may be a table
    for i, text in enumerate(head):
        m = BET_TITLE.match(text)
        if not m:
            continue
        bet = BETECKNING.search(text) or next((BETECKNING.search(t) for t in head[i + 1:i + 3] if BETECKNING.search(t)), None)
        if bet is None:
            return None
        utskott = _committee(m.group("utskott"))
        rest = [t for t in head[i + 1:i + 4] if not BETECKNING.fullmatch(t.strip())]
        return utskott, bet.group("bet"), (rest[0] if rest else None)
    return None


def is_furniture(text: str, beteckning: str) -> bool:
    """Page furniture of the printed report: a page number, the beteckning, a running head."""
    text = text.replace("|", " ").strip()
    if re.fullmatch(r"\d{1,3}", text):
        return True
    rest = " ".join(text.replace(beteckning, " ").split())
    return beteckning in text and (not rest or bool(_FURNITURE_WORDS.match(rest)))


def announced(blocks: list[Block]) -> dict[str, int]:
    """What the report's summary says it holds: 'I betänkandet finns 16 reservationer …'."""
    out: dict[str, int] = {}
    for b in blocks[:40]:
        text = flat(b)
        if "|" in text:
            continue
        for m in BET_PHRASE["announced"].finditer(text):
            count = m.group("count").lower()
            number = int(count) if count.isdigit() else NUMBER_VALUES[count]
            kind = "reservation" if m.group("kind").lower().startswith("reservation") else "särskilt yttrande"
            out.setdefault(kind, number)
    return out


_LIST_MARK = re.compile(r"^(?:\d{1,3}\.|[a-z]\)|[*•–-])?$")


_DELIMITER = re.compile(r"^\s*\|?\s*(?::?-{3,}:?|={3,})\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def layout_cells(blocks: list[Block]) -> list[Block]:
    """A table that only lays out a list is not data: rows of a list mark and a text ('| 1. | Regeringens
    skrivelse … |', '|  | av Ylva Johansson (S) … |'), or one row of a few cells. Each row is read as a
    paragraph of its own ('1. Regeringens skrivelse …'), with the table's place in the source."""
    out: list[Block] = []
    for b in blocks:
        lines = b.norm.strip().split("\n")
        kept = [ln for ln in lines if not _DELIMITER.match(ln)]  # a table's '---|---', a heading's '---' under it
        if not kept:
            continue
        table = b.table or len(kept) < len(lines) and "|" in b.norm  # GFM rows need no leading pipe ('1.| …')
        if len(kept) < len(lines) and not table:
            b = replace(b, norm="\n".join(kept))
        outer = kept[0].lstrip().startswith("|")  # '| 1. | … |', or GFM without outer pipes: '1.| …', '| av …'
        rows = [[c.strip() for c in (row.strip().strip("|") if outer else row.strip().rstrip("|")).split("|")]
                for row in kept]
        filled = [[c for c in row if c] for row in rows]
        listing = all(len(f) <= 2 and _LIST_MARK.match(row[0]) for row, f in zip(rows, filled) if row)
        if table and (listing or len(rows) == 1 and len(filled[0]) <= 4):
            texts = [" ".join(f) for f in filled if f] if listing else filled[0]
            out += [replace(b, norm=t, table=False) for t in texts]
        else:
            out.append(b)
    return out


