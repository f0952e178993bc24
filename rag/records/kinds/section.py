"""Records that are a whole section of a §: Jäv, Beslut, Beslutet skickas till."""
from __future__ import annotations

from ...parsing import Block
from ..fact import Kind
from ..walk import At, Walk

KINDS = [Kind("jäv"), Kind("beslut"), Kind("skickas till")]


def in_block(fb: Walk, at: At) -> None:
    _add_section_records(fb, at.block, at.section)


def _add_section_records(fb: Walk, b: Block, section: str) -> None:
    """Records that are a whole section: Jäv, Beslut, Beslutet skickas till."""
    text = " ".join(b.norm.split())
    if section == "Jäv":
        fb.add("jäv", b, text)
    if section == "Beslut" and not b.bilaga and b.paragraf:
        fb.add("beslut", b, text, persons=[], parties=[])
    if section == "Beslutet skickas till":
        fb.add("skickas till", b, text, persons=[], parties=[], details={
            "mottagare": [ln.strip(" •-") for ln in b.norm.splitlines() if ln.strip()]})
