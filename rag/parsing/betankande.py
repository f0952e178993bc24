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

from ..genre import BET_CONTENTS, BET_PARTS, BET_PHRASE, BET_TITLE, BETECKNING, PERSON, iso_date, party_code
from .lines import Block
from ..normalize import fold

_NUMBER_WORDS = {"en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8,
                 "nio": 9, "tio": 10, "elva": 11, "tolv": 12, "tretton": 13, "fjorton": 14, "femton": 15,
                 "sexton": 16, "sjutton": 17, "arton": 18, "nitton": 19, "tjugo": 20}
_NUMBERED = re.compile(r"^(\d{1,3})\.\s*(.*)$")
_HEADER = re.compile(r"^(?P<title>.+?)(?:,\s*punkt(?:erna)?\s+(?P<punkt>\d{1,3}(?:\s*(?:[-–,]|och)\s*\d{1,3})*))?"
                     r"\s*\((?P<parties>[^()]+)\)\s*(?:av\s+(?P<by>.+))?$")
_FURNITURE_WORDS = re.compile(r"^[A-ZÅÄÖ ,–-]+$")
_FOOTNOTE_MARK = re.compile(r"\)\s*(\d{1,2}|\*)")


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


def _flat(block: Block) -> str:
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
    texts = [_flat(b) for b in blocks]
    return any(fold(t).strip(" :") in BET_CONTENTS | set(BET_PARTS) for t in texts) and any(
        re.search(r"\bbetänkande\w*\b|\bUtskottet\b", t) for t in texts)


def _untitled(blocks: list[Block], name: str) -> tuple[str, str, str | None] | None:
    """A report without its title page: the signature names the committee ('På arbetsmarknadsutskottets
    vägnar'); the file name ('bet-2018-19-AU1.md') or the text names the beteckning."""
    if not _parts_shown(blocks[:60]):  # recognise() tried the title page first
        return None
    signed = next((m for b in blocks for m in [BET_PHRASE["signatory"].match(_flat(b))] if m), None)
    if signed is None:
        return None
    named = _NAMED_BETECKNING.search(name)
    if named:
        bet = f"{named.group(1)}/{named.group(2)}:{named.group(3)}"
    else:
        said = [m.group("bet") for b in blocks for m in BETECKNING.finditer(_flat(b))]
        if not said:
            return None
        bet = max(dict.fromkeys(said), key=said.count)
    utskott = _committee(signed.group("utskott"))
    title = next((t for t in map(_flat, blocks[:6]) if t and not t.startswith("[") and len(t) < 200), None)
    return utskott, bet, title


def _committee(genitive: str) -> str:
    """'arbetsmarknadsutskottets' -> 'Arbetsmarknadsutskottet'."""
    return genitive[0].upper() + genitive[1:-1]


# a file named by its beteckning: 'bet-2018-19-AU1.md', '2010_11_FöU11.html'
_NAMED_BETECKNING = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_](\d\d)[-_:]([A-Za-zÅÄÖåäö]{0,3}U\d{1,3})(?![\w])")


def _titled(blocks: list[Block]) -> tuple[str, str, str | None] | None:
    head = [c.strip() for b in blocks[:6] for c in _flat(b).split("|") if c.strip()]  # a title page may be a table
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


def _parties(text: str) -> list[str]:
    """'S, MP och V' or 's, v' -> ['S', 'MP', 'V']; [] when a word is not a party."""
    words = [w for w in re.split(r"\s*(?:,|\boch\b|\bsamt\b)\s*", text.strip()) if w]
    codes = [party_code(w) for w in words]
    return codes if words and all(codes) else []  # type: ignore[return-value]


def _persons(text: str) -> list[dict]:
    out = []
    for m in PERSON.finditer(text):
        party = party_code(m.group(2)) or m.group(2)
        if " " in m.group(1).strip():
            out.append({"name": m.group(1).strip(), "party": party})
    # 'Roza Güclü Hedin och Shadiye Heydari (båda S)'
    for m in re.finditer(r"([A-ZÅÄÖ][\w\-]+(?: [A-ZÅÄÖ][\w\-]+){1,3}) och ([A-ZÅÄÖ][\w\-]+(?: [A-ZÅÄÖ][\w\-]+){1,3})"
                         r" \((?:båda|alla) (\w+)\)", text):
        out += [{"name": m.group(k), "party": party_code(m.group(3))} for k in (1, 2)]
    return out


def _is_furniture(text: str, beteckning: str) -> bool:
    """Page furniture of the printed report: a page number, the beteckning, a running head."""
    text = text.replace("|", " ").strip()
    if re.fullmatch(r"\d{1,3}", text):
        return True
    rest = " ".join(text.replace(beteckning, " ").split())
    return beteckning in text and (not rest or bool(_FURNITURE_WORDS.match(rest)))


def _entry(text: str) -> str:
    """A contents entry without its dots and page number, folded."""
    return fold(re.sub(r"[.\s]*\d*\s*$", "", text.replace("|", " ")).strip())


def _contents_end(texts: list[str], at: int) -> int:
    """The block after a table of contents that starts at `at`: where its first entry comes again
    as a heading. Entries stand in blocks of their own or in the cells of a contents table."""
    cells = [_entry(c) for c in texts[at].split("|")] if "|" in texts[at] else []
    cells = [c for c in cells if c and c not in BET_CONTENTS]
    first = cells[0] if cells else (_entry(texts[at + 1]) if at + 1 < len(texts) else None)
    start = at + 1 if cells else at + 2
    for j in range(start, min(len(texts), at + 400)):
        if "|" not in texts[j] and _entry(texts[j]) == first:
            return j
    # entries with dotted leaders and page numbers ('Sammanfattning ....... 1'), a group title between
    # them ('Bilaga 1'): the contents run while such rows come (a PDF's page-by-page layout)
    j = at + 1
    while j < len(texts) and (_LEADER.search(texts[j]) or len(texts[j]) < 80 and j + 1 < len(texts)
                              and _LEADER.search(texts[j + 1])):
        j += 1
    return j


_LEADER = re.compile(r"\.{6,}\s*\|?\s*\d*\s*\|?\s*$")


class _Reader:
    def __init__(self, blocks: list[Block], bet: Betankande) -> None:
        self.blocks = blocks
        self.bet = bet
        self.texts = [_flat(b) for b in blocks]
        self.part: str | None = None
        self.heading: str | None = None  # a sub-heading of the current part
        self.bilaga: str | None = None
        self.current: Yttrande | None = None
        self.expected = {"reservation": 1, "särskilt yttrande": 1}
        self.punkt: Punkt | None = None
        self.part_start = 0  # index of the first block after the current part's heading
        self.out: list[Block] = []

    def run(self) -> list[Block]:
        i = 0
        while i < len(self.blocks):
            i = self.step(i)
        return [replace(b, date=self.bet.date or b.date) for b in self.out]  # the justering comes late

    def keep(self, i: int, section: str | None) -> None:
        b = self.blocks[i]
        self.out.append(replace(b, organ=self.bet.utskott, date=self.bet.date or b.date, paragraf=None,
                                section=section, bilaga=self.bilaga, part=None, beteckning=self.bet.beteckning,
                                title=self.bet.title))
        if self.current is not None:
            self.current.last = len(self.out) - 1
        if self.punkt is not None and self.part == "Förslag till riksdagsbeslut" and section != "Justering":
            self.punkt.last = len(self.out) - 1
        if section == "Justering":
            first = self.bet.justering[0] or len(self.out) - 1
            self.bet.justering = (first, len(self.out) - 1)

    def step(self, i: int) -> int:
        text = self.texts[i]
        key = fold(text)
        if _is_furniture(text, self.bet.beteckning):
            return i + 1
        if key in BET_CONTENTS or "|" in text and _entry(text.split("|")[1]) in BET_CONTENTS:
            end = _contents_end(self.texts, i)
            for j in range(i, end):
                self.keep(j, "Innehållsförteckning")
            return end
        m = BET_PHRASE["bilaga"].match(text)
        if m and (not m.group("title") or len(text) < 120):
            self.bilaga = f"Bilaga {m.group('n')}"
            self.bet.bilagor.append(self.bilaga)
            self.part, self.current, self.heading = None, None, m.group("title") or None
            self.keep(i, None)
            return i + 1
        if key in BET_PARTS and text.isupper() and BET_PARTS[key] == self.part:
            return i + 1  # a running head: the part's name in capitals at a page top
        if key in BET_PARTS and not self.bilaga:
            self.part, self.current, self.punkt, self.heading = BET_PARTS[key], None, None, None
            self.keep(i, self.part)
            self.part_start = len(self.out)
            return i + 1
        if self.part == "Förslag till riksdagsbeslut":
            return self.forslag(i, text)
        if self.part in ("Reservation", "Särskilt yttrande") and not self.bilaga:
            return self.yttrande(i, text)
        self.keep(i, self._section())
        return i + 1

    def _section(self) -> str | None:
        if self.bilaga:
            return self.heading
        if self.part and self.heading:
            return f"{self.part} · {self.heading}"
        return self.part

    # --- Utskottets förslag till riksdagsbeslut and the justering ---
    def forslag(self, i: int, text: str) -> int:
        bet = self.bet
        m = BET_PHRASE["justering"].match(text)
        if m:
            bet.date = iso_date(m.group("date")) or bet.date
            self.keep(i, "Justering")
            return i + 1
        if BET_PHRASE["signatory"].match(text):
            self.keep(i, "Justering")
            if i + 1 < len(self.blocks):
                bet.signatory = self.texts[i + 1]
                self.keep(i + 1, "Justering")
            return i + 2
        m = BET_PHRASE["members"].match(text)
        if m:
            self.keep(i, "Justering")
            return self.members(i, m.group("list"))
        n = _NUMBERED.match(text)
        if n and not BET_PHRASE["reservation_ref"].match(text):
            title = n.group(2) or (self.texts[i + 1] if i + 1 < len(self.texts) else "")
            self.punkt = Punkt(n.group(1), title, first=len(self.out))
            bet.punkter.append(self.punkt)
            self.heading = f"punkt {n.group(1)}"
            self.keep(i, self._section())
            if not n.group(2) and i + 1 < len(self.blocks):
                self.keep(i + 1, self._section())
                return i + 2
            return i + 1
        refs = list(BET_PHRASE["reservation_ref"].finditer(text))
        if refs and len(" ".join(r.group(0) for r in refs)) >= len(text) - 3:
            if self.punkt is None:
                self.punkt = Punkt(None, self._previous_title(i), first=self.part_start)
                bet.punkter.append(self.punkt)
            for r in refs:
                self.punkt.reservationer.append(r.group("n") or "")
                bet.referenced.append(r.group("n") or "")
        self.keep(i, self._section())
        return i + 1

    def _previous_title(self, i: int) -> str:
        """The first block after the förslag heading: the title of a report with one unnumbered punkt."""
        for j in range(i - 1, -1, -1):
            if fold(self.texts[j]) in BET_PARTS:
                return self.texts[j + 1] if j + 1 < i else ""
        return ""

    def members(self, i: int, listing: str) -> int:
        """'Följande ledamöter har deltagit i beslutet: A (S)1, B (M) …' and its footnotes ('1 Avstår …')."""
        marks: dict[str, list[Ledamot]] = {}
        for m in PERSON.finditer(listing):
            name = m.group(1).strip()
            if " " not in name:
                continue
            member = Ledamot(name, party_code(m.group(2)) or m.group(2))
            self.bet.ledamoter.append(member)
            mark = _FOOTNOTE_MARK.match(listing, m.end() - 1)
            if mark:
                marks.setdefault(mark.group(1), []).append(member)
        j = i + 1
        while j < len(self.blocks) and marks:
            text = self.texts[j]
            star = re.match(r"^(\*|\d{1,2})\s*(.*)$", text)
            if not star or star.group(1) not in marks:
                break
            note = star.group(2) or (self.texts[j + 1] if j + 1 < len(self.texts) else "")
            for member in marks[star.group(1)]:
                member.abstains = note
            self.keep(j, "Justering")
            if not star.group(2):
                self.keep(j + 1, "Justering")
                j += 1
            j += 1
        return j

    # --- Reservationer and särskilda yttranden ---
    def yttrande(self, i: int, text: str) -> int:
        kind = "reservation" if self.part == "Reservation" else "särskilt yttrande"
        n = _NUMBERED.match(text)
        expected = str(self.expected[kind])
        if n and n.group(1) == expected and not n.group(2):
            head = _HEADER.match(self.texts[i + 1]) if i + 1 < len(self.texts) else None
            if head and _parties(head.group("parties")):
                self.open(kind, expected, head)
                self.keep(i, self.current.label)
                self.keep(i + 1, self.current.label)
                return i + 2
        elif n and n.group(1) == expected:
            head = _HEADER.match(n.group(2))
            if head and _parties(head.group("parties")):
                self.open(kind, expected, head)
                self.keep(i, self.current.label)
                return i + 1
        elif self.current is None and expected == "1":
            head = _HEADER.match(text)  # an unnumbered one: the report has only one
            if head and _parties(head.group("parties")) and len(text) < 200:
                self.open(kind, None, head)
                self.keep(i, self.current.label)
                return i + 1
        if self.current is not None and not self.current.persons:
            m = BET_PHRASE["signers_reservation" if kind == "reservation" else "signers_yttrande"].match(text)
            if m:
                self.current.persons = _persons(m.group("list"))
                self.keep(i, self.current.label)
                return i + 1
        label = self.current.label if self.current else self.part
        sub = fold(text)
        if self.current is not None and sub in ("forslag till riksdagsbeslut", "stallningstagande"):
            self.heading = text
        elif self.current is not None and self.heading:
            label = f"{label} · {self.heading}"
        self.keep(i, label)
        return i + 1

    def open(self, kind: str, number: str | None, head: re.Match) -> None:
        self.current = Yttrande(kind, number, head.group("title").strip(), head.group("punkt"),
                                _parties(head.group("parties")), _persons(head.group("by") or ""),
                                len(self.out), len(self.out))
        self.bet.yttranden.append(self.current)
        self.heading = None
        if number:
            self.expected[kind] = int(number) + 1


def announced(blocks: list[Block]) -> dict[str, int]:
    """What the report's summary says it holds: 'I betänkandet finns 16 reservationer …'."""
    out: dict[str, int] = {}
    for b in blocks[:40]:
        text = _flat(b)
        if "|" in text:
            continue
        for m in BET_PHRASE["announced"].finditer(text):
            count = m.group("count").lower()
            number = int(count) if count.isdigit() else _NUMBER_WORDS[count]
            kind = "reservation" if m.group("kind").lower().startswith("reservation") else "särskilt yttrande"
            out.setdefault(kind, number)
    return out


_LIST_MARK = re.compile(r"^(?:\d{1,3}\.|[a-z]\)|[*•–-])?$")


_DELIMITER = re.compile(r"^\s*\|?\s*(?::?-{3,}:?|={3,})\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _layout_cells(blocks: list[Block]) -> list[Block]:
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


def read(blocks: list[Block], name: str = "") -> tuple[Betankande, list[Block]] | None:
    """The report and its blocks, page furniture dropped and each block placed; None for other documents."""
    found = recognise(blocks, name)
    if found is None:
        return None
    bet = Betankande(*found)
    blocks = _layout_cells([b for b in blocks if not _is_furniture(_flat(b), bet.beteckning)])
    bet.announced = announced(blocks)
    return bet, _Reader(blocks, bet).run()
