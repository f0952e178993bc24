"""Reading: files of every format (txt, md, html, docx, pdf with or without a text layer) as text
with exact offsets, pages and words' positions; scans through OCR."""
from __future__ import annotations

from .read import doc_id_of, file_hash, read_file, ReadError, SourceText, SUPPORTED, walk

__all__ = ["doc_id_of", "file_hash", "read_file", "ReadError", "SourceText", "SUPPORTED", "walk"]
