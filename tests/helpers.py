"""Small helpers for tests: a PDF writer (no library here writes one) and a free loopback port."""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF, one page per list of lines, Helvetica with WinAnsi encoding (å, ä, ö work)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 11 Tf", "14 TL", "60 780 Td"]
        for line in lines:
            esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({esc}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("cp1252")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)



def print_pdf(html: str, out: Path, title: str) -> bytes:
    """`html` printed to PDF by Debian's Chromium (installed by scripts/setup-browser.sh) as a browser prints
    a page: A4, with the browser's running head (date, `title`) and foot (address, 'N/M') on every page."""
    page = out.with_suffix(".html")
    page.write_text(f"<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>{title}</title>"
                    "<style>@page { size: A4; margin: 20mm 18mm; } body { font: 11pt serif; }"
                    " table { border-collapse: collapse; } td, th { padding: 2pt 14pt 2pt 0; text-align: left; }"
                    f"</style></head><body>{html}</body></html>", encoding="utf-8")
    subprocess.run(["/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={out}",
                    page.as_uri()], check=True, capture_output=True, timeout=180)
    return out.read_bytes()
