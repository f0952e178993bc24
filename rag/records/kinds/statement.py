"""Särskilda yttranden announced in a protocol ('avser lämna in ett särskilt yttrande, bilaga 13'), with what
their bilaga says (who joined, whether it arrived)."""
from __future__ import annotations

from ...genre import SAY
from ...parsing import Block, ParsedDocument
from ..fact import SAYS, Fact, Kind, names_of, party_list, people_in
from ..walk import At, Walk, bilaga_blocks
from .betankande import numbered


def sentence(f: Fact) -> str:
    d = f.details
    if "rubrik" in d:
        return numbered(f)
    s = SAY["statement_given"].format(parties=party_list(f.parties), bilaga=f" ({f.bilaga})" if f.bilaga else "",
                                      statement=SAY["joint_statement" if d.get("gemensamt") else "statement"],
                                      names=names_of(f.persons))
    if d.get("inkommit") is False:
        s += SAY["statement_not_arrived"]
    if d.get("instämmande"):
        s += SAY["statement_joined"].format(names=names_of(d["instämmande"]))
    return s


KINDS = [Kind("särskilt yttrande", sentence, counted=("särskilt yttrande", "särskilda yttranden"))]


def in_block(fb: Walk, at: At) -> None:
    if at.in_body:
        _add_statements(fb, fb.doc, at.block, at.sentences)


def _add_statements(fb: Walk, doc: ParsedDocument, b: Block, sentences: list[str]) -> None:
    """Särskilda yttranden announced in the protocol ('avser lämna in ett särskilt yttrande, bilaga 13'),
    with what their bilaga says (who joined, whether it arrived)."""
    for si, s in enumerate(sentences):
        if not (SAYS["statement"].search(s) and people_in(s) and not SAYS["reservation_word"].search(s)):
            continue
        # "… inkommit med ett särskilt yttrande. Det särskilda yttrandet intas som bilaga 12 …"
        bil = SAYS["bilaga_ref"].search(s) or SAYS["bilaga_ref"].search(" ".join(sentences[si + 1:si + 2]))
        bilaga = f"Bilaga {bil.group(1)}" if bil else None
        details = {"gemensamt": bool(SAYS["joint"].search(s)), "bilaga": bilaga}
        span_blocks = [b]
        if bilaga:
            attached = bilaga_blocks(doc, b.paragraf, bilaga)
            body = " ".join(" ".join(x.norm.split()) for x in attached)
            details["inkommit"] = None if not attached else not bool(SAYS["not_arrived"].search(body))
            m = SAYS["statement_joined_by"].search(body)
            if m:
                details["instämmande"] = people_in(m.group(1))
            span_blocks += attached
        fact = fb.add("särskilt yttrande", b, s, details=details, bilaga=bilaga)
        for x in span_blocks[1:]:
            fact.chunk_ids += [c for c in fb.chunk_ids(x.start, x.end) if c not in fact.chunk_ids]
