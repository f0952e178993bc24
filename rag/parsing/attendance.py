"""Attendance from a protocol's cover page: who decided, who replaced whom, who held which role.

Cover pages come in many layouts (label and value in table cells, two text
columns, one run-on line, a whole page in one cell), but they are all a form:
labels from the genre's vocabulary ("Beslutande", "Utses att justera",
"Sekreterare" …) each followed by its value. So the page is cut into segments at
the labels, and each value is read by what its field holds: members with party,
substitution, times and §§; or, for a role, names and nothing else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..genre import (COVER_LABELS, NAME, PERSON, PERSON_ROLES, PHRASING, PLACE_NOT, RECORDS, SUBSTITUTION_AFTER,
                     is_known_party)
from .lines import DATE, Line
from ..normalize import fold

ROLE_FIELDS = {"ordforande": "ordforande", "vice_ordforande": "vice_ordforande", "sekreterare": "sekreterare",
               "justerare": "justerare"}
_LABEL = re.compile(
    r"(?<![\w/])(" + "|".join(sorted(map(re.escape, COVER_LABELS), key=len, reverse=True)) + r")(?![a-zåäöéü/])\s*:?", re.I
)
_ROLE_SUFFIX = re.compile(
    r"^\s*,?\s*(" + "|".join(sorted(map(re.escape, PERSON_ROLES), key=len, reverse=True)) + r")\b", re.I
)
_PARAGRAF_RANGE = re.compile(PHRASING["paragraf_range"])
_TIME = re.compile(PHRASING["meeting_time"])
_OFFICIAL = re.compile(r"([A-ZÅÄÖÉ][\wåäöé\-]+(?: [A-ZÅÄÖÉ][\wåäöé\-]+){1,3})(?:, | \()([a-zåäö][\wåäö\-. ]+?)(?=\)|\s+[A-ZÅÄÖ]|,|$)")
_COLUMN_GAP = re.compile(r"\s{3,}")


PLATS_VALUES = 2  # "Plats och tid": a place and a time, in one cell or two

@dataclass
class Person:
    name: str
    party: str | None = None
    role: str | None = None
    ersatter: str | None = None  # the member this one serves for ("X tjänstgör för Y")
    ersatter_parti: str | None = None  # that member's party
    paragrafer: str | None = None  # "§§ 75-77", "fr.o.m. § 163"
    tid: str | None = None  # "kl. 09:00-10:00"
    distans: bool = False


@dataclass
class Attendance:
    ordforande: list[str] = field(default_factory=list)
    vice_ordforande: list[str] = field(default_factory=list)
    sekreterare: list[str] = field(default_factory=list)
    justerare: list[str] = field(default_factory=list)
    beslutande: list[Person] = field(default_factory=list)
    ersattare: list[Person] = field(default_factory=list)
    ovriga: list[str] = field(default_factory=list)
    jav: list[tuple[str, str]] = field(default_factory=list)  # (person with party, §)
    role_paragrafer: dict[str, str] = field(default_factory=dict)  # justerare per § range: name -> "§§ 75-84"
    paragrafer: str | None = None  # what the cover says the protocol holds: "1-15", "§ 1-27"
    justering: str | None = None  # date (and place) of justering
    anslag: dict[str, str] = field(default_factory=dict)  # "uppsatt"/"nedtagen" -> date
    plats: list[str] = field(default_factory=list)  # where and when the meeting was held, as the cover says


def segments(lines: list[Line]) -> list[tuple[str | None, str, str]]:
    """The cover page as (field, label as written, value) in reading order."""
    out: list[tuple[str | None, str, str]] = []
    for l in lines:
        if l.kind not in {"text", "heading"}:
            continue
        for cell in (c for c in _cells(l) if c.strip()):
            out.extend(_split_at_labels(cell))
    return out


def _cells(l: Line) -> list[str]:
    if l.table:
        raw = l.norm.strip().strip("|").split("|")
        return [" ".join(re.sub(r"<br\s*/?>", "\n", c).replace("**", "").split()) for c in raw]
    return [" ".join(c.split()) for c in _COLUMN_GAP.split(l.plain.strip())]


def _split_at_labels(cell: str) -> list[tuple[str | None, str, str]]:
    folded = fold(cell)
    if len(folded) != len(cell):
        folded = cell.lower()
    cuts: list[tuple[int, int, str]] = []
    for m in _LABEL.finditer(folded):
        s = m.start()
        before = cell[:s].rstrip()
        if not cell[s].isupper() or before.endswith((",", "(", "-")):
            continue
        cuts.append((s, m.end(), COVER_LABELS[m.group(1)]))
    out: list[tuple[str | None, str, str]] = []
    pos = 0
    current: tuple[str | None, str] = (None, "")
    for s, e, name in cuts:
        if cell[pos:s].strip() or current[0] is not None:
            out.append((current[0], current[1], cell[pos:s].strip()))
        current, pos = (name or None, cell[s:e].strip(" :")), e
    out.append((current[0], current[1], cell[pos:].strip(" :")))
    return [seg for seg in out if seg[0] is not None or seg[2]]


def is_cover_label(text: str) -> bool:
    """Does the text start with a cover-page label ('Personalföreträdare', 'Utses att justera')?"""
    m = _LABEL.match(fold(text))
    return bool(m) and text[:1].isupper()


def role_names(text: str) -> list[tuple[str, str | None]] | None:
    """'Gabriella Lönn (KD) §§ 75-84 Karin Hannus (KD) §§ 85-88' -> [(name with party, §§)]; None if not names only."""
    rest = text.strip(" ,;")
    out: list[tuple[str, str | None]] = []
    while rest:
        m = PERSON.match(rest) or NAME.match(rest)
        if not m:
            return None
        if m.re is PERSON:
            value = f"{m.group(1)} ({m.group(2)})"
        else:
            value = m.group(0)
        rest = rest[m.end():].strip(" ,;")
        para = _PARAGRAF_RANGE.match(rest)
        if para:
            rest = rest[para.end():].strip(" ,;")
        out.append((value, para.group(0).strip() if para else None))
        rest = re.sub(rf"^(?:{PHRASING['and']})\s+", "", rest)
    return out or None


_MEMBER_FIELDS = {"beslutande", "ersattare", "ovriga"}


def read_cover(lines: list[Line]) -> Attendance:
    """Attendance from the lines before the first §."""
    att = Attendance()
    current: str | None = None
    label_key = ""
    stacked = False  # labels in a row with no values between them: the column's values follow the first
    for fieldname, label, value in segments(lines):
        if fieldname is not None:
            if not (stacked and current in _MEMBER_FIELDS and fieldname in _MEMBER_FIELDS):
                current, label_key = fieldname, fold(label)
            stacked = not value
        if not value or current is None:
            continue
        if current in _MEMBER_FIELDS:
            stacked = False
        if not _read_value(att, current, value, distans="distans" in label_key):
            current = None  # a role holds names: anything else ends the field
    _roles_from_members(att)
    return att


def _read_value(att: Attendance, fieldname: str, value: str, distans: bool) -> bool:
    """Put one value into its field; False when the value does not belong there (ends a role)."""
    if fieldname in ROLE_FIELDS:
        names = role_names(value)
        if names is None:
            return False
        target = getattr(att, ROLE_FIELDS[fieldname])
        for name, para in names:
            if _bare(name) not in {_bare(x) for x in target}:
                target.append(name)
            if para:
                att.role_paragrafer[name] = para
    elif fieldname in {"beslutande", "ersattare"}:
        _merge(att.beslutande if fieldname == "beslutande" else att.ersattare, _members(value, distans=distans))
        _add_officials(att, value)
    elif fieldname == "ovriga":  # members named here are present but do not serve
        _merge(att.ersattare, [p for p in _members(value) if p.ersatter is None])
        _add_officials(att, value)
    elif fieldname == "paragrafer" and att.paragrafer is None:
        m = re.search(r"\d+(?:\s*[-–]\s*\d+)?", value)
        att.paragrafer = re.sub(r"\s", "", m.group(0)).replace("–", "-") if m else None
    elif fieldname == "plats" and len(att.plats) < PLATS_VALUES:
        # 'Plats och tid för | Kungsbackarummet … | sammanträde': a label wrapped around its value
        where = re.sub(PHRASING["place_label_rest"], "", " ".join(value.split()))[:100]
        if fold(where) not in PLACE_NOT | {""} and where not in att.plats:
            att.plats.append(where)
    elif fieldname == "justering" and att.justering is None:
        att.justering = value[:80]
    elif fieldname in {"anslag_upp", "anslag_ned"}:
        d = DATE.search(value)
        if d:
            att.anslag.setdefault("uppsatt" if fieldname == "anslag_upp" else "nedtagen", d.group(0))
    return True


def _add_officials(att: Attendance, value: str) -> None:
    """'Göran Isberg, utbildningsdirektör', 'Andreas Norbrant (stadsdirektör)': officials present."""
    for m in _OFFICIAL.finditer(PERSON.sub("", value)):
        item = f"{m.group(1)}, {m.group(2).strip()}"
        if item not in att.ovriga:
            att.ovriga.append(item)


def _bare(name: str) -> str:
    return name.split(" (")[0].strip()


def _merge(into: list[Person], members: list[Person]) -> None:
    seen = {p.name for p in into}
    for p in members:
        if p.name not in seen:
            into.append(p)
            seen.add(p.name)


def _members(text: str, distans: bool = False) -> list[Person]:
    """Members with party from a list; 'X ersätter Y': X serves, Y is absent and left out."""
    found = [m for m in PERSON.finditer(text) if " " in m.group(1).strip() or "-" in m.group(1)]
    out: list[Person] = []
    skip = -1
    for k, m in enumerate(found):
        if k == skip:
            continue
        name = re.sub(r"^(\w+) \1\b", r"\1", m.group(1).strip())  # "Fredrik Fredrik Hansson": a column wrap
        if not is_known_party(m.group(2)) and m.group(2).upper() != m.group(2):
            continue
        tail = text[m.end():found[k + 1].start()] if k + 1 < len(found) else text[m.end():]
        p = Person(name, m.group(2), distans=distans)
        sub = SUBSTITUTION_AFTER.match(tail)
        if sub and k + 1 < len(found) and not tail[sub.end():].strip(" ,"):  # 'X (P) ersätter Y (P)
            p.role, p.ersatter, p.ersatter_parti = "tjänstgörande ersättare", found[k + 1].group(1).strip(), found[k + 1].group(2)
            skip = k + 1
            tail = text[found[k + 1].end():found[k + 2].start()] if k + 2 < len(found) else text[found[k + 1].end():]
        role = _ROLE_SUFFIX.match(fold(tail))
        if role:
            p.role = p.role or PERSON_ROLES[role.group(1).lower()]
        para = _PARAGRAF_RANGE.search(tail)
        if para:
            p.paragrafer = " ".join(para.group(0).split())
        t = _TIME.search(tail)
        if t:
            p.tid = " ".join(t.group(0).split())
        out.append(p)
    return out


def _roles_from_members(att: Attendance) -> None:
    """'Anna Carlsson (S), ordförande' in the member list names the chair when no label did."""
    for p in att.beslutande:
        if p.role == "ordförande" and not att.ordforande:
            att.ordforande.append(f"{p.name} ({p.party})")
        elif p.role == "vice ordförande" and f"{p.name} ({p.party})" not in att.vice_ordforande:
            att.vice_ordforande.append(f"{p.name} ({p.party})")


def jav_in(text: str) -> list[tuple[str, str]]:
    """'Anna A (S) deltar ej vid § 217 p.g.a. jäv' -> [('Anna A (S)', '217')]."""
    out = []
    flat = " ".join(text.split())
    for m in re.finditer(r"(?:vid|i|under)\s+(?:ärende\s+|§(?:\s*§)?\s*)(\d+)[^.]{0,40}?(?=" + RECORDS["jav"].pattern + ")", flat, re.I):
        window = flat[max(0, m.start() - 120):m.start()]
        # the member nearest before the note; not one whose entry is a substitution ('Y (SD) ersätter …')
        before = [p for p in PERSON.finditer(window)
                  if " " in p.group(1).strip() and not SUBSTITUTION_AFTER.match(window[p.end():])]
        if before:
            name = re.sub(r"^(\w+) \1\b", r"\1", before[-1].group(1).strip())  # a column wrap repeats a word
            out.append((f"{name} ({before[-1].group(2)})", m.group(1)))
    return list(dict.fromkeys(out))
