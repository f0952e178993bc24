"""Yrkanden: who proposed what at the meeting (bifall, avslag, återremiss …), and who joined."""
from __future__ import annotations

from ...genre import PARTY_WORD, RECORDS, YRKANDE_KINDS
from ...parsing import Block
from ..fact import SAYS, Kind
from ..walk import At, Walk

KINDS = [Kind("yrkande")]


def in_block(fb: Walk, at: At) -> None:
    if at.section.startswith(("Förslag till beslut på sammanträdet", "Yrkanden", "Beslutsgång")):
        _add_yrkanden(fb, at.block, at.sentences)


def _add_yrkanden(fb: Walk, b: Block, sentences: list[str]) -> None:
    for s in sentences:
        if RECORDS["yrkande"].search(s) and (fb.people(s) or PARTY_WORD.search(s)):
            kind = next((k for pat, k in YRKANDE_KINDS if pat.search(s)), "yrkande")
            m = SAYS["yrkande_joined_by"].search(s)
            fb.add("yrkande", b, s, details={
                "typ": kind, "instämmande": fb.people(m.group(1)) if m else [],
                "till förmån för egna yrkanden": bool(SAYS["for_own_yrkanden"].search(s))})
