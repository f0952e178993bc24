"""Read files of a corpus into text, with one clear error per bad file.

Offsets everywhere downstream are character offsets into `SourceText.text`: the
decoded file (txt, md, html as text) or the extracted text layer (pdf pages
joined by form feeds, docx paragraphs joined by newlines).
"""
from __future__ import annotations

import io
import logging
import os
import re
import stat
import warnings
from pathlib import Path
from typing import Iterator

import yaml

from ..config import settings
from .ocr import OcrUnavailable
from .markup import docx_text, html_text, markdown_text
from .pdf import LAYOUT_VERSION, PdfText, pdf_pages
from .source import ReadError, SourceText, file_hash

SUPPORTED = {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"}
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)


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
        text = docx_text(data, doc_id)
        if not text.strip():
            raise ReadError(doc_id, "DOCX has no text")
        return SourceText(doc_id, path, text, digest, "docx", "docx")
    if not _has_text_bom(data) and _looks_binary(data):  # UTF-16 text is half NUL bytes
        raise ReadError(doc_id, "binary content in a text file")
    text, encoding = _decode(data, doc_id)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix in {".html", ".htm"}:
        text = html_text(text)
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
        text = text[:body_start] + markdown_text(text[body_start:])
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
