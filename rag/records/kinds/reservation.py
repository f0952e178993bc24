"""Reservationer: a sentence saying someone 'reserverar sig', with what against and in favour of what."""
from __future__ import annotations

from ...genre import RECORDS, SAY
from ...parsing import Block
from ..fact import SAYS, Fact, Kind, names_of, party_list
from ..walk import At, Walk
from .betankande import numbered


def sentence(f: Fact) -> str:
    d = f.details
    if "rubrik" in d:
        return numbered(f)
    s = SAY["reserved"].format(who=names_of(f.persons) or party_list(f.parties))
    s += SAY["reserved_against"].format(against=d["mot"]) if d.get("mot") else ""
    s += SAY["reserved_for"].format(favour=d["till förmån för"]) if d.get("till förmån för") else ""
    return s + "."


KINDS = [Kind("reservation", sentence, counted=("reservation", "reservationer"))]


def in_block(fb: Walk, at: At) -> None:
    if at.in_body:
        _add_reservations(fb, at.block, at.sentences)


def _add_reservations(fb: Walk, b: Block, sentences: list[str]) -> None:
    """A sentence saying someone 'reserverar sig', with what against and in favour of what."""
    for s in sentences:
        if RECORDS["reservation"].search(s):
            against = SAYS["reserved_against"].search(s)
            favour = SAYS["reserved_for"].search(s)
            fb.add("reservation", b, s, details={
                "mot": against.group(1) if against else None,
                "till förmån för": favour.group(1).strip() if favour else None})
