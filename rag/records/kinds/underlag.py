"""A Beslutsunderlag list's items that note a reservation or a särskilt yttrande, and whose."""
from __future__ import annotations

import itertools
import re

from ...parsing import Block, ParsedDocument
from ..fact import SAYS, Kind, parties_in
from ..walk import At, Walk, place

KINDS = [Kind("beslutsunderlag")]


def in_block(fb: Walk, at: At) -> None:
    if at.section == "Beslutsunderlag" and (at.bi == 0 or place(at.prev) != place(at.block)):
        _add_underlag(fb, fb.doc, at.block)


def _add_underlag(fb: Walk, doc: ParsedDocument, b: Block) -> None:
    """A Beslutsunderlag list's items that note a reservation or a särskilt yttrande and whose."""
    # the list may run over several blocks (a PDF page break): read it whole
    group = [b] + list(itertools.takewhile(lambda x: place(x) == place(b), doc.blocks[doc.blocks.index(b) + 1:]))
    span = (group[0].start, group[-1].end)
    for item in _underlag_items("\n".join(x.norm for x in group)):
        notes = SAYS["underlag_note"].findall(item)
        if notes:
            holder = next((x for x in group if item.split(" ")[0] in x.norm), b)
            fb.add("beslutsunderlag", holder, item, persons=[], span=span if holder is b else None, details={
                "noter": [{"typ": n[0].lower().replace("sarskilt", "särskilt"),
                           "partier": parties_in(n[1], [])} for n in notes]})


def _underlag_items(norm: str) -> list[str]:
    items: list[str] = []
    for line in norm.splitlines():
        s = line.strip()
        if not s:
            continue
        if re.match(r"^(?:[•\-–e]\s+)", s) or not items:
            items.append(re.sub(r"^(?:[•\-–]|e)\s+", "", s))
        else:
            items[-1] += " " + s
    return items
