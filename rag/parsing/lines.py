"""The normalised line view every format is parsed from.

A document arrives as PDF text with page furniture, Markdown with headings, bold
and tables, HTML or DOCX. Each line keeps its exact offsets into the original
text, its normalised form (NFC, OCR-repaired when noisy) for search, and a
`plain` form with the markup stripped (heading marks, emphasis, block quotes,
table pipes) that structure detection reads, so a `## **§ 7**` and a `§ 7` are
the same heading.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from ..genre import BANNER, PHRASING, organ_in, party_case
from ..normalize import OCR_SECTION_SIGN_READS, OcrRepair, fold, nfc, similarity
from ..reading import SourceText

PAGE_MARKER = re.compile(PHRASING["page_marker"], re.I)
_PAGE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*\(\s*(\d{0,3})\s*\)\s*$")
_BARE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*$")
_HEADER_PAGE = re.compile(r"\b\d{1,3}\s*\(\s*\d{1,3}\s*\)")
_BR = re.compile(r"<br\s*/?>", re.I)
_CELL_PAGE_BR = 6  # a table cell holding this many <br> is a whole page converted into one cell
DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_BOLD = re.compile(r"(?:\*\*|__)(.+?)(?:\*\*|__)")
_SIGNED = re.compile(rf"^({PHRASING['continued']})?§\s*(\d{{1,3}})\b", re.I)
_MISREAD_SIGN = re.compile(rf"^({PHRASING['continued']})?[{re.escape(OCR_SECTION_SIGN_READS)}]\s?(\d{{1,3}})$", re.I)


@dataclass
class Line:
    start: int
    end: int
    text: str
    norm: str
    plain: str = ""
    table: bool = False  # a Markdown table row
    lead: str = ""  # a bold span run into the line ('**Beslut** Nämnden beslutar …', 'BEHANDLING **Yrkanden** …')
    heading: bool = False  # written as a heading: '# …' or wholly bold
    lead_before: str = ""  # the text before `lead` on its line
    page: int | None = None
    kind: str = "text"  # text | blank | formfeed | marker | footer | header | boiler | heading
    organ: str | None = None  # on a page-header line: the organ and date the header names
    date: str | None = None


def plain_of(norm: str) -> tuple[str, bool, list[tuple[str, str]]]:
    """(markup-free text, is a table row, the bold spans with the plain text before each)."""
    s = norm.strip()
    spans = [(" ".join(_BOLD.sub(lambda x: x.group(1), s[:m.start()]).lstrip("#> ").split()), " ".join(m.group(1).split()))
             for m in _BOLD.finditer(s)]
    s = re.sub(r"^(?:>\s*)+", "", s)
    s = re.sub(r"^#{1,6}\s+", "", s)
    s = re.sub(r"^[-•*−–\uf0b7]\s+(?=§)", "", s)  # a § written as a list item
    table = s.startswith("|") and s.count("|") >= 2
    if table:
        s = " ".join(c.strip() for c in s.strip("|").split("|") if c.strip())
    s = s.replace("**", "").replace("__", "")
    s = re.sub(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])", "", s)
    s = re.sub(r"(?<!\w)_(?=\S)|(?<=\S)_(?!\w)", "", s)  # '_Beslutet expedieras till:_' in italics
    s = " ".join(_BR.sub(" ", s).split())
    return s, table, spans


def split_lines(src: SourceText, repair: OcrRepair | None) -> list[Line]:
    """Lines of the body with exact offsets; form feeds and page-in-a-cell <br> runs split lines too."""
    lines: list[Line] = []
    pos = src.body_start
    for raw in src.text[src.body_start:].split("\n"):
        for i, piece in enumerate(raw.split("\f")):
            if i > 0:
                lines.append(Line(pos, pos, "\f", "", kind="formfeed"))
                pos += 1
            for start, part, cell in _pieces(piece, pos):
                norm = party_case(nfc(part).replace("\u00a0", " "))
                if repair is not None:
                    norm = repair.repair_line(norm)
                line = Line(start, start + len(part), part, norm, kind="text" if part.strip(" |") else "blank")
                line.plain, line.table, spans = plain_of(norm.replace("|", " ") if cell else norm)
                line.heading = not line.table and (norm.lstrip().startswith("#") or (
                    len(spans) == 1 and not spans[0][0] and len(spans[0][1]) >= len(line.plain) - 1))
                line.lead = next((span for before, span in reversed(spans) if span != line.plain), "")
                line.lead_before = next((before for before, span in reversed(spans) if span != line.plain), "")
                lines.append(line)
            pos += len(piece)
        pos += 1
    return lines


def restore_section_signs(lines: list[Line]) -> None:
    """In OCR'd text, '81', '$2', '83' alone on their lines are §§ 1-3 whose sign Tesseract misread: a
    candidate is taken when its number runs on from the § before it or into the one after. Where a number
    is taken twice (a contents list, then the §§ themselves), only the last stands as a heading."""
    found = []  # (line, number, continued, misread)
    for i, l in enumerate(lines):
        m = _SIGNED.match(l.plain) or _MISREAD_SIGN.match(l.plain.strip()) if l.kind == "text" else None
        if m and (l.plain.startswith("§") or _inside_page(lines, i)):
            found.append((i, int(m.group(2)), bool(m.group(1)), "§" not in l.text))  # '$2' was repaired to '§2'
    taken: dict[int, int] = {}  # number -> line of its heading
    for k, (i, n, continued, misread) in enumerate(found):
        before = found[k - 1][1] if k else None
        after = found[k + 1][1] if k + 1 < len(found) else None
        if misread and (before == n - 1 or continued and before == n or after == n + 1):
            if continued:
                _resign(lines[i], n, "Forts. ")
            else:
                taken[n] = i
    for n, i in taken.items():
        _resign(lines[i], n, "")
    for i, n, continued, misread in found:  # the contents list's entries, where the sign was repaired
        if misread and not continued and n in taken and taken[n] != i and lines[i].plain.startswith("§"):
            lines[i].norm = lines[i].plain = lines[i].text.strip()


def settle_header_organs(lines: list[Line], known: Callable[[str], bool]) -> None:
    """In OCR'd text the page headers name one organ in several readings ('Bearn- och utbildningsnämnden'
    beside 'Barn- och utbildningsnämnden'): readings alike are one organ, spelt as the reading with the most
    known words (then the most frequent)."""
    names = Counter(l.organ for l in lines if l.kind == "header" and l.organ)

    def score(name: str) -> tuple[float, int]:
        words = re.findall(r"[^\W\d_]+", name)
        return sum(map(known, words)) / max(1, len(words)), names[name]

    spelt = {name: max((o for o in names if _alike_names(name, o)), key=score) for name in names}
    for l in lines:
        if l.organ in spelt:
            l.organ = spelt[l.organ]


def _alike_names(a: str, b: str) -> bool:
    return a == b or similarity(fold(a), fold(b)) >= 0.9


def _inside_page(lines: list[Line], i: int) -> bool:
    """Neither the first nor the last line of its page, where a lone number is the page's number."""
    def neighbour(step: int) -> Line | None:
        j = i + step
        while 0 <= j < len(lines) and lines[j].kind == "blank":
            j += step
        return lines[j] if 0 <= j < len(lines) else None

    return all(x is not None and x.kind != "formfeed" for x in (neighbour(-1), neighbour(1)))


def _resign(l: Line, number: int, lead: str) -> None:
    l.norm = l.plain = f"{lead}§ {number}"


def _pieces(piece: str, pos: int) -> list[tuple[int, str, bool]]:
    """A line, or the pieces of a table row whose cell holds a whole page (<br> between its lines)."""
    if len(_BR.findall(piece)) < _CELL_PAGE_BR:
        return [(pos, piece, False)]
    out, last = [], 0
    for m in _BR.finditer(piece):
        out.append((pos + last, piece[last:m.start()], True))
        last = m.end()
    out.append((pos + last, piece[last:], True))
    return out


def mark_headers(lines: list[Line]) -> None:
    """Page headers: a banner word (SAMMANTRÄDESPROTOKOLL …) with the organ and date near it.

    The banner line gets the organ and date; the header's lines are marked so that
    they never become text, §§ or sections.
    """
    n = len(lines)
    for i, l in enumerate(lines):
        if l.kind not in {"text", "boiler"} or len(l.plain) > 160 or not BANNER.search(l.plain):
            continue
        if not (l.plain.upper() == l.plain or len(l.plain) < 120):
            continue
        window = [j for j in range(max(0, i - 3), min(n, i + 9)) if lines[j].kind in {"text", "boiler"}]
        window = [j for j in window if abs(j - i) <= 1 or _near(lines, i, j)]
        organ_at = next((j for j in sorted(window, key=lambda j: abs(j - i)) if _header_organ(lines[j].plain)), None)
        date_at = next((j for j in sorted(window, key=lambda j: (j < i, abs(j - i))) if _header_date(lines[j].plain)), None)
        if organ_at is None and date_at is None:
            continue
        l.organ = _header_organ(lines[organ_at].plain) if organ_at is not None else None
        l.date = _header_date(lines[date_at].plain) if date_at is not None else None
        used = [j for j in (organ_at, date_at, i) if j is not None]
        for j in range(min(used), max(used) + 1):
            x = lines[j]
            if x.kind in {"text", "boiler"} and (j in used or fold_is_datum(x.plain) or len(x.plain) < 40 and not x.plain.startswith("§")):
                x.kind = "header"
        l.kind = "header"


def _near(lines: list[Line], i: int, j: int) -> bool:
    """Header lines stand together: at most a few short lines between the banner and line j."""
    lo, hi = sorted((i, j))
    between = [x for x in lines[lo + 1:hi] if x.kind in {"text", "boiler"}]
    return len(between) <= 4 and all(len(x.plain) < 60 and not x.plain.startswith("§") for x in between)


def fold_is_datum(plain: str) -> bool:
    return plain.strip(" :").lower() == "datum"


def _header_organ(plain: str) -> str | None:
    if len(plain) > 160:
        return None
    return organ_in(plain)


def _header_date(plain: str) -> str | None:
    if len(plain) > 100:
        return None
    s = re.sub(PHRASING["header_date_label"], "", plain)
    m = DATE.search(s)
    if not m:
        return None
    if m.start() == 0 and m.end() == len(s) or BANNER.search(plain) or organ_in(plain):
        return m.group(0)
    return None


def assign_pages(lines: list[Line]) -> int | None:
    """Pages from markers (<!-- sida N -->), form feeds, or page numbers ('3()', '2 (37)', a lone number).

    A page number right after a page header opens its page; one standing alone at
    the foot of a page closes it.
    """
    if any(PAGE_MARKER.match(l.text) or l.kind == "formfeed" for l in lines):
        for i, l in enumerate(lines):  # pages known: a number under a page header is only the header's
            number = _PAGE_NUMBER.match(l.text) or _BARE_NUMBER.match(l.text)
            if l.kind == "text" and number and _under_header(lines, i) and not _header_numbered(lines, i):
                l.kind = "footer"
    if any(PAGE_MARKER.match(l.text) for l in lines):
        page = None
        for l in lines:
            m = PAGE_MARKER.match(l.text)
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
    numbers: list[tuple[int, int, bool]] = []  # (line, page, opens its page)
    for i, l in enumerate(lines):
        m = _PAGE_NUMBER.match(l.text) if l.kind == "text" else None
        bare = _BARE_NUMBER.match(l.text) if l.kind == "text" else None
        if bare and not m:
            before = i == 0 or lines[i - 1].kind == "blank"
            after = sum(1 for x in lines[i + 1:i + 3] if x.kind == "blank") == 2 or i + 1 == len(lines)
            m = bare if before and (after or _under_header(lines, i)) else None
        if m:
            numbers.append((i, int(m.group(1)), _under_header(lines, i)))
            l.kind = "footer"
    if not numbers:
        return None
    opening = sum(1 for *_, top in numbers if top) > len(numbers) / 2
    ni = 0
    for i, l in enumerate(lines):
        if opening:
            while ni < len(numbers) and numbers[ni][0] <= i:
                ni += 1
            l.page = numbers[ni - 1][1] if ni else max(1, numbers[0][1] - 1)
        else:
            while ni < len(numbers) and numbers[ni][0] < i:
                ni += 1
            l.page = numbers[ni][1] if ni < len(numbers) else numbers[-1][1] + 1
    if opening:  # the header lines above a page number belong to its page
        for idx, page, _ in numbers:
            j = idx - 1
            while j >= 0 and lines[j].kind in {"header", "blank", "boiler"}:
                lines[j].page = page
                j -= 1
    return max(l.page for l in lines if l.page is not None)


def _under_header(lines: list[Line], i: int) -> bool:
    prev = next((x for x in reversed(lines[max(0, i - 4):i]) if x.kind != "blank"), None)
    return prev is not None and prev.kind == "header"


def _header_numbered(lines: list[Line], i: int) -> bool:
    """The page header above line i already names its page ('SAMMANTRÄDESPROTOKOLL 10 (21)')."""
    j = i - 1
    while j >= 0 and lines[j].kind in {"header", "blank", "footer"}:
        if lines[j].kind == "footer" or _HEADER_PAGE.search(lines[j].plain):
            return True
        j -= 1
    return False


def _shape(l: Line) -> str:
    return re.sub(r"[0-9A-F]{16,}", "#", re.sub(r"\d+", "0", l.plain))


def mark_boilerplate(lines: list[Line], keep) -> None:
    """Running headers and footers repeated on many pages (signature notices, banners).

    `keep(line)` protects lines that are structure (a section heading, a §) even when they repeat.
    """
    pages: dict[int, list[Line]] = {}
    for l in lines:
        if l.kind == "text" and l.page is not None:
            pages.setdefault(l.page, []).append(l)
    if len(pages) < 3:
        return
    shape_pages: dict[str, set[int]] = {}
    for p, ls in pages.items():
        for l in ls[:6] + ls[-4:]:
            shape_pages.setdefault(_shape(l), set()).add(p)
    common = {s for s, ps in shape_pages.items() if len(ps) >= 3 and len(ps) >= 0.3 * len(pages)}
    for ls in pages.values():
        for l in ls:  # anywhere on the page: a table or an appended block may follow the footer
            if _shape(l) in common and not keep(l):
                l.kind = "boiler"


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
    beteckning: str | None = None  # a betänkande's '2010/11:AU1'
