"""Parse the structure of Swedish decision documents: organ, date, §§, sections, bilagor, pages, attendance.

Works line by line on the original text. Each line is judged on its
normalised form (OCR-repaired when the document is noisy), while offsets point
into the original, so every block can be cited exactly. The rules are written
for the genre (protokoll, protokollsutdrag, tjänsteskrivelser, yttranden), not
for one municipality's layout.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from .normalize import OCR_THRESHOLD, OcrRepair, fold, nfc, ocr_noise
from .read import SourceText

# --- vocabulary of the genre -------------------------------------------------
ORGAN_ABBREV = {
    "kf": "Kommunfullmäktige", "ks": "Kommunstyrelsen", "ksau": "Kommunstyrelsens arbetsutskott",
    "au": "Kommunstyrelsens arbetsutskott",
}
_ORGAN = re.compile(
    r"^(Kommunfullmäktige|Kommunstyrelsens arbetsutskott|Kommunstyrelsen|Kommunstyrelseberedningen"
    r"|Nämnden för [A-ZÅÄÖ][\wåäöÅÄÖ&,\- ]{2,50}?|[A-ZÅÄÖ][a-zåäö\-]*(?:- och [a-zåäö\-]+)?nämnden"
    r"|[A-ZÅÄÖ][a-zåäö]+ styrelse|Revisionen|Valnämnden|Krisledningsnämnden|Arbetsutskottet)\s*$"
)
_ORGAN_IN_TEXT = re.compile(
    r"\b(Kommunfullmäktige|Kommunstyrelsens arbetsutskott|Kommunstyrelsen)\s+"
    r"(?:beslutar|föreslår|beslutade|godkänner|antar|noterar)\b"
)
_DATE = re.compile(r"\b(20\d\d|19\d\d)-(\d\d)-(\d\d)\b")
_DATE_LINE = re.compile(r"^\s*(?:Datum\s*:?\s*)?((?:19|20)\d\d-\d\d-\d\d)\s*$")
_DNR = re.compile(r"\b(?:Dnr\s*:?\s*)?([A-ZÅÄÖ]{1,6}(?:-[A-ZÅÄÖ]{1,4})?-(?:19|20)\d\d-\d{1,6}(?:-\d+)?)\b")
_DNR_ONLY = re.compile(r"^\s*(?:Dnr\s*:?\s*|Diarienummer\s*:?\s*)?[A-ZÅÄÖ]{1,6}-(?:19|20)\d\d-\d{1,6}\s*$")
_PARAGRAF = re.compile(r"^\s*#*\s*§\s*(\d{1,4})(?:\s*[.:]\s*|\s+|$)(.*)$")
_TOC_LEADER = re.compile(r"\.{4,}\s*\d+\s*$")
_PAGE_MARKER = re.compile(r"^\s*<!--\s*sida\s+(\d+)\s*-->\s*$", re.I)
_PAGE_FOOTER = re.compile(r"^\s*(\d{1,3})\s*\(\s*(\d{0,3})\s*\)\s*$")
_BARE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*$")
_ROLL_CALL = re.compile(r"\|\s*Ja(?:-röst)?\s*\|\s*Nej(?:-röst)?\s*\|", re.I)
_BANNER = re.compile(r"(SAMMANTRÄDESPROTOKOLL|PROTOKOLLSUTDRAG|PROTOKOLL|KALLELSE|TJÄNSTESKRIVELSE|YTTRANDE)", re.I)
_BILAGA = re.compile(r"^\s*#*\s*Bilaga\s+(\d{1,3}[a-z]?|[A-ZÅÄÖ])\b\s*(?:[:–—-]\s*(.{0,100}))?$")
PERSON = re.compile(
    r"([A-ZÅÄÖÉŠ][\w'’\-ÅÄÖåäöéšćńłü]+(?:[ \-][A-ZÅÄÖÉŠ][\w'’\-ÅÄÖåäöéšćńłü]+){0,3})\s*,?\s*\(\s*(S|M|SD|C|V|KD|L|MP)\s*\)"
)
_ROLE = re.compile(
    r"^\s*\|?\s*(Ordförande|Sekreterare|Protokolljusterare|Justerare|Justerande|Utses att justera)\b\s*\|?\s*(.*)$"
)
_ROLE_WORDS = re.compile(r"^(?:(?:Ordförande|Protokolljusterare|Sekreterare|Ersättare|Ledamoten|Justerare|Vice|Ordföranden)\s+)+")

# Standard section headings (compared folded: lower case, å/ä→a, ö→o), mapped to a display name.
SECTIONS = {
    "sammanfattning": "Sammanfattning", "sammanfattning av arendet": "Sammanfattning",
    "beslut": "Beslut", "forslag till beslut": "Förslag till beslut",
    "forslag till beslut pa sammantradet": "Förslag till beslut på sammanträdet",
    "yrkanden": "Yrkanden", "yrkande": "Yrkanden", "beslutsgang": "Beslutsgång",
    "propositionsordning": "Propositionsordning", "omrostning": "Omröstning",
    "omrostningsresultat": "Omröstningsresultat", "votering": "Omröstning",
    "reservation": "Reservation", "reservationer": "Reservation",
    "reservationer och sarskilda yttranden": "Reservationer och särskilda yttranden",
    "sarskilt yttrande": "Särskilt yttrande", "sarskilda yttranden": "Särskilt yttrande",
    "sarskild yttrande": "Särskilt yttrande",
    "protokollsanteckning": "Protokollsanteckning", "protokollsanteckningar": "Protokollsanteckning",
    "jav": "Jäv", "beslutsunderlag": "Beslutsunderlag", "beslutet skickas till": "Beslutet skickas till",
    "arendet": "Ärendet", "bedomning": "Bedömning", "ansvariga": "Ansvariga", "ansvarig": "Ansvariga",
    "beslutsmotivering": "Beslutsmotivering", "bakgrund": "Bakgrund", "beslutsplanering": "Beslutsplanering",
    "innehall": "Innehåll", "ekonomiska konsekvenser": "Ekonomiska konsekvenser",
    "remissinstansernas yttranden": "Remissinstansernas yttranden", "sammanfattande installning": "Sammanfattande inställning",
    "beslutande": "Beslutande", "beslutande ledamoter": "Beslutande", "ersattare": "Ersättare",
    "tjanstgorande ersattare": "Ersättare", "ej tjanstgorande ersattare": "Ersättare",
    "ovriga narvarande": "Övriga närvarande", "narvarande": "Beslutande", "underskrifter": "Underskrifter",
    "paragrafen justeras omedelbart": None,
}
ATTENDANCE_SECTIONS = {"Beslutande", "Ersättare", "Övriga närvarande", "Underskrifter", "Justering"}
_SECTION_PREFIX = [  # headings that carry a tail ("Beslut – Förslag till kommunfullmäktige")
    (re.compile(r"^beslut\s*[–—-]"), "Beslut"),
    (re.compile(r"^forslag till beslut( i | till | pa )?"), "Förslag till beslut"),
    (re.compile(r"^beslutande\b"), "Beslutande"),
    (re.compile(r"^ovriga narvarande\b"), "Övriga närvarande"),
    (re.compile(r"^plats och tid for justering\b"), "Justering"),
]


@dataclass
class Person:
    name: str
    party: str | None = None
    role: str | None = None


@dataclass
class Attendance:
    ordforande: list[str] = field(default_factory=list)
    sekreterare: list[str] = field(default_factory=list)
    justerare: list[str] = field(default_factory=list)
    beslutande: list[Person] = field(default_factory=list)
    ersattare: list[Person] = field(default_factory=list)
    ovriga: list[str] = field(default_factory=list)
    jav: list[tuple[str, str]] = field(default_factory=list)  # (person line, §)


@dataclass
class Block:
    """A paragraph of text: consecutive non-blank lines in one place of the structure."""

    start: int
    end: int
    text: str
    norm: str
    page_start: int | None
    page_end: int | None
    organ: str | None
    date: str | None
    paragraf: str | None
    title: str | None
    dnr: str | None
    section: str | None
    bilaga: str | None
    part: str | None = None  # e.g. "Tjänsteskrivelse" for an attached document without a bilaga number
    table: bool = False


@dataclass
class Paragraf:
    number: str
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

    def summary(self) -> dict:
        return {
            "doc": self.doc_id, "organ": self.organ, "date": self.date, "pages": self.pages,
            "paragrafer": [p.number for p in self.paragrafer], "bilagor": self.bilagor,
            "ocr": self.ocr, "ocr_noise": round(self.ocr_noise, 3), "blocks": len(self.blocks),
            "attendance": asdict(self.attendance),
        }


@dataclass
class _Line:
    start: int
    end: int
    text: str
    norm: str
    page: int | None = None
    kind: str = "text"  # text | blank | header | footer | marker | heading | toc


def _section_of(norm_line: str) -> str | None | bool:
    """Display name of a section heading, or False when the line is not one."""
    key = fold(norm_line).strip().rstrip(":").strip()
    key = re.sub(r"\s+", " ", key)
    if key in SECTIONS:
        return SECTIONS[key]
    if len(key) <= 70 and not key.endswith("."):
        for pattern, name in _SECTION_PREFIX:
            if pattern.match(key):
                return name
    return False


def _organ_from_path(doc_id: str) -> tuple[str | None, str | None]:
    name = PurePosixPath(doc_id).name.lower()
    date = _DATE.search(name) or _DATE.search(doc_id)
    m = re.match(r"(ksau|kf|ks|au)[-_]", name)
    organ = ORGAN_ABBREV.get(m.group(1)) if m else None
    return organ, date.group(0) if date else None


def _split_lines(src: SourceText, repair: OcrRepair | None) -> list[_Line]:
    lines: list[_Line] = []
    pos = src.body_start
    text = src.text
    for raw in text[src.body_start:].split("\n"):
        # form feeds separate PDF pages: keep them as their own pseudo-lines
        pieces = raw.split("\f")
        for i, piece in enumerate(pieces):
            if i > 0:
                lines.append(_Line(pos, pos, "\f", "", kind="formfeed"))
                pos += 1
            norm = nfc(piece).replace("\u00a0", " ")
            if repair is not None:
                norm = repair.repair_line(norm)
            lines.append(_Line(pos, pos + len(piece), piece, norm, kind="text" if piece.strip() else "blank"))
            pos += len(piece)
        pos += 1
    return lines


def _assign_pages(lines: list[_Line]) -> int | None:
    """Pages from markers (<!-- sida N -->), form feeds or footers ('3()', '2 (37)', a lone page number)."""
    if any(_PAGE_MARKER.match(l.text) for l in lines):
        page = None
        for l in lines:
            m = _PAGE_MARKER.match(l.text)
            if m:
                page, l.kind = int(m.group(1)), "marker"
            l.page = page
        return max((l.page for l in lines if l.page), default=None)
    if any(l.kind == "formfeed" for l in lines):
        page = 1
        for l in lines:
            if l.kind == "formfeed":
                page += 1
            l.page = page
        return page
    # footers close a page: text before a footer '3()' is on page 3
    footers: list[tuple[int, int]] = []
    for i, l in enumerate(lines):
        m = _PAGE_FOOTER.match(l.text)
        bare = _BARE_NUMBER.match(l.text)
        if bare and not m:
            before = i == 0 or lines[i - 1].kind == "blank"
            after = sum(1 for x in lines[i + 1:i + 3] if x.kind == "blank") == 2 or i + 1 == len(lines)
            m = bare if before and after else None
        if m:
            footers.append((i, int(m.group(1))))
            l.kind = "footer"
    if not footers:
        return None
    fi = 0
    for i, l in enumerate(lines):
        while fi < len(footers) and footers[fi][0] < i:
            fi += 1
        l.page = footers[fi][1] if fi < len(footers) else footers[-1][1] + 1
    return lines[-1].page


def _mark_boilerplate(lines: list[_Line]) -> None:
    """Running headers and footers repeated on many pages (signature notices, banners)."""
    pages: dict[int, list[_Line]] = {}
    for l in lines:
        if l.kind == "text" and l.page is not None:
            pages.setdefault(l.page, []).append(l)
    if len(pages) < 3:
        return
    shape_pages: dict[str, set[int]] = {}
    for p, ls in pages.items():
        for l in ls[:6] + ls[-4:]:
            shape = re.sub(r"[0-9A-F]{16,}", "#", re.sub(r"\d+", "0", l.norm.strip()))
            shape_pages.setdefault(shape, set()).add(p)
    common = {s for s, ps in shape_pages.items() if len(ps) >= 3 and len(ps) >= 0.3 * len(pages)}
    for ls in pages.values():
        for l in ls:  # anywhere on the page: a table or an appended block may follow the footer
            shape = re.sub(r"[0-9A-F]{16,}", "#", re.sub(r"\d+", "0", l.norm.strip()))
            if shape in common and _section_of(l.norm) is False and not _PARAGRAF.match(l.norm):
                l.kind = "boiler"


class _State:
    def __init__(self, organ: str | None, date: str | None) -> None:
        self.organ, self.date = organ, date
        self.paragraf: Paragraf | None = None
        self.section: str | None = None
        self.bilaga: str | None = None
        self.part: str | None = None
        self.bilaga_lines = 0


def parse(src: SourceText, repair: OcrRepair | None = None) -> ParsedDocument:
    """Parse one document. `repair` enables OCR repair when the text looks like a noisy scan."""
    noise = ocr_noise(src.text[src.body_start:], repair) if repair else 0.0
    ocr = repair is not None and noise >= OCR_THRESHOLD
    lines = _split_lines(src, repair if ocr else None)
    pages = _assign_pages(lines)
    _mark_boilerplate(lines)

    meta = src.metadata or {}
    path_organ, path_date = _organ_from_path(src.doc_id)
    meta_organ = ORGAN_ABBREV.get(str(meta.get("organ", "")).lower()) if meta.get("organ") else None
    meta_date = str(meta.get("datum")) if meta.get("datum") else None

    doc_organ: str | None = None
    doc_date: str | None = None
    st = _State(None, None)
    paragrafer: list[Paragraf] = []
    bilagor: list[str] = []
    attendance = Attendance()
    blocks: list[Block] = []
    current: list[_Line] = []
    table_mode = False

    def flush() -> None:
        nonlocal current
        if current:
            start, end = current[0].start, current[-1].end
            blocks.append(Block(
                start=start, end=end, text=src.text[start:end],
                norm="\n".join(l.norm for l in current),
                page_start=current[0].page, page_end=current[-1].page,
                organ=st.organ or doc_organ, date=st.date or doc_date,
                paragraf=st.paragraf.number if st.paragraf else None,
                title=st.paragraf.title if st.paragraf else None,
                dnr=st.paragraf.dnr if st.paragraf else None,
                section=st.section, bilaga=st.bilaga, part=st.part,
                table=all(l.norm.lstrip().startswith("|") for l in current),
            ))
            if blocks[-1].table and _ROLL_CALL.search(current[0].norm):
                blocks[-1].section = "Omröstningsresultat"  # a roll-call table, wherever the page put it
        current = []

    def set_section(name: str | None) -> None:
        flush()
        st.section = name
        if st.paragraf and name and name not in st.paragraf.sections:
            st.paragraf.sections.append(name)

    i = 0
    n = len(lines)
    while i < n:
        l = lines[i]
        norm = l.norm.strip()
        # page header block: a banner line followed within a few lines by organ and date
        if l.kind in {"text", "boiler"} and _BANNER.search(norm) and norm.upper() == norm and len(norm) < 120:
            window = [x for x in lines[i + 1:i + 8] if x.kind in {"text", "boiler"}][:5]
            organ = next((x.norm.strip() for x in window if _ORGAN.match(x.norm.strip())), None)
            date_line = next((x for x in window if _DATE_LINE.match(x.norm)), None)
            if organ or date_line:
                flush()
                if organ:
                    st.organ = organ
                    doc_organ = doc_organ or organ
                if date_line:
                    st.date = _DATE_LINE.match(date_line.norm).group(1)
                    doc_date = doc_date or st.date
                last = max(lines.index(x) for x in window if x is date_line or x.norm.strip() == organ or fold(x.norm.strip()) == "datum")
                for x in lines[i:last + 1]:
                    x.kind = "header"
                i = last + 1
                continue
        if l.kind in {"marker", "formfeed", "footer", "boiler"}:
            i += 1
            continue
        if l.kind == "blank":
            if not table_mode:
                flush()
            i += 1
            continue
        # table of contents: "§ 199 Dnr ..." lines followed by a title with dot leaders
        pm = _PARAGRAF.match(norm)
        if pm and _is_toc_entry(lines, i):
            current.append(l)
            i += 1
            continue
        if pm and not (st.paragraf and pm.group(1) == st.paragraf.number and (st.bilaga or st.part)):
            flush()
            number, rest = pm.group(1), pm.group(2).strip()
            dnr_m = _DNR.search(rest)
            dnr = dnr_m.group(1) if dnr_m else None
            title = _DNR.sub("", rest).replace("Dnr", "").strip(" .:-–") or None
            j = i + 1
            consumed = []
            while j < n and len(consumed) < 4:
                x = lines[j]
                if x.kind in {"marker", "boiler", "header", "footer"}:
                    j += 1
                    continue
                if x.kind == "blank":
                    nxt_text = next((y for y in lines[j + 1:j + 4] if y.kind == "text"), None)
                    if title and not (nxt_text and not dnr and _DNR_ONLY.match(nxt_text.norm)):
                        break
                    j += 1
                    continue
                xs = x.norm.strip()
                if _section_of(xs) is not False or _PARAGRAF.match(xs) or _BILAGA.match(xs):
                    break
                if _DNR_ONLY.match(xs):
                    dnr = dnr or _DNR.search(xs).group(1)
                    consumed.append(x)
                    j += 1
                    continue
                if title and not (title.endswith(("–", "-", ",")) or (xs[:1].islower() or xs[:1] in "(\"”")):
                    break
                title = (title + " " + xs).strip() if title else xs
                consumed.append(x)
                j += 1
            organ = st.organ or doc_organ
            para = Paragraf(number, title, dnr, organ, st.date or doc_date, l.start, l.page)
            paragrafer.append(para)
            st.paragraf, st.section, st.bilaga, st.part = para, None, None, None
            for x in consumed:
                x.kind = "heading"
            i = j
            continue
        bm = _BILAGA.match(norm)
        if bm and not (bm.group(2) and st.section == "Beslutsunderlag"):
            flush()
            st.bilaga = f"Bilaga {bm.group(1)}"
            st.section, st.part, st.bilaga_lines = None, None, 0
            if st.bilaga not in bilagor:
                bilagor.append(st.bilaga)
            if st.paragraf and st.bilaga not in st.paragraf.bilagor:
                st.paragraf.bilagor.append(st.bilaga)
            i += 1
            continue
        # an attached document (tjänsteskrivelse) after a bilaga: a title line, then a lone diarienummer
        nxt = next((x for x in lines[i + 1:i + 3] if x.kind == "text"), None)
        if st.bilaga and st.bilaga_lines > 3 and nxt is not None and _DNR_ONLY.match(nxt.norm):
            flush()
            st.bilaga, st.section, st.part = None, None, "Tjänsteskrivelse"
            nxt.kind = "heading"
            i += 1
            continue
        sec = _section_of(norm)
        if sec is not False and (sec is None or sec != st.section or sec in ATTENDANCE_SECTIONS):
            if sec is not None:
                set_section(sec)
                if sec in {"Beslutande", "Övriga närvarande", "Ersättare"}:
                    current.append(l)  # the heading line carries names in two-column layouts
            i += 1
            continue
        if st.bilaga:
            st.bilaga_lines += 1
        table_mode = norm.startswith("|")
        if current and current[-1].norm.lstrip().startswith("|") != table_mode:
            flush()
        current.append(l)
        i += 1
    flush()

    _mark_signatures(blocks)
    # the organ when no page header named it: text ("Kommunstyrelsen föreslår"), front matter, file name
    if doc_organ is None:
        for b in blocks:
            m = _ORGAN_IN_TEXT.search(b.norm)
            if m and b.section in {"Beslut", "Förslag till beslut", None}:
                doc_organ = m.group(1)
                break
        doc_organ = doc_organ or meta_organ or path_organ
    if doc_date is None:
        doc_date = meta_date or path_date
        if doc_date is None:
            # a signature date ("Kommunstyrelsen 2026-01-07") is the meeting date of a protokollsutdrag
            for b in blocks:
                m = re.search(r"(Kommunfullmäktige|Kommunstyrelsen|Kommunstyrelsens arbetsutskott|nämnden)\s+((?:19|20)\d\d-\d\d-\d\d)", b.norm)
                if m:
                    doc_date = m.group(2)
                    break
    for b in blocks:
        b.organ = b.organ or doc_organ
        b.date = b.date or doc_date
    for p in paragrafer:
        p.organ = p.organ or doc_organ
        p.date = p.date or doc_date
    _fill_attendance(attendance, blocks, lines, paragrafer)
    return ParsedDocument(
        doc_id=src.doc_id, sha256=src.sha256, format=src.format, metadata=meta, organ=doc_organ,
        date=doc_date, pages=pages, ocr_noise=noise, ocr=ocr, paragrafer=paragrafer,
        bilagor=bilagor, attendance=attendance, blocks=blocks,
    )


_SIGNATURE_LINE = re.compile(
    r"^(?:Med instämmande av.*|[A-ZÅÄÖ][\w\-éü]+(?: [A-ZÅÄÖ][\w\-éü]+){0,3}(?: \((?:S|M|SD|C|V|KD|L|MP)\)?)?"
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


def _is_toc_entry(lines: list[_Line], i: int) -> bool:
    """A '§ 199 Dnr …' line of a table of contents: a dot leader and page number follow before the next §."""
    seen = 0
    for x in lines[i:i + 40]:
        if x.kind != "text" or _BANNER.search(x.norm) or _DATE_LINE.match(x.norm) or _ORGAN.match(x.norm.strip()):
            continue
        if seen and _PARAGRAF.match(x.norm):
            return False
        if _TOC_LEADER.search(x.norm):
            return True
        seen += 1
        if seen > 4:
            return False
    return False


def _persons(text: str, present_only: bool = False) -> list[Person]:
    """'Name (PARTY)' mentions; with present_only, drop those replaced ('X ersätter Y': Y is absent)."""
    out: list[Person] = []
    flat = text.replace("\n", " ")
    for m in PERSON.finditer(flat):
        name = _ROLE_WORDS.sub("", m.group(1)).strip()
        if " " not in name and "-" not in name:
            continue  # a surname alone is a line-wrapped fragment of a two-column layout
        replaced = re.search(r"ersätter\s*$", flat[max(0, m.start() - 12):m.start()])
        role = "tjänstgörande ersättare" if re.match(r"\s*ersätter\b", flat[m.end():m.end() + 12]) else None
        if present_only and replaced:
            continue
        if name not in {p.name for p in out}:
            out.append(Person(name, m.group(2), role))
    return out


def _fill_attendance(att: Attendance, blocks: list[Block], lines: list[_Line], paras: list[Paragraf]) -> None:
    """Roles and attendance lists from the first pages' blocks (plain lines or Markdown tables)."""
    first_para = paras[0].start if paras else None
    role_rows: list[list[str]] = []
    for l in lines:
        if l.kind not in {"text"} or (first_para is not None and l.start >= first_para):
            continue
        if l.norm.strip().startswith("|"):
            role_rows.append([c.strip() for c in l.norm.strip().strip("|").split("|")])
        else:
            role_rows.append([l.norm.strip()])
    pending: list[str] = []
    for row in role_rows:
        cells = [c for c in row if c]
        if not cells:
            continue
        if pending and len(cells) >= 1 and not _ROLE.match(cells[0]):
            for role in pending:
                _add_role(att, role, cells[0])
            pending = []
            continue
        pending = []
        for idx, cell in enumerate(cells):
            m = _ROLE.match(cell)
            if not m:
                continue
            role, rest = m.group(1), m.group(2).strip()
            if not rest and idx + 1 < len(cells) and not _ROLE.match(cells[idx + 1]):
                rest = cells[idx + 1]
            if rest:
                _add_role(att, role, rest)
            else:
                pending.append(role)
    for b in blocks:
        if first_para is not None and b.start >= first_para:
            break
        if b.section == "Beslutande":
            for p in _persons(b.norm, present_only=True):
                if p.name not in {x.name for x in att.beslutande}:
                    att.beslutande.append(p)
        elif b.section in {"Övriga närvarande", "Ersättare"}:
            for p in _persons(b.norm):
                if p.name not in {x.name for x in att.ersattare}:
                    att.ersattare.append(p)
            for m in re.finditer(r"([A-ZÅÄÖ][\wåäöé\-]+(?: [A-ZÅÄÖ][\wåäöé\-]+){1,2}), ([a-zåäö][\wåäö\- ]+)", b.norm):
                att.ovriga.append(f"{m.group(1)}, {m.group(2).strip()}")
    # jäv noted in attendance ("deltar ej vid § 217 p.g.a. jäv") or in a Jäv section
    for b in blocks:
        flat = b.norm.replace("\n", " ")
        for m in re.finditer(r"(?:vid|i)\s+§\s*(\d+)\s+p\.?\s?g\.?\s?a\.?\s+jäv", flat):
            before = [p for p in PERSON.finditer(flat[max(0, m.start() - 120):m.start()])
                      if " " in _ROLE_WORDS.sub("", p.group(1)).strip()]
            if before:  # the person nearest before "vid § N p.g.a. jäv" is the one who is jävig
                name = _ROLE_WORDS.sub("", before[-1].group(1)).strip()
                att.jav.append((f"{name} ({before[-1].group(2)})", m.group(1)))
        if b.section == "Jäv" and b.paragraf:
            for p in _persons(b.norm):
                att.jav.append((f"{p.name} ({p.party})", b.paragraf))
    att.jav = list(dict.fromkeys(att.jav))


def _add_role(att: Attendance, role: str, value: str) -> None:
    value = re.split(r"\s{3,}|\s+Paragrafer\b", value)[0].strip(" |")
    if not value or _DATE.fullmatch(value):
        return
    key = role.lower()
    target = (att.ordforande if key == "ordförande" else att.sekreterare if key == "sekreterare" else att.justerare)
    if value not in target:
        target.append(value)
