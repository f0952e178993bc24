"""The corpus folder as staff change it: add uploaded files and remove documents, never outside the folder.

An uploaded name is reduced to a plain file name (no folders, no '..', no control
characters), lands in `UPLOAD_FOLDER`, and never replaces an existing file: the
bytes are written to a temporary file and linked into place, which fails if the
name is taken, even when two uploads race.
"""
from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .reading import SUPPORTED

UPLOAD_FOLDER = "uppladdade"
_UNSAFE = re.compile(r"[^\w.\- ()åäöÅÄÖéÉüÜ]+")
MAX_NAME = 120


class UploadError(ValueError):
    """One uploaded file was refused; str() is a Swedish one-line reason naming the file."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


@dataclass
class Saved:
    doc_id: str  # relative to the corpus folder, as the index names it
    path: Path


def safe_name(filename: str) -> str:
    """The last path part of `filename`, with characters outside a small safe set replaced by '_'."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").split("/")[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" ").rstrip(".")
    stem, dot, suffix = name.rpartition(".")
    if dot and len(name) > MAX_NAME:
        name = stem[: MAX_NAME - len(suffix) - 1] + "." + suffix
    return name


def save_upload(corpus_dir: Path, filename: str, data: bytes, max_bytes: int) -> Saved:
    """Write one uploaded file into the corpus' upload folder; raises UploadError."""
    shown = filename.replace("\\", "/").split("/")[-1] or filename
    name = safe_name(filename)
    suffix = Path(name).suffix.lower()
    if not name or name.startswith(".") or not Path(name).stem:
        raise UploadError(shown, "ogiltigt filnamn")
    if suffix not in SUPPORTED:
        raise UploadError(shown, f"filtypen '{suffix or '(ingen)'}' stöds inte (tillåtna: {', '.join(sorted(SUPPORTED))})")
    if len(data) > max_bytes:
        raise UploadError(shown, f"filen är {len(data) / 1e6:.1f} MB, gränsen är {max_bytes / 1e6:.1f} MB")
    if not data.strip():
        raise UploadError(shown, "filen är tom")
    folder = (corpus_dir / UPLOAD_FOLDER).absolute()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.parent != folder or not target.resolve().is_relative_to(corpus_dir.resolve()):
        raise UploadError(shown, "ogiltigt filnamn")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, target)  # atomic, and fails instead of replacing an existing file
        except FileExistsError:
            raise UploadError(shown, f"det finns redan ett dokument som heter {name}; ta bort det först") from None
    finally:
        os.unlink(tmp)
    return Saved(target.relative_to(corpus_dir.absolute()).as_posix(), target)


def remove_document(corpus_dir: Path, doc_id: str) -> Path:
    """Delete the file behind an indexed document id; only files inside the corpus folder."""
    root = corpus_dir.resolve()
    path = (corpus_dir / doc_id).absolute()
    if ".." in Path(doc_id).parts or not path.resolve().is_relative_to(root) or not path.is_file():
        raise UploadError(doc_id, "dokumentet finns inte i dokumentmappen")
    path.unlink()
    return path
