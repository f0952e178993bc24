"""What the parser found in a document, checked against what the document says of itself.

A protocol lists its own §§ (cover page "Paragrafer 1–15", a table of contents),
names its organ and date, holds roles that are names, and prints vote counts
next to roll-call tables. Any document from any body can be checked this way
without a gold file: `python -m rag docs --check DIR`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..parsing import Attendance
from ..parsing import announced
from ..parsing import chunk_document
from .extract import extract
from .fact import Fact
from ..genre import BETECKNING, NAME, PERSON
from ..normalize import OcrRepair, printable
from ..reading import ReadError, read_file, walk
from ..parsing import ParsedDocument, parse

_MAX_NAME_WORDS = 5


@dataclass
class Coverage:
    doc: str
    organ: str | None
    date: str | None
    found: list[str]
    listed: list[str]
    votes: int
    records: dict[str, int]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the document's own defects, e.g. a roll call missing a row

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        listed = f"{len(self.listed)} listade" if self.listed else "ingen förteckning"
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.records.items()))
        head = "OK " if self.ok else "FEL"
        text = (f"{head} {printable(self.doc)}: {self.organ or '–'} {self.date or '–'} · §§ {len(self.found)} ({listed}) · "
                f"omröstningar {self.votes} · {kinds or 'inga poster'}")
        return text + "".join(f"\n      - {p}" for p in self.problems) + "".join(f"\n      ~ {w}" for w in self.warnings)


# text in a document that addresses the reader or the system; the answers never read it
PLANTED_NOTE = "instruktion till en assistent i texten, används inte som underlag"


def paragraf_numbers(numbers: list[str]) -> list[str]:
    """'12–14' stands for 12, 13 and 14."""
    out: list[str] = []
    for n in numbers:
        lo, _, hi = n.partition("–")
        out += [str(k) for k in range(int(lo), int(hi) + 1)] if hi else [lo]
    return out


def _is_name(value: str) -> bool:
    bare = PERSON.sub(lambda m: m.group(1), value).strip()
    return bool(NAME.fullmatch(bare)) and len(bare.split()) <= _MAX_NAME_WORDS


def _role_problems(att: Attendance) -> list[str]:
    problems = []
    for role in ("ordforande", "vice_ordforande", "sekreterare", "justerare"):
        for value in getattr(att, role):
            if not _is_name(value):
                problems.append(f"{role} är inte ett namn: {value[:80]!r}")
    for p in att.beslutande + att.ersattare:
        if not _is_name(p.name):
            problems.append(f"person är inte ett namn: {p.name[:80]!r}")
    return problems


def _vote_problems(facts: list[Fact]) -> tuple[list[str], list[str]]:
    """Counts stated in the text against the roll-call rows: more rows than stated is a parsing fault;
    fewer rows can be the document's own (a row printed outside its table), so it is a warning."""
    problems, warnings = [], []
    for f in facts:
        if f.kind != "omröstning" or not f.details.get("upprop"):
            continue
        rows = f.details["upprop"]
        for key in ("ja", "nej", "avstår"):
            counted = sum(1 for r in rows if r["röst"] == key)
            stated = f.details.get(key) or 0
            if counted != stated:
                message = f"§ {f.paragraf}: {key} {stated} enligt texten men {counted} i uppropet"
                (problems if counted > stated else warnings).append(message)
    return problems, warnings


def _betankande_problems(doc: ParsedDocument) -> list[str]:
    """Every reservation the punkter name is found, and as many reservationer and särskilda yttranden as
    the report's summary announces."""
    bet = doc.betankande
    assert bet is not None
    problems = []
    found = {"reservation": bet.reservationer, "särskilt yttrande": bet.sarskilda_yttranden}
    numbers = {y.number or "" for y in bet.reservationer}
    missing = [n or "(utan nummer)" for n in dict.fromkeys(bet.referenced) if n not in numbers]
    if missing:
        problems.append(f"reservationer som förslaget hänvisar till saknas: {', '.join(missing)}")
    for kind, count in bet.announced.items():
        if len(found[kind]) != count:
            problems.append(f"{kind}: sammanfattningen anger {count}, hittade {len(found[kind])}")
    unsigned = [y.label for y in bet.yttranden if not y.persons]
    if unsigned:
        problems.append(f"utan undertecknare: {'; '.join(unsigned)}")
    if not bet.ledamoter:
        problems.append("ledamöter som deltagit i beslutet saknas")
    return problems


def _unread_report(doc: ParsedDocument) -> bool:
    """A committee report the reader did not recognise: its summary announces reservationer and its first
    pages name a beteckning (a layout no reader knows must not pass as a document without records)."""
    head = " ".join(b.norm for b in doc.blocks[:40])
    return bool(BETECKNING.search(head)) and bool(announced(doc.blocks))


def check(doc: ParsedDocument, facts: list[Fact]) -> Coverage:
    found = paragraf_numbers([p.number for p in doc.paragrafer])
    records: dict[str, int] = {}
    for f in facts:
        records[f.kind] = records.get(f.kind, 0) + 1
    cov = Coverage(doc.doc_id, doc.organ, doc.date, found, doc.listed_paragrafer,
                   records.pop("omröstning", 0), records)
    if not doc.organ:
        cov.problems.append("organ saknas")
    if not doc.date:
        cov.problems.append("datum saknas")
    if doc.listed_paragrafer and sorted(set(found), key=int) != sorted(set(doc.listed_paragrafer), key=int):
        missing = sorted(set(doc.listed_paragrafer) - set(found), key=int)
        extra = sorted(set(found) - set(doc.listed_paragrafer), key=int)
        cov.problems.append(f"§§ skiljer sig från dokumentets förteckning: saknas {missing or '–'}, extra {extra or '–'}")
    if len(found) != len(set(found)):
        dup = sorted({n for n in found if found.count(n) > 1}, key=int)
        cov.problems.append(f"§§ hittade flera gånger: {dup}")
    if doc.betankande is not None:
        cov.problems += _betankande_problems(doc)
    elif _unread_report(doc):
        cov.problems.append("ser ut som ett betänkande (beteckning, reservationer) men lästes inte som ett")
    vote_problems, cov.warnings = _vote_problems(facts)
    cov.problems += _role_problems(doc.attendance) + vote_problems
    cov.warnings += [f"{PLANTED_NOTE}: {t!r}" for t in doc.planted]
    return cov


def check_paths(paths: list[Path], root: Path | None = None, repair: OcrRepair | None = None,
                max_bytes: int = 50_000_000) -> list[Coverage | str]:
    """A Coverage per readable document; a one-line error string per file that could not be read."""
    out: list[Coverage | str] = []
    for path in walk(paths, root or paths[0]):
        try:
            src = read_file(path, root or (paths[0] if paths[0].is_dir() else paths[0].parent), max_bytes)
        except (ReadError, OSError) as exc:
            out.append(str(exc))
            continue
        doc = parse(src, repair)
        chunks = chunk_document(doc, src.text)
        out.append(check(doc, extract(doc, chunks)))
    return out


def summary(results: list[Coverage | str]) -> str:
    docs = [r for r in results if isinstance(r, Coverage)]
    ok = sum(1 for r in docs if r.ok)
    return f"docs-check: {ok} av {len(docs)} dokument utan fel, {len(results) - len(docs)} kunde inte läsas"

