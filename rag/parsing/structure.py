"""Parse the structure of Swedish decision documents: organ, date, §§, sections, bilagor, pages, attendance.

The steps, each small: the normalised line view (rag.lines) → page headers →
pages → running boilerplate → a walk that opens §§, sections, bilagor and
attached parts and collects paragraphs into blocks → signature blocks → the
document's organ and date by order of trust → attendance (rag.attendance).
Every rule reads the genre's vocabulary (rag.genre), not one body's layout.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from .attendance import Attendance, Person, is_cover_label, jav_in, read_cover
from ..genre import (
    BANNER, DATE_IN_WORDS, ORGAN_ABBREV, PERSON, REFERENCE_BEFORE, SECTION_PATTERNS, SECTIONS, TITLE_OPEN_ENDS, TITLE_ORGAN,
    front_matter_value, is_known_party, iso_date, organ_from_value, organ_in, planted_in,
)
from .lines import (
    DATE, Block, Line, assign_pages, mark_boilerplate, mark_headers, restore_section_signs, settle_header_organs, split_lines,
)
from ..normalize import OCR_THRESHOLD, OcrRepair, fold, ocr_noise
from ..reading import SourceText
from . import betankande as _betankande
from .betankande import Betankande
from .votes import is_roll_call_header

__all__ = ["Attendance", "Block", "ORGAN_ABBREV", "PERSON", "Paragraf", "ParsedDocument", "Person", "parse"]

# § headings: '§ 7', '§ 7 Title', '§ 12 Dnr KS 2025/123', '§§ 12–14', 'Forts. § 7' (a continuation)
_PARAGRAF = re.compile(r"^(Forts\.?\s*)?§§?\s*(\d{1,4})(?:\s*[-–]\s*(\d{1,4}))?(?:\s*[.:]\s*|\s+|$)(.*)$", re.I)
_DNR_SHAPE = (
    r"[A-ZÅÄÖ]{1,6}(?:-[A-ZÅÄÖ]{1,4})?-(?:19|20)\d\d-\d{1,6}(?:-\d+)?"  # STK-2024-1374, KS-2025-00530
    r"|[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{1,5}(?:[ /]|/ ?)(?:19|20)\d\d[:/]\d{1,6}"  # Bun/2023:276, Bun 2024:45, KS 2025/123
    r"|(?<![\w/])(?!(?:19|20)\d\d/)\d{3,5}/\d\d(?![\d/])"  # 0488/23 (a number and the year; not 2024/25)
)
_DNR = re.compile(rf"(?:\b(?:Dnr|Diarienummer|Ärendenummer|Ärende nr)\.?\s*:?\s*)?\b({_DNR_SHAPE})\b")
_DNR_ONLY = re.compile(rf"^(?:(?:Dnr|Diarienummer|Ärendenummer)\.?\s*:?\s*)?(?:{_DNR_SHAPE})(?:\s+\d+)?$")
_TOC_LEADER = re.compile(r"\.{2,}\s*\d+(?:\s*[-–]\s*\d+)?\s*$")
# the § line itself ending in a page number after a tab stop's gap: '§166   Informationsärenden   14'
_TOC_TAB = re.compile(r"^§.*\S {3,}\d+(?:\s*[-–]\s*\d+)?\s*$")
_OFFICIAL_START = re.compile(r"^[A-ZÅÄÖÉ][\wåäöé\-]+(?: [A-ZÅÄÖÉ][\wåäöé\-]+){1,3},\s")
_BILAGA = re.compile(r"^Bilaga\s+(\d{1,3}[a-z]?|[A-ZÅÄÖ])\b\s*(?:[:–—-]\s*(.{0,100}))?$")
ATTENDANCE_SECTIONS = {"Beslutande", "Ersättare", "Övriga närvarande", "Underskrifter", "Justering"}
_DOC_DATE_IN_TEXT = re.compile(r"(Kommunfullmäktige|Kommunstyrelsen|Kommunstyrelsens arbetsutskott|nämnden|utskottet)\s+((?:19|20)\d\d-\d\d-\d\d)")
_ORGAN_DECIDES = re.compile(r"\b([A-ZÅÄÖ][\wåäö\- ]{3,60}?)\s+(?:beslutar|föreslår|beslutade|godkänner|antar|noterar)\b")


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


@dataclass
class ParsedDocument:
    doc_id: str
    sha256: str
    format: str
    metadata: dict
    organ: str | None
    date: str | None
    pages: int | None
    ocr_noise: float
    ocr: bool
    paragrafer: list[Paragraf]
    bilagor: list[str]
    attendance: Attendance
    blocks: list[Block]
    listed_paragrafer: list[str] = field(default_factory=list)  # the §§ the document's own contents list names
    betankande: Betankande | None = None  # Riksdagen's committee report: punkter, reservationer, members

    @property
    def planted(self) -> list[str]:
        """Sentences that address the reader or the system: never evidence, flagged for the staff."""
        return [t[:160] for b in self.blocks for t in planted_in(b.text)][:3]

    @property
    def parties(self) -> list[str]:
        """The parties of this document: what stands in parentheses after its members' names."""
        seen: dict[str, set[str]] = {}
        for b in self.blocks:
            for m in PERSON.finditer(" ".join(b.norm.split())):
                if " " in m.group(1).strip():
                    seen.setdefault(m.group(2), set()).add(m.group(1))
        return [p for p, names in seen.items() if is_known_party(p) or len(names) >= 2]

    def summary(self) -> dict:
        return {
            "doc": self.doc_id, "organ": self.organ, "date": self.date, "pages": self.pages,
            "paragrafer": [p.number for p in self.paragrafer], "bilagor": self.bilagor,
            "listed_paragrafer": self.listed_paragrafer, "parties": self.parties,
            "ocr": self.ocr, "ocr_noise": round(self.ocr_noise, 3), "blocks": len(self.blocks),
            "attendance": asdict(self.attendance),
            "planted": self.planted,
        }


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


def _organ_from_path(doc_id: str) -> tuple[str | None, str | None]:
    path = PurePosixPath(doc_id)
    date = DATE.search(path.name) or DATE.search(doc_id)
    m = re.match(r"([a-zåäö]+)[-_]", path.name.lower())
    organ = ORGAN_ABBREV.get(m.group(1)) if m else None
    for folder in reversed(path.parts[:-1]):
        organ = organ or ORGAN_ABBREV.get(folder.lower())
    return organ, date.group(0) if date else None


def _is_structure(l: Line) -> bool:
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


class _Walk:
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
            if x.table or _is_structure(x) or _BILAGA.match(xs):
                break
            if _DNR_ONLY.match(xs):
                dnr = dnr or _DNR.search(xs).group(1)
                consumed.append(x)
                j += 1
                continue
            if title and not (title.endswith(("–", "-", ",")) or xs[:1].islower() or xs[:1] in "(\"”"
                              or title.split()[-1].lower() in TITLE_OPEN_ENDS):
                break
            if len(xs) > 160 or xs.endswith(".") and len(xs) > 60:
                break  # running text, not a title
            title = (title + " " + xs).strip() if title else xs
            consumed.append(x)
            j += 1
        for x in consumed:
            x.kind = "heading"
        return title, dnr, j

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


_SIGNATURE_LINE = re.compile(
    r"^(?:Med instämmande av.*|[A-ZÅÄÖ][\w\-éü]+(?: [A-ZÅÄÖ][\w\-éü]+){0,3}(?: \([A-ZÅÄÖ]{1,6}\)?)?"
    r"|(?:[A-ZÅÄÖ][\wåäö ]+ )?(?:19|20)\d\d-\d\d-\d\d|[A-ZÅÄÖ][a-zåäö]*(?:sekreterare|ordförande|direktör|chef))\s*$"
)


def _mark_signatures(blocks: list[Block]) -> None:
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


def _document_organ_date(walk: _Walk, src: SourceText) -> tuple[str | None, str | None]:
    """Organ and date by order of trust: cover page / running header, front matter, a report's title, the text,
    the path."""
    meta = src.metadata or {}
    path_organ, path_date = _organ_from_path(src.doc_id)
    meta_organ = organ_from_value(front_matter_value(meta, "organ") or "")
    meta_date_raw = front_matter_value(meta, "date")
    meta_date = DATE.search(meta_date_raw).group(0) if meta_date_raw and DATE.search(meta_date_raw) else None
    organ = walk.first_organ or meta_organ
    if organ is None:  # a report's title names its organ: 'Arbetsmarknadsutskottets betänkande'
        heads = [" ".join(b.norm.lstrip("# ").split()) for b in walk.blocks[:5]]
        organ = next((m.group("organ") for h in heads for p in TITLE_ORGAN for m in [p.match(h)] if m), None)
    if organ is None:
        for b in walk.blocks:
            m = _ORGAN_DECIDES.search(b.norm)
            found = organ_in(m.group(1)) if m else None
            if found and b.section in {"Beslut", "Förslag till beslut", None}:
                organ = found
                break
    date = walk.first_date or meta_date or path_date
    if date is None:
        date = next((iso_date(m.group("date")) for b in walk.blocks for p in DATE_IN_WORDS
                     for m in [p.search(" ".join(b.norm.split()))] if m and iso_date(m.group("date"))), None)
    if date is None:
        # a signature date ("Kommunstyrelsen 2026-01-07") is the meeting date of a protokollsutdrag
        date = next((m.group(2) for b in walk.blocks for m in [_DOC_DATE_IN_TEXT.search(b.norm)] if m), None)
    return organ or path_organ, date


def _plain_blocks(src: SourceText, lines: list[Line]) -> list[Block]:
    """Runs of non-blank lines as blocks, nothing consumed as structure: for a reader with its own rules."""
    blocks: list[Block] = []
    run: list[Line] = []
    for l in [*lines, None]:
        if l is not None and l.kind not in {"blank", "formfeed", "marker"} and l.norm.strip():
            run.append(l)
            continue
        if run:
            blocks.append(Block(start=run[0].start, end=run[-1].end, text=src.text[run[0].start:run[-1].end],
                                norm="\n".join(x.norm for x in run), page_start=run[0].page, page_end=run[-1].page,
                                organ=None, date=None, paragraf=None, title=None, dnr=None, section=None,
                                bilaga=None, table=all(x.table for x in run)))
        run = []
    return blocks


def parse(src: SourceText, repair: OcrRepair | None = None) -> ParsedDocument:
    """Parse one document. `repair` enables OCR repair when the text looks like a noisy scan."""
    noise = ocr_noise(src.text[src.body_start:], repair) if repair else 0.0
    ocr = repair is not None and (noise >= OCR_THRESHOLD or bool(src.metadata.get("ocr_seconds")))
    lines = split_lines(src, repair if ocr else None)
    mark_headers(lines)
    pages = assign_pages(lines)
    if ocr:
        restore_section_signs(lines)
        settle_header_organs(lines, repair.known)
    report = _betankande.looks_like(_plain_blocks(src, lines[:60])) and _betankande.read(
        _plain_blocks(src, lines), src.doc_id)
    if report:  # Riksdagen's committee report: its own parts, no §§
        bet, blocks = report
        attendance = Attendance(beslutande=[Person(m.name, m.party) for m in bet.ledamoter])
        return ParsedDocument(
            doc_id=src.doc_id, sha256=src.sha256, format=src.format, metadata=src.metadata or {},
            organ=bet.utskott, date=bet.date, pages=pages, ocr_noise=noise, ocr=ocr, paragrafer=[],
            bilagor=bet.bilagor, attendance=attendance, blocks=blocks, betankande=bet,
        )
    mark_boilerplate(lines, keep=_is_structure)
    walk = _Walk(src, lines)
    walk.run()
    _mark_signatures(walk.blocks)
    organ, date = _document_organ_date(walk, src)
    for item in (*walk.blocks, *walk.paragrafer):
        item.organ = item.organ or organ
        item.date = item.date or date
    cover_end = walk.lines[walk.first_heading].start if walk.first_heading is not None else None
    attendance = read_cover([l for l in lines if cover_end is None or l.start < cover_end])
    _add_jav(attendance, walk.blocks)
    return ParsedDocument(
        doc_id=src.doc_id, sha256=src.sha256, format=src.format, metadata=src.metadata or {}, organ=organ,
        date=date, pages=pages, ocr_noise=noise, ocr=ocr, paragrafer=walk.paragrafer, bilagor=walk.bilagor,
        attendance=attendance, blocks=walk.blocks, listed_paragrafer=_listed(walk, attendance),
    )


def _listed(walk: _Walk, att: Attendance) -> list[str]:
    """The §§ the document says it holds: its contents list, or the cover's 'Paragrafer 1–15'."""
    if att.paragrafer:
        lo, _, hi = att.paragrafer.partition("-")
        if lo.isdigit() and (not hi or hi.isdigit()) and int(hi or lo) - int(lo) < 500:
            return [str(n) for n in range(int(lo), int(hi or lo) + 1)]
    return list(dict.fromkeys(walk.listed))


def _add_jav(att: Attendance, blocks: list[Block]) -> None:
    """Jäv noted in the attendance list or the text ('deltar ej vid § 217 p.g.a. jäv'), or in a § Jäv section."""
    for b in blocks:
        att.jav.extend(jav_in(b.norm))
        if b.section == "Jäv" and b.paragraf:
            for m in PERSON.finditer(" ".join(b.norm.split())):
                if " " in m.group(1).strip():
                    att.jav.append((f"{m.group(1).strip()} ({m.group(2)})", b.paragraf))
    att.jav = list(dict.fromkeys(att.jav))
