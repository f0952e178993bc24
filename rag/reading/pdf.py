"""Text-layer PDFs read by the position of their words, as a reader sees the page.

pypdf's plain text runs table columns into each other and gives no paragraph breaks; a
decision document's structure (a two-column attendance table, "Reservation 1 (S)" as a heading
of its own, a running head above every page) is in the layout. Words are grouped into lines by
their vertical position (a footnote mark raised above the line stays in it); a wide horizontal gap
splits a line into cells, written as a Markdown table row ('| Anna Ek | (S) | Ordförande |') so
the parser reads it like the Markdown protocols; a paragraph ends where the spacing grows, the
font size or weight changes, the next line is indented, or a line ends short with a full stop; a
wrapped line runs on in the next. Lines in the top and bottom margins that repeat over the pages
(a running head, 'Sida 3 av 12') are furniture and left out, except the first page's head, which
says what the document is. Page breaks stay form feeds, so page numbers are exact. A page without a
text layer is read by Tesseract (rag/reading/ocr.py) and its words go through the same steps; so is a page whose
text layer is garbage (a font without its character map gives '(cid:71)' or shifted letters, an old OCR
layer gives noise), when Tesseract's reading of it holds clearly more Swedish words.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from ..genre import PHRASING
from ..models import fetched_lexicon
from ..normalize import fold, similarity
from . import ocr

LAYOUT_VERSION = "8"  # bump when the text made from a page changes (it names cached OCR text)
CELL_GAP = 1.4  # a horizontal gap wider than this many font sizes splits a line into cells
COLUMN_GAP = 0.8  # ... or one this wide where a cell of the line above or below starts at the same place
PARAGRAPH_GAP = 0.55  # extra vertical space (in font sizes) beyond the page's usual leading ends a paragraph
INDENT = 0.6  # a first line indented by this many font sizes starts a paragraph
MARGIN = 0.09  # the top and bottom share of a page where running heads and page numbers stand
SHORT_LINE = 4.0  # a line ending this many font sizes before the right edge, with a full stop, ends a paragraph
MIN_WORDS = 3  # a page with fewer words in its text layer is a scan (or blank) and is OCR'd
GARBAGE = 0.3  # a text layer with fewer of its words Swedish word forms than this is tried against OCR
BETTER = 0.2  # ... and OCR's text is taken if this much more of its words are
MIN_JUDGED = 12  # words (3 letters or more) a page needs for its text layer to be judged
TOUCH = 0.08  # words closer than this (in font sizes) are one word split where its font changes
MAX_LEADING = 1.4  # line spacing (in font sizes) above which a step is a paragraph gap anyway
TAB = "   "  # what a tab stop's gap becomes in a line's text (the cover page reader splits at it)
LIST_BULLETS = ("•", "●", "▪", "◦", "‣", "– ", "- ", "* ")  # a line beginning so is a list item
_BREAK_HYPHEN = ("\u2010", "\u00ad")  # hyphens a typesetter adds where it breaks a word ('Sverige‐⏎demokraterna')


@dataclass
class _Line:
    top: float
    bottom: float
    size: float  # the main font size of the line
    words: list[dict] = field(default_factory=list)
    columns: set[int] = field(default_factory=set)  # x positions (rounded) where a cell starts after a gap
    ocr: bool = False  # read by Tesseract: sizes are box heights, only roughly the print's
    lone: bool = False  # cells with no row of cells above or below: text at tab stops, not a table

    @property
    def x0(self) -> float:
        return min(w["x0"] for w in self.words)

    @property
    def x1(self) -> float:
        return max(w["x1"] for w in self.words)

    @property
    def bold(self) -> bool:
        return all(_bold(w) for w in self.words)

    def cells(self) -> list[str]:
        out: list[list[dict]] = [[]]
        last = None
        words = sorted(self.words, key=lambda w: w["x0"])
        if words and _UNMAPPED_MARK.match(words[0]["text"]):  # a bullet in a font without its character map
            words[0] = {**words[0], "text": "•"}
        for w in words:
            if last is not None and (w["x0"] - last > CELL_GAP * self.size or round(w["x0"]) in self.columns):
                out.append([])
            if last is not None and out[-1] and w["x0"] - last < TOUCH * self.size:
                # one word in two fonts: small capitals ('B' + 'ILAGA'), a raised footnote mark
                out[-1][-1] = {**out[-1][-1], "text": out[-1][-1]["text"] + w["text"], "x1": w["x1"]}
            else:
                out[-1].append(w)
            last = w["x1"]
        return [_with_bold(c) for c in out]

    def text(self) -> str:
        cells = self.cells()
        if len(cells) > 1 and _LIST_MARK.match(cells[0]):  # '1.   Lag om …': a hanging list number, not a column
            cells = [f"{cells[0]} {cells[1]}", *cells[2:]]
        if len(cells) == 1:
            return cells[0]
        # '§ 203      Dnr KS-2025-00123', 'Beslutande   Ledamöter   Tjänstgörande ersättare': a line set at
        # tab stops reads as text with its gaps, as a converter's layout text has it
        return TAB.join(cells) if self.lone else "| " + " | ".join(cells) + " |"


_UNMAPPED_MARK = re.compile(r"^(?:\(cid:\d+\)|[\uf0a7\uf0b7\uf0d8\uf0fc])$")
_LIST_MARK = re.compile(r"^(?:\*\*)?(?:\d{1,3}[.)]|[a-zåäö][.)]|[–•\-*])(?:\*\*)?$")


def _bold(word: dict) -> bool:
    return bool(re.search(r"bold|black|heavy|semibold", word.get("fontname", ""), re.I))


def _with_bold(words: list[dict]) -> str:
    """A run of bold words as Markdown '**…**': a bold lead-in ('**Nämndens beslut** − …') names a section."""
    out, run = [], []
    for w in words + [None]:
        if w is not None and _bold(w):
            run.append(w["text"])
            continue
        if run:
            out.append("**" + " ".join(run) + "**")
            run = []
        if w is not None:
            out.append(w["text"])
    return " ".join(out)


@dataclass
class PdfText:
    pages: list[str]  # each page's text, laid out as lines and paragraphs
    ocr_seconds: dict[int, float] = field(default_factory=dict)  # page number (1-based) -> Tesseract's time
    ocr_kept_layer: list[int] = field(default_factory=list)  # pages OCR'd whose text layer was the better

    @property
    def ocr_done(self) -> bool:
        return bool(self.ocr_seconds or self.ocr_kept_layer)


def pdf_pages(data: bytes, name: str = "") -> PdfText:
    """Each page by its words' positions; a page without a text layer (a scan) is OCR'd."""
    import pdfplumber

    ocr_seconds: dict[int, float] = {}
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [(_lines(page.extract_words(x_tolerance=1.5, y_tolerance=2.5, extra_attrs=["size", "fontname"])),
                  float(page.height)) for page in pdf.pages]
    scanned = [n for n, (lines, _) in enumerate(pages) if sum(len(ln.words) for ln in lines) < MIN_WORDS]
    known = _known_words()
    suspect = {n: share for n, (lines, _) in enumerate(pages)
               if n not in scanned and (share := _word_share(lines, known)) is not None and share < GARBAGE}
    kept: list[int] = []
    for n, lines in _ocr(data, sorted(scanned + list(suspect)), name, ocr_seconds):
        if n in suspect and (_word_share(lines, known) or 0.0) < suspect[n] + BETTER:
            del ocr_seconds[n + 1]  # Tesseract did no better: the layer is odd text, not garbage
            kept.append(n + 1)
            continue
        pages[n] = (lines, pages[n][1])
    furniture = _repeated_margin_lines(pages)
    return PdfText([_page_text(lines, height, furniture, first=n == 0) for n, (lines, height) in enumerate(pages)],
                   ocr_seconds, kept)


def _known_words() -> set[str] | None:
    """The Swedish word forms, if fetched (`python -m rag fetch sv-wordlist`); reading never downloads."""
    lexicon = fetched_lexicon()
    return lexicon.words if lexicon else None


def _word_share(lines: list[_Line], known: set[str] | None) -> float | None:
    """The share of a page's words (3 letters or more, or glyphs without a character: '(cid:71)', private-use
    or replacement characters) that are Swedish word forms; None for a page with too few to judge. Without
    the word list, a word counts if it is letters only."""
    words = [t for ln in lines for w in ln.words for t in _GLYPH_SPLIT.split(w["text"].strip(".,;:!?()[]\"'»«”“"))]
    judged = [t for t in words if _UNMAPPED.search(t) or (len(t) >= 3 and t.isalpha())]
    if len(judged) < MIN_JUDGED:
        return None
    ok = sum(1 for t in judged if not _UNMAPPED.search(t) and (t.lower() in known if known is not None else True))
    return ok / len(judged)


_UNMAPPED = re.compile(r"\(cid:\d+\)|[\ue000-\uf8ff\ufffd\x00-\x08\x0e-\x1f]")
_GLYPH_SPLIT = re.compile(r"[-/–]")


def _ocr(data: bytes, numbers: list[int], name: str, seconds: dict[int, float]):
    """(page index, lines) for each scanned page, with a progress bar and each page's time."""
    if not numbers:
        return
    import time

    import pypdfium2
    from tqdm import tqdm


    pdf = pypdfium2.PdfDocument(data)
    try:
        for n in tqdm(numbers, desc=f"OCR {name}".strip(), unit="sida", disable=None, leave=False):
            t = time.perf_counter()
            image = pdf[n].render(scale=ocr.DPI / 72).to_pil()
            lines = _ocr_lines(ocr.page_words(image))
            seconds[n + 1] = round(time.perf_counter() - t, 2)
            yield n, lines
    finally:
        pdf.close()


def _ocr_lines(words: list[dict]) -> list[_Line]:
    """Tesseract's own lines; a line's size is its words' median box height (print has no sizes)."""
    by_line: dict[tuple, list[dict]] = {}
    for w in words:
        by_line.setdefault(w["line"], []).append(w)
    lines = []
    for ws in by_line.values():
        heights = sorted(w["bottom"] - w["top"] for w in ws)
        lines.append(_Line(min(w["top"] for w in ws), max(w["bottom"] for w in ws), heights[len(heights) // 2],
                           ws, ocr=True))
    return sorted(lines, key=lambda ln: ln.top)


def _lines(words: list[dict]) -> list[_Line]:
    """Words into lines: a word joins the line its vertical middle falls in (small raised marks too)."""
    lines: list[_Line] = []
    for w in sorted(words, key=lambda w: (-w["size"], w["top"])):  # the main text first, marks after
        middle = (w["top"] + w["bottom"]) / 2
        home = next((ln for ln in lines if ln.top - 1 <= middle <= ln.bottom + 1
                     and (w["size"] < ln.size * 0.8 or abs(w["top"] - ln.top) <= ln.size * 0.35)), None)
        if home is None:
            lines.append(_Line(w["top"], w["bottom"], w["size"], [w]))
        else:
            home.words.append(w)
    return sorted(lines, key=lambda ln: ln.top)


def _shape(text: str) -> str:
    """A margin line as it repeats: numbers, spaces, punctuation and accents aside ('file:///tmp/jonkoping…'
    read by OCR as 'file t mp jönköping …' on the next page is the same footer)."""
    return re.sub(r"[\W_]+", "", re.sub(r"\d+", "0", fold(text)))


def _in_margin(line: _Line, height: float) -> bool:
    return line.bottom < height * MARGIN or line.top > height * (1 - MARGIN)


def _repeated_margin_lines(pages: list[tuple[list[_Line], float]]) -> set[str]:
    """Shapes of margin lines found (alike) on at least half of the pages (three or more)."""
    if len(pages) < 3:
        return set()
    per_page = [{_shape(ln.text()) for ln in lines if _in_margin(ln, height)} for lines, height in pages]
    shapes = set().union(*per_page)
    return {s for s in shapes if sum(any(_alike(s, t) for t in page) for page in per_page) >= max(3, len(pages) / 2)}


def _is_furniture(shape: str, furniture: set[str]) -> bool:
    return shape in furniture or any(_alike(shape, f) for f in furniture)


def _alike(a: str, b: str) -> bool:
    """The same margin line read twice: equal, or (a long one) with a few letters read otherwise by OCR."""
    if a == b:
        return True
    if min(len(a), len(b)) < 12 or abs(len(a) - len(b)) > 3:
        return False
    return similarity(a, b) >= 0.9


def _gaps(line: _Line, width: float) -> dict[int, float]:
    """Where words start after a gap of at least `width` font sizes: x (rounded) -> the gap."""
    words = sorted(line.words, key=lambda w: w["x0"])
    return {round(b["x0"]): b["x0"] - a["x1"] for a, b in zip(words, words[1:])
            if b["x0"] - a["x1"] >= width * line.size}


def _align_columns(lines: list[_Line]) -> None:
    """A narrow gutter is a column when the next or previous line has a cell starting at the same x:
    'Lisa Andersson (M), ordförande   Berit Bergström (M) ersätter …' over 'Fredrik Hansson (C)   Niclas …'."""
    gaps = [_gaps(ln, COLUMN_GAP) for ln in lines]
    for i, ln in enumerate(lines):
        near = [x for j in (i - 1, i + 1) if 0 <= j < len(lines) for x in gaps[j]]
        ln.columns = {x for x in gaps[i] if any(abs(x - y) <= 2 for y in near)}


def _mark_lone_rows(lines: list[_Line]) -> None:
    many = [len(ln.cells()) > 1 for ln in lines]
    for i, ln in enumerate(lines):
        ln.lone = many[i] and not any(many[j] for j in (i - 1, i + 1) if 0 <= j < len(lines))


def _page_text(lines: list[_Line], height: float, furniture: set[str], first: bool) -> str:
    """The page's paragraphs without its furniture; the first page keeps its head, which says what the
    document is (organ, date)."""
    body = [ln for ln in lines if not (_in_margin(ln, height) and _is_furniture(_shape(ln.text()), furniture)
                                       and not (first and ln.top < height / 2))]
    _align_columns(body)
    _mark_lone_rows(body)
    return "\n\n".join(p for p in _paragraphs(body) if p.strip())


def _paragraphs(lines: list[_Line]) -> list[str]:
    if not lines:
        return []
    leading = _usual_leading(lines)
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    groups: list[list[_Line]] = [[lines[0]]]
    for prev, ln in zip(lines, lines[1:]):
        if _breaks(prev, ln, leading, left, right):
            groups.append([])
        groups[-1].append(ln)
    return [_joined(g, right) for g in groups]


def _joined(group: list[_Line], page_right: float) -> str:
    """A paragraph's lines: a wrapped line runs on in the next (one line per sentence, as the parser reads
    it); a line that ended by itself (a list item, a name, a table row) stays a line."""
    right = _edge(group, page_right)
    left = min(ln.x0 for ln in group)
    out = group[0].text()
    for prev, ln in zip(group, group[1:]):
        text = ln.text()
        if _wrapped(prev, ln, right) and _continues(prev, ln, left) and not out.endswith("|"):
            out = _run_on(out, text)
        else:
            out += "\n" + text
    return out


def _edge(group: list[_Line], page_right: float) -> float:
    """Where the paragraph's lines break: its own right edge (a quote or a cell is narrower than the page)
    when two of its lines before the last end there, else the page's. One line cannot show an edge:
    'Beslutet skickas till' over 'Kommunstyrelsen' is a label and its value, not a wrapped line."""
    own = max(ln.x1 for ln in group)
    at_edge = sum(1 for ln in group[:-1] if own - ln.x1 <= (ln.size or 10.0))
    return own if at_edge >= 2 else page_right


def _run_on(line: str, more: str) -> str:
    """'Sverige‐' + 'demokraterna': the typesetter's hyphen goes; 'Ann-' + 'Christin' is one name;
    'barn-' + 'och utbildning' keeps its space."""
    if line.endswith(_BREAK_HYPHEN):
        return line[:-1] + more
    if line.endswith("-") and line[-2:-1].isalpha() and not _CONJUNCTION.match(more):
        return line + more
    return f"{line} {more}"


_CONJUNCTION = re.compile(PHRASING["continues_after"])


def _continues(prev: _Line, ln: _Line, left: float) -> bool:
    """A wrapped line goes on where lines of the paragraph start: its left edge, under the previous line,
    or under the text of a list item. A list item, a table row or a line set in elsewhere (a right-aligned
    'Bilaga 12') begins a line of its own."""
    if ln.text().startswith(("|", *LIST_BULLETS)):
        return False
    words = sorted(prev.words, key=lambda w: w["x0"])
    starts = [left, prev.x0] + ([words[1]["x0"]] if prev.text().startswith(LIST_BULLETS) and len(words) > 1 else [])
    slack = (0.4 if ln.ocr else 0.15) * (ln.size or 10.0)
    return any(abs(ln.x0 - x) <= slack for x in starts)


def _wrapped(prev: _Line, ln: _Line, right: float) -> bool:
    """The line was broken for want of room: the next line's first word would not have fit after it."""
    first = min(ln.words, key=lambda w: w["x0"])
    return prev.x1 + 0.3 * prev.size + (first["x1"] - first["x0"]) > right - 0.5 * prev.size


def _usual_leading(lines: list[_Line]) -> float:
    """The space from a line's top to the next one's inside a paragraph, per font size: the lower quartile
    of the page's steps (a cover page of one-line paragraphs has few of them), at most MAX_LEADING."""
    steps = sorted((b.top - a.top) / a.size for a, b in zip(lines, lines[1:]) if a.size and 0 < b.top - a.top)
    return min(steps[len(steps) // 4], MAX_LEADING) if steps else 1.2


def _breaks(prev: _Line, ln: _Line, leading: float, left: float, right: float) -> bool:
    size = prev.size or 10.0
    if abs(ln.size - prev.size) > (0.35 if prev.ocr else 0.1) * size:
        return True  # a heading, or the small print of a footnote
    if prev.bold != ln.bold:
        return True  # a heading in bold at the size of the text
    if (ln.top - prev.top) / size > leading + PARAGRAPH_GAP:
        return True
    if prev.text().startswith("|") or ln.text().startswith("|"):
        return not (prev.text().startswith("|") and ln.text().startswith("|"))  # table rows run together
    if ln.x0 - left > INDENT * size and prev.x0 - left <= INDENT * size:
        return True  # a first-line indent
    return right - prev.x1 > SHORT_LINE * size and prev.text().rstrip().endswith((".", ":", "!", "?"))
