"""The record kinds, a module each: what a kind reads from a document, the sentence that states a record of it,
and how questions use it (fact.Kind). Adding a kind is a module here, its words in genre.toml ([records] and
[record_details] for reading it, [sentences] for stating it), a line below and a test (tests/test_kinds.py)."""
from __future__ import annotations

from ...genre import SAY
from ..fact import Fact, Kind
from . import attendance, betankande, reservation, running_text, section, statement, underlag, vote, yrkande

# the rules in the order they read a block of a protocol: its records come out in this order
BLOCK_RULES = [statement.in_block, reservation.in_block, running_text.in_block, yrkande.in_block, vote.in_block,
               section.in_block, underlag.in_block]
DOCUMENT_RULES = [attendance.in_document]  # after every block: the cover page's records
REPORT_RULES = [betankande.in_report]  # a committee report is read by these alone

KINDS: dict[str, Kind] = {k.name: k for m in (statement, reservation, running_text, yrkande, vote, section, underlag,
                                              attendance, betankande) for k in m.KINDS}
COUNTED = {k.name: k.counted for k in KINDS.values() if k.counted}
MEMBER_LISTS = {k.name for k in KINDS.values() if k.members}
CONTENT_RECORDS = {k.name for k in KINDS.values() if k.content}


def sentence(f: Fact, placed: bool = True) -> str:
    """One plain Swedish sentence stating a record exactly; the LLM may rephrase it, never change it. `placed`
    False: its § is told beside it (a list), not in it."""
    kind = KINDS.get(f.kind)
    if kind is not None and kind.sentence is not None:
        return kind.sentence(f)
    text = f.text if f.text.endswith((".", "”", "\"", "!", "?")) else f.text + "."
    if placed and kind is not None and kind.placed and f.paragraf:  # 'Paragrafen förklaras omedelbart justerad.' needs its §
        return SAY["placed"].format(paragraf=f.paragraf, title=f" {f.title}" if f.title else "", text=text)
    return text
