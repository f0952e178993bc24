"""How lists are written: a matter's way, the §§ of a kind or about a matter (with their earlier steps, the
records asked beside them, a sum), every record of a kind over meetings, several reports' parts, the members
on every list, one list at two meetings. Each line is cited where it stands; code counts."""
from __future__ import annotations

import re
from dataclasses import replace

from ..genre import (ITEMS, KIND_ONE, KIND_PLURAL, LAST_DECISION_ASKED, OUTCOMES, SAY, SUM_ASKED, date_in_words,
                     decided_as, party_name)
from ..normalize import fold
from ..records import COUNTED, Matter, Step, joined
from ..records import sentence as fact_sentence
from .evidence import kronor, values
from .from_records import for_parties, opening, part_item
from .reply import Reply
from .sources import Found, Part, Turn

MOST_SAID = 3  # a matter's step: its reservationer, särskilda yttranden and votes told under it
SAID_CHARS = 240  # … each cut to its opening
DECISION_SHOWN = 300  # characters of a listed § 's decision
DECISION_WHOLE = 1200  # … and of a matter's latest decision, when the question asks for it


def matter_way(turn: Turn, matter: Matter) -> Reply:
    """A matter's steps in date order, each with what was decided, cited where it stands."""
    num = {p.chunk_id: p.n for p in turn.passages}
    lines = [SAY["matter_steps"].format(name=matter.name, title=matter.title, n=len(matter.steps))]
    whole = _last_decision(turn, matter)
    for s in matter.steps[:turn.shown]:
        decision = whole if whole and s is matter.steps[-1] else s.decision
        decided = (f": {decision}" if decision else "") + (
            SAY["matter_named"].format(where=s.mentioned_in) if s.mentioned_in else "")
        cite = f" [{num[s.chunk_id]}]" if s.chunk_id in num else ""
        when = date_in_words(s.date) if re.fullmatch(r"\d{4}-\d\d-\d\d", s.date or "") else s.date or ""
        lines.append("- " + SAY["matter_step"].format(date=when, organ=s.organ, paragraf=s.paragraf,
                                                      decision=decided) + cite)
        lines += [f"  - {opening(said, SAID_CHARS)}" + (f" [{num[c]}]" if c in num else "")
                  for _, said, c in s.said[:MOST_SAID]]
    if len(matter.steps) > turn.shown:
        lines.append(SAY["listed_rest"].format(n=len(matter.steps) - turn.shown))
    told = [c for s in matter.steps[:turn.shown] for c in [s.chunk_id] + [c for *_, c in s.said[:MOST_SAID]]]
    cited = sorted({num[c] for c in told if c in num})
    return Reply("\n".join(lines), False, cited, route="matter")


def items_listed(turn: Turn, items: list[Step]) -> Reply:
    """The §§ of a kind of item in scope with what was decided: those with the outcome asked for, or, when
    none has it, all of them under a lead that says so (the list is complete, so its silence is evidence)."""
    q = turn.q
    if q.item is None:  # §§ about the question's matter (and their sum, when asked: 'hur mycket … sammanlagt')
        listed = _listed_steps(turn, items, SAY["items_about"].format(n=len(items)))
        total = _sum_of(items) if SUM_ASKED.search(fold(q.text)) and len(items) <= turn.shown else None
        return replace(listed, text=f"{listed.text}\n{total}") if total else listed
    kind = ITEMS[q.item]
    shown = [s for s in items if not q.outcome or decided_as(s.decision, q.outcome, s.organ)]
    outcome = OUTCOMES[q.outcome].noun if q.outcome else ""
    if q.outcome and not shown:
        shown = items
        lead = (SAY["items_none_one"].format(item=kind.one, outcome=outcome) if len(items) == 1
                else SAY["items_none"].format(n=len(items), items=kind.the_many, outcome=outcome))
    else:
        name = kind.one if len(shown) == 1 else kind.many
        lead = (SAY["items_with"].format(n=len(shown), items=name, outcome=outcome) if q.outcome
                else SAY["items_listed"].format(n=len(shown), items=name))
    return _listed_steps(turn, shown, lead)


def records_listed(turn: Turn) -> Reply:
    """Every record of the kind in the question's scope: the total, then each in date order with its
    meeting and §, cited; a long list names the first `turn.shown` and how many more there are."""
    num = {p.chunk_id: p.n for p in turn.passages}
    facts = [for_parties(f, turn.q.parties) for f in turn.facts]
    kind = facts[0].kind
    kinds = KIND_ONE.get(kind, kind) if len(facts) == 1 else KIND_PLURAL.get(kind, kind)
    mixed = turn.acts and len({f.kind for f in facts}) > 1  # a party's doings: yrkanden, reservationer, votes
    lines = [SAY["party_acts"].format(party=party_name(turn.q.parties[0]), n=len(facts)) if mixed
             else SAY["listed"].format(n=len(facts), kinds=kinds)]
    for f in facts[:turn.shown]:
        item = SAY["listed_item"].format(date=f.date or "", organ=f.organ or "", paragraf=f.paragraf or "",
                                         title=f" {f.title}" if f.title else "", sentence=fact_sentence(f, placed=False))
        lines.append("- " + item + "".join(f" [{num[c]}]" for c in f.chunk_ids[:1] if c in num))
    if len(facts) > turn.shown:
        lines.append(SAY["listed_rest"].format(n=len(facts) - turn.shown))
    cited = sorted({num[c] for f in facts[:turn.shown] for c in f.chunk_ids[:1] if c in num})
    return Reply("\n".join(lines), False, cited, route="record")


def reports_listed(turn: Turn, reports: list[tuple[str, str, list[Part]]]) -> Reply:
    """Several named reports' parts of the kinds asked, a sentence each: 'Betänkande 2010/11:AU1 har 3
    reservationer: … Betänkande 2018/19:AU1 har 1 reservation: …'."""
    said = [report_has(turn, beteckning, kind, items) for beteckning, kind, items in reports]
    return Reply(" ".join(text for text, _ in said), False, sorted({n for _, c in said for n in c}), route="record")


def report_has(turn: Turn, beteckning: str, kind: str, items: list[Part]) -> tuple[str, list[int]]:
    """The sentence that lists and counts a report's parts of a kind (of the punkt and parties asked), cited."""
    q = turn.q
    num = {p.chunk_id: p.n for p in turn.passages}
    where = (SAY["under_punkt"].format(punkt=q.punkt) if q.punkt else "") + (
        SAY["with_parties"].format(parties=joined(list(q.parties))) if q.parties else "")
    if not items:
        return SAY["report_has_none"].format(beteckning=beteckning, noun=COUNTED[kind][1], where=where), []
    noun = COUNTED[kind][0 if len(items) == 1 else 1]
    listed = [part_item(kind, nummer, parties, "" if q.punkt else punkt) for nummer, parties, punkt, _ in items]
    listing = "; ".join(listed[:-1]) + SAY["and"] + listed[-1] if len(listed) > 1 else listed[0]
    cited = sorted({min(num[c] for c in chunks if c in num) for *_, chunks in items if set(chunks) & num.keys()})
    return (SAY["report_has"].format(beteckning=beteckning, n=len(items), noun=noun, where=where, listing=listing)
            + "".join(f" [{n}]" for n in cited)), cited


def members_in_all(turn: Turn, found: Found) -> Reply:
    """The members on every named report's member list, each list cited."""
    num = {p.chunk_id: p.n for p in turn.passages}
    reports = joined(list(turn.q.beteckningar))
    names = joined([f"{p['name']} ({p['party']})" if p.get("party") else p["name"] for p in found.in_all])
    key = "members_in_none" if not found.in_all else "member_in_all" if len(found.in_all) == 1 else "members_in_all"
    cited = sorted({num[c] for f in found.facts for c in f.chunk_ids[:1] if c in num})
    text = SAY[key].format(n=len(found.in_all), reports=reports, names=names) + "".join(f" [{n}]" for n in cited)
    return Reply(text, False, cited, route=found.route)


def _sum_of(steps: list[Step]) -> str:
    """The sum of the amounts of money the §§ decided, when each decision states exactly one; '' otherwise."""
    amounts = [[kronor(v) for v in values(s.decision, "amount")] for s in steps]
    if not amounts or any(len(a) != 1 or a[0] is None for a in amounts):
        return ""
    total = f"{round(sum(a[0] for a in amounts)):,}".replace(",", " ")
    return SAY["listed_sum"].format(amount=f"{total} kronor", n=len(steps))


def compared(turn: Turn, found: Found) -> Reply:
    """A list at two meetings: who only each meeting's list names, and how many both name, each list cited."""
    num = {p.chunk_id: p.n for p in turn.passages}
    only, both = found.compared
    lines, cited = [], set()
    for facts, names in only:
        first = facts[0]
        where = f"{first.organ} § {first.paragraf}" if first.paragraf else first.organ or ""
        marks = sorted({num[c] for f in facts for c in f.chunk_ids[:1] if c in num})
        cited |= set(marks)
        said = (SAY["compared_only"].format(date=first.date, where=where, names=joined(names)) if names
                else SAY["compared_none"].format(date=first.date, where=where))
        lines.append(said + "".join(f" [{n}]" for n in marks))
    lines.append(SAY["compared_both"].format(n=both))
    return Reply(" ".join(lines), False, sorted(cited), route=found.route)


def _last_decision(turn: Turn, matter: Matter) -> str:
    """The latest step's decision whole, when the question asks what it decided or proposed ('…, och vad
    föreslogs då?'): the text of the Beslut passage it cites; '' otherwise."""
    last = matter.steps[-1] if matter.steps else None
    if last is None or not last.chunk_id or not LAST_DECISION_ASKED.search(fold(turn.q.text)):
        return ""
    said = next((p.text for p in turn.passages if p.chunk_id == last.chunk_id), "")
    return opening(" ".join(said.split()), DECISION_WHOLE) if said else ""


def _listed_steps(turn: Turn, steps: list[Step], lead: str) -> Reply:
    """§§ listed under a lead, each with its meeting, title and decision, cited where it stands."""
    num = {p.chunk_id: p.n for p in turn.passages}
    lines = [lead]
    for s in steps[:turn.shown]:
        item = SAY["listed_item"].format(date=s.date or "", organ=s.organ or "", paragraf=s.paragraf,
                                         title=f" {s.title}" if s.title else "",
                                         sentence=opening(s.decision, DECISION_SHOWN))
        lines.append("- " + item + (f" [{num[s.chunk_id]}]" if s.chunk_id in num else ""))
        lines += [f"  - {fact_sentence(f, placed=False)}" + "".join(f" [{num[c]}]" for c in f.chunk_ids[:1] if c in num)
                  for f in turn.beside.get((s.doc, s.paragraf), [])]
        prior = turn.earlier.get((s.doc, s.paragraf), [])
        if prior:  # steps of its matter only this or a later § names
            lines.append("  - " + SAY["listed_earlier"].format(steps=", ".join(
                SAY["listed_step"].format(date=x.date or "", organ=x.organ or "", paragraf=x.paragraf)
                + (f" ({x.decision})" if x.decision else "") for x in prior)))
    if len(steps) > turn.shown:
        lines.append(SAY["listed_rest"].format(n=len(steps) - turn.shown))
    cited = sorted({num[s.chunk_id] for s in steps[:turn.shown] if s.chunk_id in num}
                   | {num[c] for s in steps[:turn.shown] for f in turn.beside.get((s.doc, s.paragraf), [])
                      for c in f.chunk_ids[:1] if c in num})
    return Reply("\n".join(lines), False, cited, route="record")
