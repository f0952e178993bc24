"""A committee report's records: each reservation and särskilt yttrande with its signatories, each punkt of the
committee's proposal, who took part in the decision (and who abstained), when it was settled and who signed."""
from __future__ import annotations

import re

from ...genre import PHRASING, SAY
from ...parsing import ParsedDocument
from ..fact import Fact, Kind, names_of, party_list, sentences_of
from ..walk import Walk


def numbered(f: Fact) -> str:
    """A report's reservation or särskilt yttrande: numbered, with its heading and punkt."""
    d = f.details
    head = f"{SAY['report_reservation' if f.kind == 'reservation' else 'report_statement']} {d.get('nummer') or ''}".strip()
    about = ", ".join(x for x in (d["rubrik"], SAY["punkt"].format(punkt=d["punkt"]) if d.get("punkt") else "") if x)
    return SAY["report_part_given"].format(head=head, about=about, who=names_of(f.persons) or party_list(f.parties))


def _taking_part(f: Fact) -> str:
    return SAY["taking_part"].format(names=names_of(f.persons))


def _abstaining(f: Fact) -> str:
    by_reason: dict[str, list[dict]] = {}
    for p in f.persons:
        by_reason.setdefault(f.details.get("skäl", {}).get(p["name"], ""), []).append(p)
    return " ".join(SAY["abstained"].format(names=names_of(ps), reason=_reason(r)) for r, ps in by_reason.items())


def _reason(text: str) -> str:
    """'Avstår från ställningstagande under punkt 7.' -> ' under punkt 7'; '…, se särskilda yttranden' kept."""
    rest = re.sub(PHRASING["abstains"], "", text, flags=re.I).strip(" .,")
    return f" ({rest})" if rest.startswith("se ") else f" {rest}" if rest else ""


KINDS = [Kind("förslag", content=True), Kind("deltar i beslutet", _taking_part, members=True),
         Kind("avstår från ställningstagande", _abstaining, members=True), Kind("justering")]


def in_report(fb: Walk) -> None:
    _add_betankande_records(fb, fb.doc)


def _add_betankande_records(fb: Walk, doc: ParsedDocument) -> None:
    """A committee report's records: each reservation and särskilt yttrande with its signatories, each
    punkt of the committee's proposal, and who took part in the decision (and who abstained)."""
    bet, blocks = doc.betankande, doc.blocks
    assert bet is not None
    for y in bet.yttranden:
        head, end = blocks[y.first], blocks[min(y.first + 2, y.last)]
        names = ", ".join(f"{p['name']} ({p['party']})" for p in y.persons)
        fb.add(y.kind, head, f"{y.label}: {y.title}. " + (f"Av {names}." if names else ""),
               persons=y.persons, parties=y.parties, span=(head.start, end.end),
               details={"nummer": y.number, "punkt": y.punkt, "rubrik": y.title})
    for p in bet.punkter:
        head, end = blocks[p.first], blocks[max(p.first, p.last)]
        body = " ".join(" ".join(b.norm.split()) for b in blocks[p.first:p.last + 1])
        label = f"Punkt {p.number}" if p.number else "Förslaget"
        refs = ", ".join(f"reservation {r}" if r else "reservation" for r in p.reservationer)
        fb.add("förslag", head, f"{label}: {p.title.rstrip('.')}. Utskottet föreslår: {_opening_of(body, p.title)}" + (f" ({refs})" if refs else ""),
               persons=[], parties=[], span=(head.start, end.end),
               details={"punkt": p.number, "rubrik": p.title, "reservationer": p.reservationer})
    if bet.ledamoter:
        first, last = bet.justering
        anchor = blocks[first]
        members = [{"name": m.name, "party": m.party} for m in bet.ledamoter]
        fb.add("deltar i beslutet", anchor, "Följande ledamöter har deltagit i beslutet: " +
               ", ".join(f"{m['name']} ({m['party']})" for m in members) + ".",
               persons=members, span=(anchor.start, blocks[last].end))
        abstaining = [m for m in bet.ledamoter if m.abstains]
        if abstaining:
            fb.add("avstår från ställningstagande", anchor, " ".join(
                f"{m.name} ({m.party}): {m.abstains}" for m in abstaining),
                persons=[{"name": m.name, "party": m.party} for m in abstaining], span=(anchor.start, blocks[last].end),
                details={"skäl": {m.name: m.abstains for m in abstaining}})
    if bet.date:  # 'Stockholm den 30 november 2010': the day the committee settled the report
        first, last = bet.justering
        place = " ".join(blocks[first].norm.split()).rstrip(".")
        fb.add("justering", blocks[first], f"Betänkande {bet.beteckning} justerades: {place}.", persons=[], parties=[],
               span=(blocks[first].start, blocks[last].end), details={"datum": bet.date})
    if bet.signatory:
        first, last = bet.justering
        party = next((m.party for m in bet.ledamoter if m.name == bet.signatory), None)
        fb.add("roll", blocks[first], f"På utskottets vägnar: {bet.signatory}",
               persons=[{"name": bet.signatory, "party": party}], span=(blocks[first].start, blocks[last].end),
               details={"roll": "undertecknare"})


def _opening_of(body: str, title: str) -> str:
    """The proposal's first sentence after its title: 'Riksdagen avslår motion …'."""
    rest = body.split(title, 1)[-1].strip(" .")
    first = sentences_of(rest)[:1]
    return first[0] if first else ""
