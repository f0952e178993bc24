"""Records of the cover page: roles (ordförande, justerare, sekreterare …), jäv, where the meeting was held and
who served in whose seat, each citing the cover chunk that names the person."""
from __future__ import annotations

from ...genre import SAY
from ...parsing import Chunk, ParsedDocument
from ..fact import Fact, Kind, names_of, people_in
from ..walk import Walk


def sentence(f: Fact) -> str:
    d = f.details
    if d.get("roll") == "undertecknare":  # a committee report's
        return SAY["signed_for_committee"].format(names=names_of(f.persons))
    part = SAY["role_part"].format(paragrafer=d["paragrafer"]) if d.get("paragrafer") else ""
    return SAY["role_was"].format(role=d.get("roll", "").capitalize(), names=names_of(f.persons), part=part)


KINDS = [Kind("roll", sentence), Kind("ersättare"), Kind("sammanträde")]


def in_document(fb: Walk) -> None:
    _add_attendance_records(fb, fb.doc, fb.chunks)


def _add_attendance_records(fb: Walk, doc: ParsedDocument, chunks: list[Chunk]) -> None:
    """Roles, jäv and substitutions from the cover page, each citing the cover chunk that names the person."""
    att = doc.attendance
    first = next((b for b in doc.blocks if b.section in {"Beslutande", "Underskrifter", "Justering"}), None)
    anchor = first or (doc.blocks[0] if doc.blocks else None)
    if anchor is None:
        return
    role_blocks = [b for b in doc.blocks if b.section in {"Beslutande", "Underskrifter", "Justering", "Övriga närvarande", "Ersättare"}]
    span = (min(b.start for b in role_blocks), max(b.end for b in role_blocks)) if role_blocks else None
    by_id = {c.id: c for c in chunks}
    first_para = next((b.start for b in doc.blocks if b.paragraf), None)
    cover = [c.id for c in chunks if first_para is None or c.start < first_para] + (fb.chunk_ids(*span) if span else [])

    def naming(*names: str) -> list[str]:
        """The cover chunks that name all of these, in order."""
        return list(dict.fromkeys(c for c in cover if all(n in by_id[c].norm for n in names)))

    for role, names in (("ordförande", att.ordforande), ("vice ordförande", att.vice_ordforande),
                        ("justerare", att.justerare), ("sekreterare", att.sekreterare)):
        for name in names:
            part = att.role_paragrafer.get(name)  # 'Karin Hannus (KD) §§ 85-88': justerare of part of the §§
            fact = fb.add("roll", anchor, f"{role.capitalize()}: {name}" + (f" ({part})" if part else ""),
                          persons=people_in(name) or [{"name": name, "party": None}],
                          details={"roll": role, "paragrafer": part}, span=span)
            plain = name.split(" (")[0]  # the chunk naming the person in that role, not the whole attendance
            exact = [c for c in naming(plain) if role.split()[-1][:5] in by_id[c].norm.lower()]
            fact.chunk_ids = exact or naming(plain) or fact.chunk_ids
    recorded = {(p["name"], f.paragraf) for f in fb.facts if f.kind == "jäv" for p in f.persons}
    for who, para in att.jav:
        person = people_in(who)
        if person and (person[0]["name"], para) in recorded:
            continue  # already recorded from the § own Jäv section
        recorded |= {(p["name"], para) for p in person}
        fb.add("jäv", anchor, f"{who} deltar inte i § {para} på grund av jäv", details={"paragraf": para}, span=span)
    if att.plats:  # "Plats och tid: Digitalt via Teams, kl. 13.00–14.10"
        where = ", ".join(att.plats)
        fact = fb.add("sammanträde", anchor, f"Sammanträdet hölls: {where}", details={"plats": where}, span=span)
        fact.chunk_ids = naming(att.plats[0]) or fact.chunk_ids
    for p in att.beslutande:  # "X (P) tjänstgör för Y": who served in whose seat
        if p.ersatter:
            when = f" ({p.paragrafer})" if p.paragrafer else ""
            absent = f"{p.ersatter} ({p.ersatter_parti})" if p.ersatter_parti else p.ersatter
            fact = fb.add("ersättare", anchor, f"{p.name} ({p.party}) tjänstgjorde för {absent}{when}.",
                          persons=[{"name": p.name, "party": p.party}],
                          parties=[x for x in dict.fromkeys([p.party, p.ersatter_parti]) if x],
                          details={"ersätter": p.ersatter, "paragrafer": p.paragrafer}, span=span)
            fact.chunk_ids = naming(p.ersatter, p.name) or naming(p.ersatter) or fact.chunk_ids
