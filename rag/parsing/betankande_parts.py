"""A committee report read part by part: the proposal's punkter, the justering with its members, the numbered
reservationer and särskilda yttranden with their signatories, and bilagor; each block placed in its part."""
from __future__ import annotations

import re
from dataclasses import replace

from ..genre import BET_CONTENTS, BET_PARTS, BET_PHRASE, PERSON, PHRASING, iso_date, party_code
from ..normalize import fold
from .betankande import Betankande, Ledamot, Punkt, Yttrande, announced, flat, is_furniture, layout_cells, recognise
from .lines import Block

_NUMBERED = re.compile(r"^(\d{1,3})\.\s*(.*)$")
_HEADER = re.compile(PHRASING["report_part_heading"])
_FOOTNOTE_MARK = re.compile(r"\)\s*(\d{1,2}|\*)")


def read(blocks: list[Block], name: str = "") -> tuple[Betankande, list[Block]] | None:
    """The report and its blocks, page furniture dropped and each block placed; None for other documents."""
    found = recognise(blocks, name)
    if found is None:
        return None
    bet = Betankande(*found)
    blocks = layout_cells([b for b in blocks if not is_furniture(flat(b), bet.beteckning)])
    bet.announced = announced(blocks)
    return bet, _Reader(blocks, bet).run()


def _parties(text: str) -> list[str]:
    """'S, MP och V' or 's, v' -> ['S', 'MP', 'V']; [] when a word is not a party."""
    words = [w for w in re.split(rf"\s*(?:,|\b(?:{PHRASING['and']})\b)\s*", text.strip()) if w]
    codes = [party_code(w) for w in words]
    return codes if words and all(codes) else []  # type: ignore[return-value]


def _persons(text: str) -> list[dict]:
    out = []
    for m in PERSON.finditer(text):
        party = party_code(m.group(2)) or m.group(2)
        if " " in m.group(1).strip():
            out.append({"name": m.group(1).strip(), "party": party})
    # 'Roza Güclü Hedin och Shadiye Heydari (båda S)'
    for m in re.finditer(PHRASING["two_members_one_party"], text):
        out += [{"name": m.group(k), "party": party_code(m.group(3))} for k in (1, 2)]
    return out


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
        self.texts = [flat(b) for b in blocks]
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
        if is_furniture(text, self.bet.beteckning):
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
