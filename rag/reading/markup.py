"""DOCX, HTML and Markdown as the plain text the parser reads: blocks on their own lines, tables as rows of
cells, inline markup and links reduced to their words, page comments kept."""
from __future__ import annotations

import io
import re

from .source import ReadError

MAX_UNPACKED = 200_000_000  # a DOCX is a zip: what it may hold unpacked (a 300 KB file can hold 100 MB of XML)
MAX_RATIO = 100  # ... and how much larger than the file itself


def check_unpacked(data: bytes, doc_id: str) -> None:
    """A zip that unpacks to far more than its size (a zip bomb) is refused before anything is unpacked."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ReadError(doc_id, f"broken DOCX ({type(exc).__name__})") from exc
    if unpacked > min(MAX_UNPACKED, max(MAX_RATIO * len(data), 20_000_000)):
        raise ReadError(doc_id, f"DOCX unpacks to {unpacked / 1e6:.0f} MB from {len(data) / 1e6:.1f} MB: "
                                "too much to read (a zip bomb?)")


def docx_text(data: bytes, doc_id: str) -> str:
    import docx
    from docx.oxml.ns import qn

    check_unpacked(data, doc_id)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for corrupt zips
        raise ReadError(doc_id, f"broken DOCX ({type(exc).__name__})") from exc
    breaks = {qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:tab"): "\t"}
    text_tag = qn("w:t")

    def runs(element) -> str:  # text with the paragraph's own line breaks and tabs
        return "".join((node.text or "") if node.tag == text_tag else breaks.get(node.tag, "")
                       for node in element.iter(text_tag, *breaks))

    out: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            out.append(runs(child))
        elif child.tag == qn("w:tbl"):
            for row in child.iter(qn("w:tr")):
                cells = [" ".join(runs(cell).split()) for cell in row.iter(qn("w:tc"))]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)


_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "div"]


def _inline_text(el) -> str:
    """An element's text as a reader sees it: inline runs joined as they stand, so that a word split
    over two <span>s (Riksdagen's HTML writes "Proposition 201<span>8</span>/1<span>9</span>") is one
    word again; soft hyphens dropped; a space between block children (paragraphs in a table cell)."""
    parts = []
    for piece in el.find_all(string=True):
        parent = piece.parent
        if parent is not el and parent.name in ("p", "div", "li", "td", "th") and piece is parent.find(string=True):
            parts.append(" ")
        parts.append(str(piece))
    return " ".join("".join(parts).replace("\xad", "").split())


# CommonMark's HTML blocks: one that starts with a block tag runs to a blank line; <style>, <script>,
# <pre> run to their end. A converter (pandoc's gfm) keeps them for what Markdown cannot say.
_MD_HTML_BLOCK = re.compile(r"^ {0,3}</?(?:address|article|aside|blockquote|body|center|colgroup|dd|details|div|dl|dt|"
                            r"figure|footer|form|h[1-6]|head|header|hr|html|li|main|nav|ol|p|section|table|tbody|td|"
                            r"tfoot|th|thead|tr|ul)(?:\s|/?>|$)", re.I)
_MD_RAW_BLOCK = re.compile(r"^ {0,3}<(style|script|pre)\b", re.I)  # comments stay: '<!-- sida 3 -->' marks a page
_MD_INLINE_TAG = re.compile(r"</?(?:span|a|sup|sub|em|strong|b|i|u|font|col)\b[^>]*>", re.I)  # <br> stays: a cell's line
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~\"'])")


def markdown_text(text: str) -> str:
    """Markdown as its reader sees it: raw HTML blocks a converter kept (pandoc keeps a layout table) as
    their text, inline tags dropped, links as their words, escapes ('\\*') as the character, a backslash
    line break as a line break. Pipes, their escapes and <br> stay (a table's cells and their lines)."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        raw = _MD_RAW_BLOCK.match(lines[i])
        if raw or _MD_HTML_BLOCK.match(lines[i]):
            end = {"style": "</style>", "script": "</script>", "pre": "</pre>"}.get(
                raw.group(1).lower()) if raw else None
            j = i
            while j < len(lines) and (lines[j].lower().find(end) < 0 if end else lines[j].strip()):
                j += 1
            block = "\n".join(lines[i:j + 1])
            keep = not raw or raw.group(1).lower() == "pre"
            out += ([""] + html_text(block).split("\n") + [""]) if keep else [""]
            i = j + 1
            continue
        out.append(lines[i])
        i += 1
    text = _MD_INLINE_TAG.sub("", "\n".join(out))
    text = _MD_LINK.sub(r"\1", text)
    text = re.sub(r"\\$", "", text, flags=re.M)
    return _MD_ESCAPE.sub(r"\1", text)


def html_text(text: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks: list[str] = []
    for el in soup.find_all(_HTML_BLOCKS):
        if el.name == "tr":
            if el.find("table"):  # a layout row around an inner table: its rows speak
                continue
        elif el.find_parent("tr") is not None or el.find(["p", "li", "tr", "div", "h1", "h2", "h3", "h4", "table"]):
            continue  # a paragraph in a table cell belongs to its row
        text = _inline_text(el) if el.name != "pre" else el.get_text()
        if not text:
            continue
        if el.name == "tr":  # rows of one table stay one block, as a Markdown table
            row = "| " + " | ".join(_inline_text(c) for c in el.find_all(["td", "th"])) + " |"
            if blocks and blocks[-1].startswith("|") and el.find_previous_sibling("tr") is not None:
                blocks[-1] += "\n" + row
            else:
                blocks.append(row)
        elif el.name[0] == "h":  # headings keep their level, so structure detection sees them as headings
            blocks.append("#" * int(el.name[1]) + " " + text)
        else:
            blocks.append(text)
    return "\n\n".join(blocks) or soup.get_text("\n")
