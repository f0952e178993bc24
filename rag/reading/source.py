"""A document as read: its text (every offset downstream points into it), its hash and format; or the
one-line reason it could not be read."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


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
