"""Scanned pages read by Tesseract with its Swedish model (Debian's tesseract-ocr, tesseract-ocr-swe).

Tesseract's TSV gives every word with its box; the words go through the same layout reading as a
text layer's (rag/reading/pdf.py), so a scan's columns, paragraphs and running heads are read the same way.
"""
from __future__ import annotations

import csv
import io
import shutil
import subprocess

DPI = 300  # typical scan resolution; Tesseract reads 10-12 pt print well from here
LANG = "swe"
MIN_CONFIDENCE = 10.0  # below this a 'word' is a speck or a stamp


class OcrUnavailable(RuntimeError):
    """Tesseract or its Swedish model is missing; the message says how to install them."""


def available() -> bool:
    return shutil.which("tesseract") is not None


def page_words(image) -> list[dict]:
    """Words of one page image (PIL), in PDF points (1/72 inch) as a text layer gives them."""
    if not available():
        raise OcrUnavailable("inskannad sida utan textlager: Tesseract saknas (installera med "
                             "scripts/setup-ocr.sh: tesseract-ocr och tesseract-ocr-swe)")
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PNG", dpi=(DPI, DPI))
    run = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANG, "--dpi", str(DPI), "--psm", "3", "tsv"],
                         input=buf.getvalue(), capture_output=True, timeout=600)
    if run.returncode != 0:
        reason = run.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["okänt fel"]
        raise OcrUnavailable(f"Tesseract kunde inte läsa sidan: {reason[0][:120]}")
    scale = 72.0 / DPI
    words = []
    for row in csv.DictReader(io.StringIO(run.stdout.decode("utf-8", errors="replace")), delimiter="\t",
                              quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text or float(row.get("conf") or -1) < MIN_CONFIDENCE:
            continue
        left, top, width, height = (float(row[k]) * scale for k in ("left", "top", "width", "height"))
        words.append({"text": text, "x0": left, "x1": left + width, "top": top, "bottom": top + height,
                      "size": height, "fontname": "", "line": (row["block_num"], row["par_num"], row["line_num"])})
    return words
