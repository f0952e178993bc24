"""The corpus as municipalities' archives hold it: every document printed to PDF by Chromium (A4, the
browser's running head and foot on every page) and, for chosen documents, that PDF rasterised to an
image-only 'scan'. The eval sets then run over the renderings as over the originals
(`python -m eval.run --corpus <out>`), so a parser that only reads clean Markdown shows.

    python -m eval.renderings corpus /tmp/pdf-corpus [--scan jonkoping/*2016*] [--dpi 200]
    python -m eval.renderings check corpus /tmp/pdf-corpus    # what the parser finds differently

Needs Debian's chromium (scripts/setup-browser.sh)."""
from __future__ import annotations

import argparse
import fnmatch
import html
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
_FRONT_MATTER = re.compile(r"\A\ufeff?---\n.*?\n---\n", re.S)


def print_pdf(body: str, out: Path, title: str) -> bytes:
    """`body` (HTML) printed to PDF as a browser prints a page: A4, with the browser's running head (date,
    `title`) and foot (address, 'N/M') on every page."""
    page = out.with_suffix(".print.html")
    page.write_text(f"<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                    "<style>@page { size: A4; margin: 20mm 18mm; } body { font: 11pt serif; }"
                    " table { border-collapse: collapse; } td, th { padding: 2pt 14pt 2pt 0; text-align: left; }"
                    " pre { font: 11pt serif; white-space: pre-wrap; }"
                    # a Markdown paragraph's line breaks and column gaps are the layout of the PDF it was
                    # converted from (a cover page's two columns): printed as they stand, not reflowed
                    " .layout p, .layout li, .layout td { white-space: pre-wrap; }"
                    # Chromium draws list markers as shapes, not text; a word processor's PDF has the
                    # bullet glyph in its text layer, so the markers are printed as text
                    " ul { list-style: none; } ul > li::before { content: '\\2022\\00a0\\00a0'; }"
                    f"</style></head><body>{body}</body></html>", encoding="utf-8")
    try:
        subprocess.run([str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={out}",
                        page.as_uri()], check=True, capture_output=True, timeout=300)
    finally:
        page.unlink(missing_ok=True)
    return out.read_bytes()


def document_html(path: Path) -> str:
    """What a browser would show of the file: Markdown rendered (its front matter is not printed), HTML as
    it is, plain text line by line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        from markdown_it import MarkdownIt

        return f"<div class='layout'>{MarkdownIt('commonmark').enable('table').render(_FRONT_MATTER.sub('', text))}</div>"
    if path.suffix in {".html", ".htm"}:
        return text
    return "".join(f"<pre>{html.escape(page)}</pre><div style='break-after: page'></div>" for page in text.split("\f"))


def rasterise(pdf: bytes, out: Path, dpi: int = 200, first: int | None = None) -> None:
    """An image-only PDF (of the `first` pages, or all), grey, at scan resolution: no text layer at all."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        pages = [doc[n].render(scale=dpi / 72).to_pil().convert("L") for n in range(min(first or len(doc), len(doc)))]
    finally:
        doc.close()
    pages[0].save(out, resolution=dpi, save_all=True, append_images=pages[1:])


def render_corpus(src: Path, out: Path, scan: list[str] = (), dpi: int = 200) -> list[Path]:
    """Every document under `src` as a PDF under `out`, by the same relative path (suffix .pdf); those
    matching a `scan` pattern as image-only PDFs."""
    made = []
    for path in originals(src):
        rel = path.relative_to(src)
        target = (out / rel).with_suffix(".pdf")
        target.parent.mkdir(parents=True, exist_ok=True)
        pdf = print_pdf(document_html(path), target, path.stem)
        if any(fnmatch.fnmatch(rel.as_posix(), pattern) for pattern in scan):
            rasterise(pdf, target, dpi)
        made.append(target)
    for extra in src.rglob("*.pdf"):
        (out / extra.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(extra, out / extra.relative_to(src))
    return made


def parsed(path: Path, root: Path) -> dict:
    """What the parser found in one file: §§, organ, date, attendance, and each record kind's content per §
    (its persons and its words: a decision read as one sentence or as three is the same decision)."""
    from rag.store import prepare

    got = prepare(path, root, 1 << 30)
    if got.error:
        return {"error": got.error}
    records: dict[tuple[str, str], tuple[list[str], str]] = {}
    for fact in got.facts:
        persons, words = records.get((fact.kind, fact.paragraf or ""), ([], ""))
        more = " ".join(_WORDS.findall(fact.text))
        records[fact.kind, fact.paragraf or ""] = (sorted(persons + [p["name"] for p in fact.persons]),
                                                   f"{words} {more}".strip())
    people = {role: sorted(p["name"] if isinstance(p, dict) else str(p) for p in people)
              for role, people in got.summary["attendance"].items() if isinstance(people, list)}
    return {"organ": got.summary["organ"], "date": got.summary["date"], "§§": got.summary["paragrafer"],
            "records": records, "attendance": people}


_WORDS = re.compile(r"[^\W_]+")


def differences(a: dict, b: dict) -> list[str]:
    """What the rendering's parse `b` says differently from the original's `a`, one line each."""
    diffs = [f"{key}: {a.get(key)} → {b.get(key)}" for key in ("error", "organ", "date", "§§")
             if a.get(key) != b.get(key)]
    ra, rb = a.get("records", {}), b.get("records", {})
    for kind, paragraf in sorted(set(ra) | set(rb)):
        (pa, wa), (pb, wb) = ra.get((kind, paragraf), ([], "")), rb.get((kind, paragraf), ([], ""))
        if pa != pb:
            diffs.append(f"{kind} § {paragraf}: personer {_gained_lost(pa, pb)}")
        elif wa != wb:
            xa, xb = wa.split(), wb.split()
            at = next((n for n, (x, y) in enumerate(zip(xa, xb)) if x != y), min(len(xa), len(xb)))
            diffs.append(f"{kind} § {paragraf}: text «{' '.join(xa[at:at + 8])}» → «{' '.join(xb[at:at + 8])}»")
    aa, ab = a.get("attendance", {}), b.get("attendance", {})
    diffs += [f"{role}: {_gained_lost(aa.get(role, []), ab.get(role, []))}"
              for role in sorted(set(aa) | set(ab)) if aa.get(role) != ab.get(role)]
    return diffs


def _gained_lost(a: list[str], b: list[str]) -> str:
    return f"−{sorted(set(a) - set(b))} +{sorted(set(b) - set(a))}"


# records that say who did what: a rendering must give the same persons for every one of them
WHO_RECORDS = {"reservation", "särskilt yttrande", "protokollsanteckning", "yrkande", "omröstning", "jäv",
               "återremiss", "bordläggning", "deltar inte i beslutet", "omedelbar justering"}


@dataclass
class Agreement:
    """How far the renderings' parses agree with the originals', over many documents."""
    records: int = 0  # (kind, §) records in either
    records_same: int = 0  # the same persons and words in both
    attendance: int = 0  # (role, name) in either
    attendance_same: int = 0
    structure: list[str] = field(default_factory=list)  # 'doc: §§ …' where organ, date or §§ differ
    who: list[str] = field(default_factory=list)  # 'doc: reservation § 18 …' where persons differ

    def add(self, name: str, a: dict, b: dict) -> None:
        self.structure += [f"{name}: {key}" for key in ("error", "organ", "date", "§§") if a.get(key) != b.get(key)]
        ra, rb = a.get("records", {}), b.get("records", {})
        for key in set(ra) | set(rb):
            self.records += 1
            self.records_same += ra.get(key) == rb.get(key)
            if key[0] in WHO_RECORDS and ra.get(key, ([], ""))[0] != rb.get(key, ([], ""))[0]:
                self.who.append(f"{name}: {key[0]} § {key[1]}")
        na = {(role, n) for role, names in a.get("attendance", {}).items() for n in names}
        nb = {(role, n) for role, names in b.get("attendance", {}).items() for n in names}
        self.attendance += len(na | nb)
        self.attendance_same += len(na & nb)

    def line(self) -> str:
        records = f"{self.records_same / max(1, self.records):.3f} ({self.records_same}/{self.records})"
        people = f"{self.attendance_same / max(1, self.attendance):.3f} ({self.attendance_same}/{self.attendance})"
        return (f"records_same={records} attendance_same={people} structure_diffs={len(self.structure)} "
                f"who_diffs={len(self.who)}")


def originals(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.is_file() and p.suffix in {".md", ".html", ".htm", ".txt"}
                  and p.name not in {"SOURCES.md", "README.md"})


def check(src: Path, rendered: Path) -> int:
    """Each original and its rendering parsed side by side; prints what differs, returns how many differ."""
    differing, agreement = 0, Agreement()
    for path in originals(src):
        rel = path.relative_to(src)
        target = (rendered / rel).with_suffix(".pdf")
        if not target.exists():
            continue
        a, b = parsed(path, src), parsed(target, rendered)
        agreement.add(rel.as_posix(), a, b)
        diffs = differences(a, b)
        differing += bool(diffs)
        print(f"{'SKILLNAD' if diffs else 'SAMMA   '} {rel}" + "".join(f"\n    {d}" for d in diffs))
    print(f"renderings-check: {differing} dokument skiljer sig från originalet; {agreement.line()}")
    return differing


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["check"]:
        p = argparse.ArgumentParser(prog="python -m eval.renderings check",
                                    description="parse each original and its rendering; print what differs")
        p.add_argument("corpus", type=Path)
        p.add_argument("rendered", type=Path)
        args = p.parse_args(argv[1:])
        return 1 if check(args.corpus, args.rendered) else 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("corpus", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--scan", action="append", default=[], help="glob of documents to rasterise (relative paths)")
    p.add_argument("--dpi", type=int, default=200)
    args = p.parse_args(argv)
    if not CHROMIUM.exists():
        print("fel: Chromium saknas; kör scripts/setup-browser.sh", file=sys.stderr)
        return 1
    for made in render_corpus(args.corpus, args.out, args.scan, args.dpi):
        print(made)
    return 0


if __name__ == "__main__":
    sys.exit(main())
