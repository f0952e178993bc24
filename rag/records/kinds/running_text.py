"""Records told in running text: protokollsanteckningar (headed or 'antecknar till protokollet'), 'deltar inte
i beslutet', jäv, återremiss, bordläggning, omedelbar justering, ajournering and acklamation."""
from __future__ import annotations

from ...genre import PARTY_WORD, RECORDS
from ..fact import Kind, parties_in
from ..walk import At, Walk

# told without the matter they are about ('Paragrafen förklaras omedelbart justerad.'): said with their §
KINDS = [Kind("protokollsanteckning"), *(Kind(name, placed=True) for name in (
    "deltar inte i beslutet", "återremiss", "bordläggning", "omedelbar justering", "ajournering", "acklamation"))]


def in_block(fb: Walk, at: At) -> None:
    if at.block.paragraf and at.in_body:  # the cover page's jäv is read as attendance
        _add_running_text_records(fb, at.block, at.section, at.sentences)


# Record kinds told in running text, beyond reservations and särskilda yttranden: what the genre.toml
# phrasing family is called, and the record kind it gives.
_RUNNING_TEXT_KINDS = [("ej_deltar", "deltar inte i beslutet"), ("jav", "jäv"), ("aterremiss", "återremiss"),
                       ("bordlaggning", "bordläggning"), ("omedelbar_justering", "omedelbar justering"),
                       ("ajournering", "ajournering"), ("acklamation", "acklamation")]


def _add_running_text_records(fb: Walk, b, section: str, sentences: list[str]) -> None:
    """Protokollsanteckningar (headed or 'antecknar till protokollet'), 'deltar inte i beslutet', jäv,
    återremiss, bordläggning, omedelbar justering and ajournering, in the sentences of a block."""
    for s in sentences:
        has_actor = bool(fb.people(s) or PARTY_WORD.search(s) or parties_in(s, []))
        if has_actor and (section.startswith("Protokollsanteckning") or RECORDS["protokollsanteckning"].search(s)):
            fb.add("protokollsanteckning", b, s)
        for family, kind in _RUNNING_TEXT_KINDS:
            if RECORDS[family].search(s) and (has_actor or kind not in {"deltar inte i beslutet", "jäv"}):
                if kind == "jäv" and section == "Jäv":
                    continue  # the § own Jäv section is recorded whole below
                fb.add(kind, b, s)
