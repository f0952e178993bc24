"""Omröstningar: each vote a block reports (counts in the text, a roll-call table, a flattened roll call or a
tally of names), with the propositionsordning, what Ja and Nej stood for and the outcome."""
from __future__ import annotations

import re

from ...genre import PHRASING, SAY, PROPOSITIONSORDNING, VOTE_OUTCOME, VOTE_PROPOSITION, VOTE_REQUESTED
from ...parsing import ParsedDocument, every_count_in_text, flat_roll_call, is_roll_call_header, roll_call_in_text, roll_call_table, tally
from ..fact import SAYS, Fact, Kind, names_of, sentences_of
from ..walk import At, Walk, run_on


def sentence(f: Fact) -> str:
    d = f.details
    s = SAY["vote_result"].format(ja=d.get("ja"), nej=d.get("nej"))
    s += SAY["vote_abstained"].format(n=d["avstår"]) if d.get("avstår") else ""
    if d.get("voteringsproposition"):
        s += SAY["vote_meant"].format(**d["voteringsproposition"])
    s += SAY["vote_outcome"].format(outcome=d["beslutar enligt"]) if d.get("beslutar enligt") else "."
    if d.get("propositionsordning"):
        s += SAY["vote_order"].format(order="; ".join(d["propositionsordning"]))
    for vote in ("ja", "nej", "avstår"):
        voters = [r for r in d.get("upprop", []) if r["röst"] == vote]
        if voters:
            s += f" {vote.capitalize()}: {names_of(voters)}."
    return s


KINDS = [Kind("omröstning", sentence)]


def in_block(fb: Walk, at: At) -> None:
    _add_vote(fb, fb.doc, at.bi, at.block)


def _proposition(text: str) -> dict[str, str] | None:
    """What a Ja and a Nej stood for in the vote the text reports last ('Ja för ärendets avgörande idag')."""
    found = [m for p in VOTE_PROPOSITION for m in p.finditer(" ".join(text.split()))]
    return {"ja": found[-1].group("ja").strip(), "nej": found[-1].group("nej").strip()} if found else None


def _propositionsordning(doc: ParsedDocument, vote_block) -> list[str]:
    """How the chair put the proposals: 'Ja-röst innebär …', 'Den som bifaller … röstar ja', huvudförslag."""
    lines: list[str] = []
    for b in doc.blocks:
        if b.paragraf == vote_block.paragraf and b.organ == vote_block.organ and b.start <= vote_block.start:
            flat = " ".join(b.norm.split())
            for m in re.finditer(PHRASING["vote_meaning_line"], flat):
                lines.append(m.group(1).replace("- röst", "-röst").strip().rstrip("."))
            lines += [s for s in sentences_of(b.norm) if PROPOSITIONSORDNING.search(s) and not SAYS["vote_meaning"].search(s)]
    return list(dict.fromkeys(lines))


def _roll_call(doc: ParsedDocument, vote_block) -> tuple[list[dict], dict[str, int], list]:
    """The roll-call table of the same §: its rows {name, party, röst}, its Summa row, and its blocks."""
    rows: list[dict] = []
    summa: dict[str, int] = {}
    tables = []
    for b in doc.blocks:
        if not (b.table and b.paragraf == vote_block.paragraf and b.organ == vote_block.organ):
            continue
        first = next((ln for ln in b.norm.splitlines() if ln.strip().startswith("|")), "")
        if not is_roll_call_header(first):
            continue
        found, total = roll_call_table(b.norm)
        if found or total:
            rows += found
            summa = summa or total
            tables.append(b)
    return rows, summa, tables


def _add_vote(fb: Walk, doc: ParsedDocument, bi: int, b) -> None:
    """An omröstning record for each vote a block reports: counts in the text, a flattened roll call or a
    tally of names."""
    own = " ".join(b.norm.split())
    text = run_on(doc, bi)
    found = [f for f in every_count_in_text(text) if f[1][:15] in own]  # else the next block records it
    flat, after = " ".join(text.split()), 0
    for counts, phrase in found or [((flat_roll_call(own) or tally(b.norm)), None)]:
        at = flat.find(phrase, after) if phrase else -1
        told = flat[after: at + len(phrase)] if at >= 0 else phrase  # the names voting stand before the counts
        after = at + len(phrase) if at >= 0 else after
        if counts:
            _add_one_vote(fb, doc, b, text, counts, phrase, told)


def _add_one_vote(fb: Walk, doc: ParsedDocument, b, text: str, counts: dict[str, int], phrase: str | None,
                  told: str | None) -> None:
    own = " ".join(b.norm.split())
    roll, summa, tables = _roll_call(doc, b)
    roll = roll or (roll_call_in_text(told) if told else [])
    proposition = _proposition(told or text)
    # the proposition says what Ja and Nej meant, not who won ('Ja för bifall till …')
    plain = text
    for p in VOTE_PROPOSITION if proposition else ():
        plain = p.sub(" ", plain)
    outcome = next((m.group(1).strip() for p in VOTE_OUTCOME for m in [p.search(plain)] if m), None)
    if outcome is None and proposition and counts.get("ja") != counts.get("nej"):
        won = proposition["ja" if (counts.get("ja") or 0) > (counts.get("nej") or 0) else "nej"]
        outcome = next((m.group(1).strip() for p in VOTE_OUTCOME for m in [p.match(won)] if m), None)  # 'bifall till X'
    same = [f for f in fb.facts if f.kind == "omröstning" and (f.paragraf, f.organ) == (b.paragraf, b.organ)
            and (f.details.get("ja"), f.details.get("nej")) == (counts.get("ja"), counts.get("nej"))
            and None in (proposition, f.details.get("voteringsproposition"))]  # two propositions: two votes
    if same:  # the same vote told twice (a table's Summa row and the sentence after it)
        same[0].details["beslutar enligt"] = same[0].details.get("beslutar enligt") or outcome
        for key in ("avstår", "frånvarande"):
            if counts.get(key) and not same[0].details.get(key):
                same[0].details[key] = counts[key]
        return
    paragraf_text = " ".join(" ".join(x.norm.split()) for x in doc.blocks if (x.paragraf, x.organ) == (b.paragraf, b.organ))
    fact = fb.add("omröstning", b, phrase or own[:300], persons=[], parties=[], details={
        "ja": counts.get("ja"), "nej": counts.get("nej"), "avstår": counts.get("avstår", 0),
        "frånvarande": counts.get("frånvarande"), "beslutar enligt": outcome,
        "begärd": bool(VOTE_REQUESTED.search(paragraf_text) or any(  # 'Omröstning begärs …' may stand as a heading
            p.number == b.paragraf and "Omröstning" in p.sections for p in doc.paragrafer)),
        "propositionsordning": _propositionsordning(doc, b), "voteringsproposition": proposition,
        "upprop": roll, "summa": summa or None})
    for t in tables:  # the roll-call table is a source of the record too
        fact.chunk_ids += [c for c in fb.chunk_ids(t.start, t.end) if c not in fact.chunk_ids]
