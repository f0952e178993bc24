"""Read files of a corpus into text, with one clear error per bad file.

Offsets everywhere downstream are character offsets into `SourceText.text`: the
decoded file (txt, md, html as text) or the extracted text layer (pdf pages
joined by form feeds, docx paragraphs joined by newlines).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml

from .ocr import OcrUnavailable
from .pdf import LAYOUT_VERSION, PdfText, pdf_pages

SUPPORTED = {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"}
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)


class ReadError(Exception):
    """One file could not be read; str() is a one-line reason naming the file."""

    def __init__(self, doc_id: str, reason: str) -> None:
        super().__init__(f"{doc_id}: {reason}")
        self.doc_id, self.reason = doc_id, reason


@dataclass
class SourceText:
    doc_id: str
    path: Path
    text: str
    sha256: str
    format: str
    encoding: str
    metadata: dict = field(default_factory=dict)
    body_start: int = 0  # first character after YAML front matter


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, doc_id: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    if text.count("\ufffd") > max(3, len(text) // 200):
        raise ReadError(doc_id, "cannot decode: neither UTF-8 nor cp1252/latin-1 text")
    return data.decode("latin-1") if "\ufffd" in text else text, "cp1252"


def _has_text_bom(data: bytes) -> bool:
    return data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > len(head) * 0.05


class _Collect(logging.Handler):
    """pypdf's warnings ('EOF marker not found') belong to the file being read, not to the terminal."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _pdf_pages(data: bytes, doc_id: str) -> PdfText:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:  # most 'protected' PDFs only restrict printing: the empty user password opens them
        try:
            opened = reader.decrypt("")
        except FileNotDecryptedError:
            opened = 0
        if not opened:
            raise ReadError(doc_id, "PDF is password-protected; save it without a password and add it again")
    try:
        return pdf_pages(data, doc_id)  # by the words' positions: columns apart, paragraphs kept
    except OcrUnavailable as exc:
        raise ReadError(doc_id, str(exc)) from None


def _pdf_text(data: bytes, doc_id: str) -> PdfText:
    log = logging.getLogger("pypdf")
    collect = _Collect()
    log.addHandler(collect)
    propagate, log.propagate = log.propagate, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pages = _pdf_pages(data, doc_id)
    except ReadError:
        raise
    except Exception as exc:  # pypdf raises many unrelated types for broken or exotic files
        note = f"; {collect.messages[0][:60]}" if collect.messages else ""
        raise ReadError(doc_id, f"broken PDF ({type(exc).__name__}: {str(exc)[:80]}{note})") from exc
    finally:
        log.removeHandler(collect)
        log.propagate = propagate
    if not "".join(pages.pages).strip():
        raise ReadError(doc_id, "PDF has no text, neither a text layer nor words Tesseract could read")
    return pages


def _ocr_cache(digest: str) -> Path:
    from ..config import settings

    return settings().ocr_cache / f"{digest}-{LAYOUT_VERSION}.json"


def _cached_ocr(digest: str) -> PdfText | None:
    """A PDF OCR'd before (by its sha256): Tesseract never reads the same file twice."""
    import json

    try:
        got = json.loads(_ocr_cache(digest).read_text(encoding="utf-8"))
        return PdfText(got["pages"], {int(k): v for k, v in got["ocr_seconds"].items()}, got.get("ocr_kept_layer", []))
    except (OSError, ValueError, KeyError):
        return None


def _keep_ocr(digest: str, pdf: PdfText) -> None:
    import json

    path = _ocr_cache(digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"pages": pdf.pages, "ocr_seconds": pdf.ocr_seconds,
                                   "ocr_kept_layer": pdf.ocr_kept_layer}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only cache costs time on the next ingest, nothing else
        pass


MAX_UNPACKED = 200_000_000  # a DOCX is a zip: what it may hold unpacked (a 300 KB file can hold 100 MB of XML)
MAX_RATIO = 100  # ... and how much larger than the file itself


def _check_unpacked(data: bytes, doc_id: str) -> None:
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


def _docx_text(data: bytes, doc_id: str) -> str:
    import docx
    from docx.oxml.ns import qn

    _check_unpacked(data, doc_id)
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


def _markdown_text(text: str) -> str:
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
            out += ([""] + _html_text(block).split("\n") + [""]) if keep else [""]
            i = j + 1
            continue
        out.append(lines[i])
        i += 1
    text = _MD_INLINE_TAG.sub("", "\n".join(out))
    text = _MD_LINK.sub(r"\1", text)
    text = re.sub(r"\\$", "", text, flags=re.M)
    return _MD_ESCAPE.sub(r"\1", text)


def _html_text(text: str) -> str:
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


def read_file(path: Path, root: Path, max_bytes: int) -> SourceText:
    """Read one file; raises ReadError with a one-line reason, whatever went wrong inside a library."""
    try:
        return _read_file(path, root, max_bytes)
    except ReadError:
        raise
    except OSError as exc:
        raise ReadError(doc_id_of(path, root), f"cannot read ({exc.strerror or exc})") from exc
    except RecursionError as exc:
        raise ReadError(doc_id_of(path, root), "too deeply nested to read") from exc
    except Exception as exc:  # a reader library's own failure stays this one file's problem
        raise ReadError(doc_id_of(path, root), f"cannot read ({type(exc).__name__}: {str(exc)[:80]})") from exc


def doc_id_of(path: Path, root: Path) -> str:
    path, root = path.absolute(), root.absolute()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _read_file(path: Path, root: Path, max_bytes: int) -> SourceText:
    doc_id = doc_id_of(path, root)
    path, root = path.absolute(), root.absolute()
    data = _checked_bytes(path, root, doc_id, max_bytes)
    digest = file_hash(data)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _read_pdf(path, doc_id, data, digest)
    if suffix == ".docx":
        text = _docx_text(data, doc_id)
        if not text.strip():
            raise ReadError(doc_id, "DOCX has no text")
        return SourceText(doc_id, path, text, digest, "docx", "docx")
    if not _has_text_bom(data) and _looks_binary(data):  # UTF-16 text is half NUL bytes
        raise ReadError(doc_id, "binary content in a text file")
    text, encoding = _decode(data, doc_id)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix in {".html", ".htm"}:
        text = _html_text(text)
        if not text.strip():
            raise ReadError(doc_id, "HTML has no text")
        return SourceText(doc_id, path, text, digest, "html", encoding)
    return _read_text(path, doc_id, text, digest, encoding, "md" if suffix in {".md", ".markdown"} else "txt")


def _checked_bytes(path: Path, root: Path, doc_id: str, max_bytes: int) -> bytes:
    """The file's bytes, once it is known to be a supported regular file inside the corpus, within the
    size limit and not empty; else a ReadError naming the reason."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ReadError(doc_id, "link points outside the corpus folder")
    if resolved.is_dir():
        raise ReadError(doc_id, "link to a folder inside the corpus; its files are indexed under their own paths")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ReadError(doc_id, f"unsupported file type '{suffix or '(none)'}' (supported: {', '.join(sorted(SUPPORTED))})")
    info = resolved.stat()
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block the read (and the ingest lock) forever
        raise ReadError(doc_id, "not a regular file (FIFO, socket or device)")
    size = info.st_size
    if size > max_bytes:
        raise ReadError(doc_id, f"file is {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.1f} MB")
    data = resolved.read_bytes()
    if not data.strip():
        raise ReadError(doc_id, "file is empty")
    return data


def _read_pdf(path: Path, doc_id: str, data: bytes, digest: str) -> SourceText:
    """A PDF's pages joined by form feeds; scanned pages through OCR, kept by the file's hash."""
    if not data.startswith(b"%PDF"):
        raise ReadError(doc_id, "broken PDF (no %PDF header)")
    pdf = _cached_ocr(digest)
    if pdf is None:
        pdf = _pdf_text(data, doc_id)
        if pdf.ocr_done:
            _keep_ocr(digest, pdf)
    meta = {"ocr_pages": len(pdf.ocr_seconds), "ocr_page_numbers": ", ".join(map(str, pdf.ocr_seconds)),
            "ocr_seconds": pdf.ocr_seconds} if pdf.ocr_seconds else {}
    return SourceText(doc_id, path, "\f".join(pdf.pages), digest, "pdf", "pdf", meta)


def _read_text(path: Path, doc_id: str, text: str, digest: str, encoding: str, fmt: str) -> SourceText:
    """Markdown or plain text, with its YAML front matter read as metadata and kept in the text."""
    metadata: dict = {}
    body_start = 0
    m = _FRONT_MATTER.match(text)
    if m:
        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            raise ReadError(doc_id, f"bad YAML front matter ({str(exc).splitlines()[0]})") from exc
        metadata = loaded if isinstance(loaded, dict) else {}
        body_start = m.end()
    if not text[body_start:].strip():
        raise ReadError(doc_id, "file has no text besides its front matter")
    if fmt == "md":
        text = text[:body_start] + _markdown_text(text[body_start:])
    return SourceText(doc_id, path, text, digest, fmt, encoding, metadata, body_start)


def walk(paths: list[Path], root: Path) -> Iterator[Path]:
    """Every file under the given paths (files or folders), sorted, hidden ones skipped. A link to a folder
    is yielded as itself, so that reading it says why it is not followed (outside the corpus, or a second
    path to files already indexed) instead of skipping it silently."""
    for p in paths:
        if not p.is_dir():
            yield p
            continue
        for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
            links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in links)
            names = [n for n in filenames + links if not n.startswith(".") and n not in {"SOURCES.md", "README.md"}]
            for name in sorted(names):
                yield Path(dirpath) / name
