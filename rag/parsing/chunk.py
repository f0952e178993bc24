"""Paragraph chunks with exact locators; a chunk never crosses a §, a section, a bilaga or an attached part."""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath

from .lines import Block
from .structure import ParsedDocument

CHUNKER_VERSION = "paragraf-chunker-23"  # bump when parsing, chunking or fact extraction changes  # 6: decision facts stored with the index
MAX_CHARS = 1000
MIN_CHARS = 250
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•\-])")


@dataclass
class Chunk:
    id: str
    doc: str
    locator: str
    organ: str | None
    date: str | None
    paragraf: str | None
    title: str | None
    dnr: str | None
    section: str | None
    bilaga: str | None
    part: str | None
    page_start: int | None
    page_end: int | None
    start: int
    end: int
    text: str  # the original text, exactly as in the file between start and end
    norm: str  # normalised (OCR-repaired) text used for search
    beteckning: str | None = None  # a committee report's '2010/11:AU1'

    @property
    def context(self) -> str:
        """The structural path a reader needs to understand the chunk alone."""
        head = f"§ {self.paragraf} {self.title or ''}".strip() if self.paragraf else (self.title or "")
        parts = [self.organ, self.date, head, self.bilaga, self.part, self.section]
        return " · ".join(p for p in parts if p)

    @property
    def search_text(self) -> str:
        return f"{self.context}\n{' '.join(self.norm.split())}"

    def to_dict(self) -> dict:
        return asdict(self)


def locator(doc: str, organ: str | None, date: str | None, paragraf: str | None, bilaga: str | None,
            part: str | None, section: str | None, page_start: int | None, page_end: int | None,
            beteckning: str | None = None) -> str:
    """'Kommunstyrelsen 2026-01-07 § 16 · Bilaga 13 · Särskilt yttrande · s. 4';
    'Arbetsmarknadsutskottet 2010-11-30 · bet. 2010/11:AU1 · Reservation 3 (SD) · punkt 7'."""
    head = " ".join(p for p in (organ, date) if p) or PurePosixPath(doc).name
    if paragraf:
        head += f" § {paragraf}"
    parts = [head, f"bet. {beteckning}" if beteckning else None, bilaga, part, section]
    if page_start:
        parts.append(f"s. {page_start}" if page_end in (None, page_start) else f"s. {page_start}–{page_end}")
    return " · ".join(p for p in parts if p)


@dataclass
class _Piece:
    start: int
    end: int
    norm: str
    page_start: int | None
    page_end: int | None


def _split_long(block: Block, source: str) -> list[_Piece]:
    """Split a long block at sentence ends (line ends first, then inside lines)."""
    if len(block.text) <= MAX_CHARS:
        return [_Piece(block.start, block.end, block.norm, block.page_start, block.page_end)]
    orig_lines = block.text.split("\n")
    norm_lines = block.norm.split("\n")
    if len(orig_lines) != len(norm_lines):
        norm_lines = orig_lines
    # (start offset, original, normalised) for each sentence-sized unit
    units: list[tuple[int, str, str]] = []
    pos = block.start
    for o, nl in zip(orig_lines, norm_lines):
        if len(o) > MAX_CHARS:
            nl = nl if len(nl) == len(o) else o  # offsets must hold; the repair is lost for this line only
            cut = 0
            for m in _SENTENCE_SPLIT.finditer(o):
                units += _hard_cut(pos + cut, o[cut:m.start()], nl[cut:m.start()])
                cut = m.end()
            units += _hard_cut(pos + cut, o[cut:], nl[cut:])
        else:
            units.append((pos, o, nl))
        pos += len(o) + 1
    pieces: list[_Piece] = []
    cur: list[tuple[int, str, str]] = []

    def emit() -> None:
        if cur:
            start = cur[0][0]
            end = cur[-1][0] + len(cur[-1][1])
            pieces.append(_Piece(start, end, "\n".join(u[2] for u in cur), block.page_start, block.page_end))

    size = 0
    for u in units:
        if cur and size + len(u[1]) > MAX_CHARS:
            emit()
            cur, size = [], 0
        cur.append(u)
        size += len(u[1]) + 1
        if size > MAX_CHARS * 0.6 and _SENTENCE_END.search(u[1]):
            emit()
            cur, size = [], 0
    emit()
    return [p for p in pieces if source[p.start:p.end].strip()]


def cut_at_space(text: str, limit: int) -> int:
    """Where to cut `text` to at most `limit` characters: the last space in its second half, else `limit`."""
    cut = text.rfind(" ", limit // 2, limit)
    return cut if cut > 0 else limit


def _hard_cut(start: int, orig: str, norm: str) -> list[tuple[int, str, str]]:
    """A 'sentence' longer than a chunk (a text without sentence ends) cut at spaces, or anywhere."""
    units = []
    while len(orig) > MAX_CHARS:
        cut = cut_at_space(orig, MAX_CHARS)
        units.append((start, orig[:cut], norm[:cut]))
        start, orig, norm = start + cut, orig[cut:], norm[cut:]
    return units + [(start, orig, norm)]


def _key(b: Block) -> tuple:
    return (b.paragraf, b.bilaga, b.part, b.section, b.organ, b.date, b.table)


def chunk_document(doc: ParsedDocument, source: str) -> list[Chunk]:
    """Chunks for one parsed document; `source` is the text its offsets point into."""
    chunks: list[Chunk] = []
    groups: list[tuple[Block, list[_Piece]]] = []
    scanned = {int(n) for n in (doc.metadata.get("ocr_seconds") or {})}
    for b in doc.blocks:
        for piece in _split_long(b, source):
            if groups and _key(groups[-1][0]) == _key(b):
                total = groups[-1][1][-1].end - groups[-1][1][0].start
                size = piece.end - piece.start
                prev_text = source[groups[-1][1][-1].start:groups[-1][1][-1].end].rstrip()
                next_text = source[piece.start:piece.end].lstrip()
                # a sentence broken by a blank line (PDF page or column break) continues in lower case
                continued = not _SENTENCE_END.search(prev_text) and next_text[:1].islower()
                if continued and total + size <= 2 * MAX_CHARS or (
                    (total < MIN_CHARS or size < MIN_CHARS) and total + size <= MAX_CHARS
                ):
                    groups[-1][1].append(piece)
                    continue
            groups.append((b, [piece]))
    spans: dict[str, int] = {}
    for b, pieces in groups:
        start, end = pieces[0].start, pieces[-1].end
        pages = [p for pc in pieces for p in (pc.page_start, pc.page_end) if p is not None]
        ps, pe = (min(pages), max(pages)) if pages else (None, None)
        loc = locator(doc.doc_id, b.organ, b.date, b.paragraf, b.bilaga, b.part, b.section, ps, pe, b.beteckning)
        if ps is not None and any(ps <= n <= (pe or ps) for n in scanned):
            loc += " · OCR"  # read from a scan by Tesseract: the words may be misread
        key = f"{doc.doc_id}:{start}:{end}:{CHUNKER_VERSION}"
        repeat = spans.get(key, 0)  # a long table cut into pieces that share one span: each its own id
        spans[key] = repeat + 1
        cid = hashlib.sha1((key + (f":{repeat}" if repeat else "")).encode()).hexdigest()[:16]
        chunks.append(Chunk(
            id=cid, doc=doc.doc_id, locator=loc, organ=b.organ, date=b.date, paragraf=b.paragraf,
            title=b.title, dnr=b.dnr, section=b.section, bilaga=b.bilaga, part=b.part,
            page_start=ps, page_end=pe, start=start, end=end, text=source[start:end],
            norm="\n\n".join(pc.norm for pc in pieces), beteckning=b.beteckning,
        ))
    return chunks
