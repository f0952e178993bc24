"""Votes in the notations protocols use: counts in running text, roll-call tables, flattened tables, tallies.

Each reader returns counts as {"ja", "nej", "avstår", "frånvarande"} (missing
keys: not stated) so that the fact record can say what the document says and
the coverage check can compare text against table.
"""
from __future__ import annotations

import re

from ..genre import NAME, NUMBER_VALUES, PERSON, PHRASING, SUMMA_WORDS, TALLY_LABEL, VOTE_COUNTS, vote_column
from ..normalize import fold

_KEYS = {"ja": "ja", "nej": "nej", "avstar": "avstår", "franvarande": "frånvarande"}
_FLAT_HEAD = re.compile(PHRASING["flat_vote_head"], re.I)
_FLAT_SUMMA = re.compile(PHRASING["flat_vote_summa"], re.I)


def _flat(text: str) -> str:
    flat = " ".join(text.split())
    return re.sub(r"\b(" + "|".join(NUMBER_VALUES) + r")" + PHRASING["count_told_before"],
                  lambda m: str(NUMBER_VALUES[m.group(1).lower()]), flat, flags=re.I)


def counts_in_text(text: str) -> tuple[dict[str, int], str] | None:
    """'med 9 ja-röster mot 3 nej-röster och 3 som avstår' -> ({'ja': 9, 'nej': 3, 'avstår': 3}, the phrase)."""
    flat = _flat(text)
    for pattern in VOTE_COUNTS:
        m = pattern.search(flat)
        if m:
            found = {_KEYS[k]: int(v) for k, v in m.groupdict().items() if v is not None}
            return found, m.group(0)
    return None


def every_count_in_text(text: str) -> list[tuple[dict[str, int], str]]:
    """Each vote a text reports, in order: one § may hold a vote on återremiss and then the main vote."""
    flat, out, pos = _flat(text), [], 0
    while True:
        found = [m for p in VOTE_COUNTS for m in [p.search(flat, pos)] if m]
        if not found:
            return out
        m = min(found, key=lambda m: m.start())
        out.append(({_KEYS[k]: int(v) for k, v in m.groupdict().items() if v is not None}, m.group(0)))
        pos = m.end()


_VOTED = re.compile(PHRASING["voted"], re.I)


def roll_call_in_text(phrase: str) -> list[dict]:
    """'A (V) och B (S) röstar Ja (2). C (M) röstar Nej (1).' -> [{name, party, röst}], each name before the
    marker of its vote."""
    rows, start = [], 0
    for m in _VOTED.finditer(phrase):
        vote = (m.group(1) or m.group(2)).lower()
        rows += [{"name": p.group(1).strip(), "party": p.group(2), "röst": vote}
                 for p in PERSON.finditer(phrase[start:m.start()])]
        start = m.end()
    return rows


def roll_call_table(norm: str) -> tuple[list[dict], dict[str, int]]:
    """Rows 'Name (P) | X | | |' under a Ja/Nej/Avstår header -> ([{name, party, röst}], Summa row counts)."""
    lines = [ln.strip().strip("|") for ln in norm.splitlines() if ln.strip().startswith("|")]
    if not lines:
        return [], {}
    header = [vote_column(h) for h in lines[0].split("|")]
    rows: list[dict] = []
    summa: dict[str, int] = {}
    for ln in lines[1:]:
        cells = [c.strip().replace("**", "") for c in ln.split("|")]
        if not cells or set(cells[0]) <= set("-: "):
            continue
        if fold(cells[0]).strip(" :") in SUMMA_WORDS:
            summa = {header[i]: int(c) for i, c in enumerate(cells) if i < len(header) and header[i] and c.isdigit()}
            continue
        person = PERSON.search(cells[0].replace("<br>", " ").replace(",", ""))
        name = NAME.search(cells[0].replace("<br>", " "))
        vote = next((header[i] for i, c in enumerate(cells[1:], 1) if c.upper() == "X" and i < len(header) and header[i]), None)
        if vote and (person or name):
            entry = {"name": person.group(1).strip() if person else name.group(0), "party": person.group(2) if person else None}
            rows.append({**entry, "röst": vote})
    return rows, summa


def is_roll_call_header(line: str) -> bool:
    cols = [vote_column(c) for c in line.strip().strip("|").split("|")]
    return "ja" in cols and "nej" in cols


def flat_roll_call(text: str) -> dict[str, int] | None:
    """A roll-call table flattened into one line ('Ledamot Ja Nej Avstår … Summa 8 7 0')."""
    flat = " ".join(text.replace("*", "").split())
    head = _FLAT_HEAD.search(flat)
    summa = _FLAT_SUMMA.search(flat, head.end()) if head else None
    if not summa:
        return None
    values = [int(v) for v in summa.groups() if v is not None]
    return dict(zip(("ja", "nej", "avstår", "frånvarande"), values))


def tally(text: str) -> dict[str, int] | None:
    """Lists of names followed by a count: 'Ja: Anna A (S), Bo B (M) (2)', 'Nej-röster (3): …'."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        s = " ".join(line.replace("*", "").split())
        m = TALLY_LABEL.match(s)
        if not m:
            continue
        label = fold(re.match(r"\w+", s).group(0))
        key = {"ja": "ja", "nej": "nej", "avstar": "avstår", "avstod": "avstår", "franvarande": "frånvarande"}.get(label)
        rest = s[m.end():]
        count = re.search(r"(?:=|\()\s*(\d+)\s*\)?\s*$", rest) or re.match(r"\s*(\d+)\s*$", rest)
        names = [p for p in PERSON.finditer(rest)]
        if key and (count or names):
            found[key] = int(count.group(1)) if count else len(names)
    return found if len(found) >= 2 else None
