"""Parse the structure of Swedish decision documents: organ, date, §§, sections, bilagor, pages, attendance.

The steps, each small: the normalised line view (lines.py) → page headers →
pages → running boilerplate → a walk that opens §§, sections, bilagor and
attached parts and collects paragraphs into blocks, and signature blocks
(paragrafer.py) → the document's organ and date by order of trust →
attendance (attendance.py).
Every rule reads the genre's vocabulary (rag.genre), not one body's layout.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from .attendance import Attendance, Person, jav_in, read_cover
from ..genre import (DATE_IN_WORDS, ORGAN_ABBREV, PERSON, PHRASING, TITLE_ORGAN, front_matter_value, is_known_party,
                     iso_date, organ_from_value, organ_in, planted_in)
from .lines import (
    DATE, Block, Line, assign_pages, mark_boilerplate, mark_headers, restore_section_signs, settle_header_organs, split_lines,
)
from ..normalize import OCR_THRESHOLD, OcrRepair, ocr_noise
from ..reading import SourceText
from .betankande import Betankande, looks_like
from .betankande_parts import read as read_report
from .paragrafer import Paragraf, ParagrafWalk, is_structure, mark_signatures

__all__ = ["Attendance", "Block", "ORGAN_ABBREV", "PERSON", "Paragraf", "ParsedDocument", "Person", "parse"]

_DOC_DATE_IN_TEXT = re.compile(PHRASING["organ_and_date"])
_ORGAN_DECIDES = re.compile(PHRASING["organ_decides"])


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


def _organ_from_path(doc_id: str) -> tuple[str | None, str | None]:
    path = PurePosixPath(doc_id)
    date = DATE.search(path.name) or DATE.search(doc_id)
    m = re.match(r"([a-zåäö]+)[-_]", path.name.lower())
    organ = ORGAN_ABBREV.get(m.group(1)) if m else None
    for folder in reversed(path.parts[:-1]):
        organ = organ or ORGAN_ABBREV.get(folder.lower())
    return organ, date.group(0) if date else None


def _document_organ_date(walk: ParagrafWalk, src: SourceText) -> tuple[str | None, str | None]:
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
    report = looks_like(_plain_blocks(src, lines[:60])) and read_report(
        _plain_blocks(src, lines), src.doc_id)
    if report:  # Riksdagen's committee report: its own parts, no §§
        bet, blocks = report
        attendance = Attendance(beslutande=[Person(m.name, m.party) for m in bet.ledamoter])
        return ParsedDocument(
            doc_id=src.doc_id, sha256=src.sha256, format=src.format, metadata=src.metadata or {},
            organ=bet.utskott, date=bet.date, pages=pages, ocr_noise=noise, ocr=ocr, paragrafer=[],
            bilagor=bet.bilagor, attendance=attendance, blocks=blocks, betankande=bet,
        )
    mark_boilerplate(lines, keep=is_structure)
    walk = ParagrafWalk(src, lines)
    walk.run()
    mark_signatures(walk.blocks)
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


def _listed(walk: ParagrafWalk, att: Attendance) -> list[str]:
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
