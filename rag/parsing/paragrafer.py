"""The walk over a document's lines: opens §§, sections, bilagor and attached parts, collects paragraphs into
blocks, and marks signature blocks. Every rule reads the genre's vocabulary (rag.genre), not one body's layout."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .attendance import is_cover_label
from ..genre import BANNER, PERSON, PHRASING, REFERENCE_BEFORE, SECTIONS, SECTION_PATTERNS, TITLE_OPEN_ENDS, TITLE_OPEN_INFINITIVE
from .lines import DATE, Block, Line
from ..normalize import fold
from ..reading import SourceText
from .votes import is_roll_call_header

# § headings: '§ 7', '§ 7 Title', '§ 12 Dnr KS 2025/123', '§§ 12–14', 'Forts. § 7' (a continuation)
_PARAGRAF = re.compile(rf"^({PHRASING['continued']})?§§?\s*(\d{{1,4}})(?:\s*[-–]\s*(\d{{1,4}}))?(?:\s*[.:]\s*|\s+|$)(.*)$", re.I)
_DNR_SHAPE = (
    r"[A-ZÅÄÖ]{1,6}(?:-[A-ZÅÄÖ]{1,4})?-(?:19|20)\d\d-\d{1,6}(?:-\d+)?"  # STK-2024-1374, KS-2025-00530
    r"|[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{1,5}(?:[ /]|/ ?)(?:19|20)\d\d[:/]\d{1,6}"  # Bun/2023:276, Bun 2024:45, KS 2025/123
    r"|(?<![\w/])(?!(?:19|20)\d\d/)\d{3,5}/\d\d(?![\d/])"  # 0488/23 (a number and the year; not 2024/25)
)
_DNR = re.compile(rf"(?:\b{PHRASING['dnr_label']})?\b({_DNR_SHAPE})\b")
_DNR_ONLY = re.compile(rf"^(?:{PHRASING['dnr_label']})?(?:{_DNR_SHAPE})(?:\s+\d+)?$")
_TOC_LEADER = re.compile(r"\.{2,}\s*\d+(?:\s*[-–]\s*\d+)?\s*$")
# the § line itself ending in a page number after a tab stop's gap: '§166   Informationsärenden   14'
_TOC_TAB = re.compile(r"^§.*\S {3,}\d+(?:\s*[-–]\s*\d+)?\s*$")
_OFFICIAL_START = re.compile(r"^[A-ZÅÄÖÉ][\wåäöé\-]+(?: [A-ZÅÄÖÉ][\wåäöé\-]+){1,3},\s")
_BILAGA = re.compile(PHRASING["bilaga_heading"])
ATTENDANCE_SECTIONS = {"Beslutande", "Ersättare", "Övriga närvarande", "Underskrifter", "Justering"}


@dataclass
class Paragraf:
    number: str  # "7", or "12–14" for one heading over several §§
    title: str | None
    dnr: str | None
    organ: str | None
    date: str | None
    start: int
    page: int | None
    sections: list[str] = field(default_factory=list)
    bilagor: list[str] = field(default_factory=list)


def section_of(plain: str) -> str | None | bool:
    """Display name of a section heading, or False when the line is not one."""
    key = " ".join(fold(plain).strip().rstrip(":.").strip().split())
    if key in SECTIONS:
        return SECTIONS[key]
    if len(key) <= 90 and not key.endswith("."):
        for pattern, name in SECTION_PATTERNS:
            if pattern.match(key):
                return name
    return False


_NAMED_WITH_PARTY = re.compile(r"^[A-ZÅÄÖ][\wåäöéü-]+ \([A-ZÅÄÖ]{1,3}\)")  # a name list going on: 'Tykesson (M) om …'
TITLE_TAIL = 80  # characters: the longest line read as the end of a title before the first section heading


def is_structure(l: Line) -> bool:
    return section_of(l.plain) is not False or bool(_PARAGRAF.match(l.plain))


class _State:
    def __init__(self) -> None:
        self.organ: str | None = None
        self.date: str | None = None
        self.paragraf: Paragraf | None = None
        self.section: str | None = None
        self.bilaga: str | None = None
        self.part: str | None = None
        self.bilaga_lines = 0


class ParagrafWalk:
    """One pass over the lines: opens §§, sections, bilagor and parts; collects paragraphs into blocks."""

    def __init__(self, src: SourceText, lines: list[Line]) -> None:
        self.src, self.lines = src, lines
        self.st = _State()
        self.first_organ: str | None = None
        self.first_date: str | None = None
        self.paragrafer: list[Paragraf] = []
        self.bilagor: list[str] = []
        self.listed: list[str] = []
        self.blocks: list[Block] = []
        self.current: list[Line] = []
        self.first_heading: int | None = None  # index of the first § heading line

    # -- blocks ------------------------------------------------------------------------------------------
    def flush(self) -> None:
        cur, st = self.current, self.st
        if not cur:
            return
        start, end = cur[0].start, cur[-1].end
        para = st.paragraf
        table = all(l.table or not l.plain for l in cur)
        self.blocks.append(Block(
            start=start, end=end, text=self.src.text[start:end], norm="\n".join(l.norm for l in cur),
            page_start=cur[0].page, page_end=cur[-1].page, organ=st.organ, date=st.date,
            paragraf=para.number if para else None, title=para.title if para else None,
            dnr=para.dnr if para else None, section=st.section, bilaga=st.bilaga, part=st.part, table=table,
        ))
        if table and is_roll_call_header(cur[0].norm):
            self.blocks[-1].section = "Omröstningsresultat"  # a roll-call table, wherever the page put it
        self.current = []

    def set_section(self, name: str) -> None:
        self.flush()
        self.st.section = name
        if self.st.paragraf and name not in self.st.paragraf.sections:
            self.st.paragraf.sections.append(name)

    # -- the walk ------------------------------------------------------------------------------------------
    def run(self) -> None:
        i, n = 0, len(self.lines)
        while i < n:
            i = self.step(i)
        self.flush()

    def step(self, i: int) -> int:
        l = self.lines[i]
        if l.kind == "header":
            if l.organ or l.date:
                self.flush()
                self.st.organ = l.organ or self.st.organ
                self.st.date = l.date or self.st.date
                self.first_organ = self.first_organ or l.organ
                self.first_date = self.first_date or l.date
            return i + 1
        if l.kind in {"marker", "formfeed", "footer", "boiler"}:
            return i + 1
        if l.kind == "blank":
            if not (self.current and self.current[-1].table):
                self.flush()
            return i + 1
        pm = _PARAGRAF.match(l.plain)
        if pm and (l.table or _is_toc_entry(self.lines, i)):
            if self.first_heading is None:
                self.listed.append(pm.group(2))
            self.current.append(l)
            return i + 1
        if pm and self.is_heading(i, pm):
            return self.open_paragraf(i, pm)
        if l.table and self.first_heading is None:
            toc = re.match(r"^§\s*(\d{1,4})\b", l.plain)
            if toc:
                self.listed.append(toc.group(1))
        bm = _BILAGA.match(l.plain)
        if bm and not (bm.group(2) and self.st.section == "Beslutsunderlag"):
            return self.open_bilaga(i, bm)
        if self.opens_attached_part(i):
            return i + 1
        sec = section_of(l.plain) if not l.table else False
        if sec is not False and (sec is None or sec != self.st.section or sec in ATTENDANCE_SECTIONS):
            if sec is not None:
                self.set_section(sec)
                if sec in {"Beslutande", "Övriga närvarande", "Ersättare"}:
                    self.current.append(l)  # the heading line carries names in two-column layouts
            return i + 1
        if self.opens_named_section(l):
            return i + 1
        lead = section_of(l.lead) if l.lead else False
        if lead and (not l.lead_before or l.lead_before.upper() == l.lead_before or section_of(l.lead_before) is not False):
            self.set_section(lead)  # '**Beslut** Nämnden beslutar …', 'NÄMNDENS BEHANDLING **Yrkanden** …'
            if l.plain.endswith(l.lead):
                return i + 1
        if self.st.bilaga:
            self.st.bilaga_lines += 1
        if self.current and self.current[-1].table != l.table:
            self.flush()
        self.current.append(l)
        return i + 1

    def opens_named_section(self, l: Line) -> bool:
        """A heading the vocabulary does not know ('## **Utbildningsförvaltningens förslag**') still ends
        the section before it, and names the part that follows."""
        if not (l.heading and self.st.paragraf and 2 < len(l.plain) <= 80) or l.plain.endswith((".", ",")):
            return False
        if _PARAGRAF.match(l.plain) or section_of(l.plain) is not False:
            return False
        self.set_section(l.plain.rstrip(":"))
        return True

    def is_heading(self, i: int, pm: re.Match) -> bool:
        """A § line opens a § unless it is a reference ('beslutade den 26 september 2024 §189 att …')."""
        st, rest = self.st, pm.group(4).strip()
        if pm.group(1):  # 'Forts. § 7': back to a § already open
            return False
        body = rest.lstrip(" -–—")
        if body[:1].islower() and not body.startswith(("del av", "dnr")):
            return False  # '§ 2 - ajournering, kl. 09:10', '§189 att ge kommunstyrelsen …'
        if (pm.group(3) or self.lines[i].plain.startswith("§§")) and not body:
            return False  # '§§ 3-20' alone: the §§ a member attended, not a heading
        if st.paragraf is None and st.section in ATTENDANCE_SECTIONS and self._attendance_note(i):
            return False
        prev = next((x for x in reversed(self.lines[max(0, i - 2):i]) if x.kind != "blank"), None)
        if prev is not None and prev.kind == "text" and self.lines[i - 1].kind != "blank":
            tail = fold(prev.plain)
            if not tail.endswith((".", ":", "!", "?")) and REFERENCE_BEFORE.search(tail):
                return False
        return not (st.paragraf and pm.group(2) == st.paragraf.number.split("–")[0] and (st.bilaga or st.part))

    def _attendance_note(self, i: int) -> bool:
        """'§§ 3-20   Marcus Andersson (M) tjänstgör för …', '§ 10' above 'Jens Ingelsäter, utvecklingsledare':
        the §§ a person attended, in a cover page's columns."""
        here = self.lines[i].plain
        nxt = next((x.plain for x in self.lines[i + 1:i + 4] if x.kind == "text"), "")
        return bool(PERSON.search(here) or _OFFICIAL_START.match(nxt) or PERSON.match(nxt) or is_cover_label(nxt))

    def open_paragraf(self, i: int, pm: re.Match) -> int:
        self.flush()
        if self.first_heading is None:
            self.first_heading = i
        number = pm.group(2) + (f"–{pm.group(3)}" if pm.group(3) else "")
        rest = pm.group(4).strip()
        dnr_m = _DNR.search(rest)
        dnr = dnr_m.group(1) if dnr_m else None
        title = _DNR.sub("", rest).replace("Dnr", "").strip(" .:-–") or None
        title, dnr, j = self.read_title(i + 1, title, dnr)
        st = self.st
        para = Paragraf(number, title, dnr, st.organ, st.date, self.lines[i].start, self.lines[i].page)
        self.paragrafer.append(para)
        st.paragraf, st.section, st.bilaga, st.part = para, None, None, None
        return j

    def read_title(self, j: int, title: str | None, dnr: str | None) -> tuple[str | None, str | None, int]:
        """The § title and diarienummer on the lines after the § number (at most four)."""
        lines, n, consumed = self.lines, len(self.lines), []
        while j < n and len(consumed) < 4:
            x = lines[j]
            if x.kind in {"marker", "boiler", "header", "footer"}:
                j += 1
                continue
            if x.kind == "blank":
                nxt = next((y for y in lines[j + 1:j + 4] if y.kind == "text"), None)
                if title and not (nxt and not dnr and _DNR_ONLY.match(nxt.plain)):
                    break
                j += 1
                continue
            xs = x.plain
            if x.table or is_structure(x) or _BILAGA.match(xs):
                break
            if _DNR_ONLY.match(xs):
                dnr = dnr or _DNR.search(xs).group(1)
                consumed.append(x)
                j += 1
                continue
            if title and not (title.endswith(("–", "-", ",")) or xs[:1].islower() or xs[:1] in "(\"”"
                              or _open_end(title) or self._title_tail(j, title)
                              or _NAMED_WITH_PARTY.match(xs)):  # 'Motion av … och Mattias' / 'Tykesson (M) om …'
                break
            if len(xs) > 160 or xs.endswith(".") and len(xs) > 60:
                break  # running text, not a title
            title = (title + " " + xs).strip() if title else xs
            consumed.append(x)
            j += 1
        for x in consumed:
            x.kind = "heading"
        return title, dnr, j

    def _title_tail(self, j: int, title: str) -> bool:
        """A short line right before the §'s first section heading ends its title ('Motion … om att återinföra
        projektet' / 'Skrota skräpet' / 'Beslut'), when neither the title nor the line ends a sentence."""
        x = self.lines[j]
        nxt = next((y for y in self.lines[j + 1:j + 3] if y.kind not in {"marker", "boiler", "header", "footer"}), None)
        return (nxt is not None and nxt.kind != "blank" and is_structure(nxt) and not _PARAGRAF.match(nxt.plain)
                and len(x.plain) <= TITLE_TAIL and not x.plain.endswith(".") and not title.endswith("."))

    def open_bilaga(self, i: int, bm: re.Match) -> int:
        self.flush()
        st = self.st
        st.bilaga = f"Bilaga {bm.group(1)}"
        st.section, st.part, st.bilaga_lines = None, None, 0
        if st.bilaga not in self.bilagor:
            self.bilagor.append(st.bilaga)
        if st.paragraf and st.bilaga not in st.paragraf.bilagor:
            st.paragraf.bilagor.append(st.bilaga)
        return i + 1

    def opens_attached_part(self, i: int) -> bool:
        """An attached document (tjänsteskrivelse) after a bilaga: a title line, then a lone diarienummer."""
        st = self.st
        nxt = next((x for x in self.lines[i + 1:i + 3] if x.kind == "text"), None)
        if not (st.bilaga and st.bilaga_lines > 3 and nxt is not None and _DNR_ONLY.match(nxt.plain)):
            return False
        self.flush()
        st.bilaga, st.section, st.part = None, None, "Tjänsteskrivelse"
        nxt.kind = "heading"
        return True


def _open_end(title: str) -> bool:
    """A title that cannot end where its line does: on a preposition or conjunction, or an infinitive."""
    words = title.lower().split()
    return words[-1] in TITLE_OPEN_ENDS or len(words) > 2 and words[-2] in TITLE_OPEN_INFINITIVE


def _is_toc_entry(lines: list[Line], i: int) -> bool:
    """A '§ 199 Dnr …' line of a table of contents: a dot leader and page number follow before the next §."""
    seen = 0
    for x in lines[i:i + 40]:
        if x.kind != "text" or BANNER.search(x.plain) or DATE.fullmatch(x.plain.strip()):
            continue
        if seen and _PARAGRAF.match(x.plain):
            return False
        if _TOC_LEADER.search(x.plain) or not seen and _TOC_TAB.search(x.norm.strip()):
            return True
        seen += 1
        if seen > 4:
            return False
    return False


_SIGNATURE_LINE = re.compile(PHRASING["signature_line"])


def mark_signatures(blocks: list[Block]) -> None:
    """Signature blocks (names, parties, 'Med instämmande av', date) get their own section so they stay a chunk."""
    def signature_like(b: Block) -> bool:
        lines = [ln.strip() for ln in b.norm.splitlines() if ln.strip()]
        return bool(lines) and len(b.norm) < 160 and all(
            _SIGNATURE_LINE.match(ln) or not PERSON.sub("", ln).strip(" ,och") for ln in lines
        )

    i = 0
    while i < len(blocks):
        j = i
        while j < len(blocks) and signature_like(blocks[j]) and (
            j == i or (blocks[j].paragraf, blocks[j].bilaga, blocks[j].part) == (blocks[i].paragraf, blocks[i].bilaga, blocks[i].part)
        ):
            j += 1
        run = blocks[i:j]
        if len(run) >= 2 and any(PERSON.search(b.norm) or "instämmande" in b.norm for b in run):
            for b in run:
                b.section = f"{b.section} · underskrifter" if b.section else "Underskrifter"
        i = max(j, i + 1)
