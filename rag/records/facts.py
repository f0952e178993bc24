"""Decision facts: structured records extracted from parsed documents, each linked to its source chunks.

Who filed a särskilt yttrande or a reservation, who voted how, who was jävig or
justerare: questions like these must be answered completely and exactly, so
code reads them from the document's structure instead of leaving a small LLM
to read them from loose passages. Rules follow the genre, not one file.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field

from ..parsing import Chunk, locator
from ..genre import (
    PARTY_ABBR, PARTY_GROUP, PARTY_LIST, PARTY_WORD, PERSON, PROPOSITIONSORDNING, RECORD_DETAILS, RECORDS, VOTE_OUTCOME,
    VOTE_PROPOSITION, VOTE_REQUESTED, YRKANDE_KINDS,
    party_of_word,
)
from ..parsing import Block, ParsedDocument
from ..parsing import every_count_in_text, flat_roll_call, is_roll_call_header, roll_call_table, roll_call_in_text, tally

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9−–-])")
_SAYS = RECORD_DETAILS


@dataclass
class Fact:
    kind: str  # sammanträde | särskilt yttrande | reservation | protokollsanteckning | yrkande | omröstning | jäv | roll | ersättare | deltar inte i beslutet | återremiss | bordläggning | omedelbar justering | ajournering | beslut | beslutsunderlag | skickas till
    doc: str
    organ: str | None
    date: str | None
    paragraf: str | None
    title: str | None
    bilaga: str | None
    locator: str
    text: str  # the sentence(s) the record comes from, as in the document (normalised)
    persons: list[dict] = field(default_factory=list)  # {"name", "party"}
    parties: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    chunk_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _people(text: str, members: dict[str, str | None] | None = None) -> list[dict]:
    """'Name (P)' mentions; with the document's members, also their names written without a party
    ('Johan Tolinsson yrkar …'), in the order they stand."""
    flat = " ".join(text.split())
    found: list[tuple[int, dict]] = []
    for m in PERSON.finditer(flat):
        name = _SAYS["title_before_name"].sub("", m.group(1))
        name = re.sub(r"^(\w+) \1\b", r"\1", name)  # "Fredrik Fredrik Hansson": a two-column line wrap
        if " " in name:
            found.append((m.start(), {"name": name, "party": m.group(2)}))
    for name, party in (members or {}).items():
        for m in re.finditer(rf"\b{re.escape(name)}\b(?!s?\s*\()", flat):
            found.append((m.start(), {"name": name, "party": party}))
    out: list[dict] = []
    for _, person in sorted(found, key=lambda x: x[0]):
        if person["name"] not in {p["name"] for p in out}:
            out.append(person)
    return out


def _parties(text: str, people: list[dict]) -> list[str]:
    """Parties a sentence names: members' parties, party names, '(SD)', '(M+C)', 'KD och M reserverar sig'."""
    found = [p["party"] for p in people]
    found += [party_of_word(m.group(1)) for m in PARTY_WORD.finditer(text)]
    found += re.findall(rf"\(({PARTY_ABBR})\)", text)
    found += [p for group in PARTY_GROUP.findall(text) for p in re.split(r"\s*[+/,]\s*", group)]
    for m in PARTY_LIST.finditer(text):
        found += [m.group(1), *re.findall(PARTY_ABBR, m.group(2)), m.group(3)]  # m.group(3) None: one party
    return [p for p in dict.fromkeys(found) if p]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


class _Builder:
    def __init__(self, doc: ParsedDocument, chunks: list[Chunk]) -> None:
        self.doc = doc
        self.chunks = chunks
        self.facts: list[Fact] = []
        att = doc.attendance
        self.members = {p.name: p.party for p in att.beslutande + att.ersattare}

    def people(self, text: str) -> list[dict]:
        return _people(text, self.members)

    def chunk_ids(self, start: int, end: int) -> list[str]:
        return [c.id for c in self.chunks if c.start < end and c.end > start]

    def add(self, kind: str, block, text: str, persons=None, parties=None, details=None, bilaga=None,
            span: tuple[int, int] | None = None) -> Fact:
        persons = persons if persons is not None else self.people(text)
        start, end = span or (block.start, block.end)
        fact = Fact(
            kind=kind, doc=self.doc.doc_id, organ=block.organ, date=block.date, paragraf=block.paragraf,
            title=block.title, bilaga=bilaga if bilaga is not None else block.bilaga,
            locator=locator(self.doc.doc_id, block.organ, block.date, block.paragraf, bilaga or block.bilaga,
                            block.part, block.section, block.page_start, block.page_end, block.beteckning),
            text=text, persons=persons, parties=parties if parties is not None else _parties(text, persons),
            details=details or {}, chunk_ids=self.chunk_ids(start, end),
        )
        self.facts.append(fact)
        return fact


def _bilaga_blocks(doc: ParsedDocument, paragraf: str | None, bilaga: str) -> list:
    return [b for b in doc.blocks if b.bilaga == bilaga and (paragraf is None or b.paragraf == paragraf)]


def extract(doc: ParsedDocument, chunks: list[Chunk]) -> list[Fact]:
    """All decision facts of one parsed document."""
    fb = _Builder(doc, chunks)
    if doc.betankande is not None:
        _add_betankande_records(fb, doc)
        return _dedupe(fb.facts)
    prev_block = None
    for bi, b in enumerate(doc.blocks):
        section = b.section or ""
        sentences = _block_sentences(doc, bi)
        in_body = not b.bilaga and not section.startswith("Beslutsunderlag")
        if in_body:
            _add_statements(fb, doc, b, sentences)
            _add_reservations(fb, b, sentences)
        if b.paragraf and in_body:
            _add_running_text_records(fb, b, section, sentences)  # the cover page's jäv is read as attendance
        if section.startswith(("Förslag till beslut på sammanträdet", "Yrkanden", "Beslutsgång")):
            _add_yrkanden(fb, b, sentences)
        _add_vote(fb, doc, bi, b)
        _add_section_records(fb, b, section)
        if section == "Beslutsunderlag" and (b is doc.blocks[0] or _place(prev_block) != _place(b)):
            _add_underlag(fb, doc, b)
        prev_block = b
    _add_attendance_records(fb, doc, chunks)
    return _dedupe(fb.facts)


def _add_statements(fb: _Builder, doc: ParsedDocument, b: Block, sentences: list[str]) -> None:
    """Särskilda yttranden announced in the protocol ('avser lämna in ett särskilt yttrande, bilaga 13'),
    with what their bilaga says (who joined, whether it arrived)."""
    for si, s in enumerate(sentences):
        if not (_SAYS["statement"].search(s) and _people(s) and not _SAYS["reservation_word"].search(s)):
            continue
        # "… inkommit med ett särskilt yttrande. Det särskilda yttrandet intas som bilaga 12 …"
        bil = _SAYS["bilaga_ref"].search(s) or _SAYS["bilaga_ref"].search(" ".join(sentences[si + 1:si + 2]))
        bilaga = f"Bilaga {bil.group(1)}" if bil else None
        details = {"gemensamt": bool(_SAYS["joint"].search(s)), "bilaga": bilaga}
        span_blocks = [b]
        if bilaga:
            attached = _bilaga_blocks(doc, b.paragraf, bilaga)
            body = " ".join(" ".join(x.norm.split()) for x in attached)
            details["inkommit"] = None if not attached else not bool(_SAYS["not_arrived"].search(body))
            m = _SAYS["statement_joined_by"].search(body)
            if m:
                details["instämmande"] = _people(m.group(1))
            span_blocks += attached
        fact = fb.add("särskilt yttrande", b, s, details=details, bilaga=bilaga)
        for x in span_blocks[1:]:
            fact.chunk_ids += [c for c in fb.chunk_ids(x.start, x.end) if c not in fact.chunk_ids]


def _add_reservations(fb: _Builder, b: Block, sentences: list[str]) -> None:
    """A sentence saying someone 'reserverar sig', with what against and in favour of what."""
    for s in sentences:
        if RECORDS["reservation"].search(s):
            against = _SAYS["reserved_against"].search(s)
            favour = _SAYS["reserved_for"].search(s)
            fb.add("reservation", b, s, details={
                "mot": against.group(1) if against else None,
                "till förmån för": favour.group(1).strip() if favour else None})


def _add_yrkanden(fb: _Builder, b: Block, sentences: list[str]) -> None:
    for s in sentences:
        if RECORDS["yrkande"].search(s) and (fb.people(s) or PARTY_WORD.search(s)):
            kind = next((k for pat, k in YRKANDE_KINDS if pat.search(s)), "yrkande")
            m = _SAYS["yrkande_joined_by"].search(s)
            fb.add("yrkande", b, s, details={
                "typ": kind, "instämmande": fb.people(m.group(1)) if m else [],
                "till förmån för egna yrkanden": bool(_SAYS["for_own_yrkanden"].search(s))})


def _add_section_records(fb: _Builder, b: Block, section: str) -> None:
    """Records that are a whole section: Jäv, Beslut, Beslutet skickas till."""
    text = " ".join(b.norm.split())
    if section == "Jäv":
        fb.add("jäv", b, text)
    if section == "Beslut" and not b.bilaga and b.paragraf:
        fb.add("beslut", b, text, persons=[], parties=[])
    if section == "Beslutet skickas till":
        fb.add("skickas till", b, text, persons=[], parties=[], details={
            "mottagare": [ln.strip(" •-") for ln in b.norm.splitlines() if ln.strip()]})


def _add_underlag(fb: _Builder, doc: ParsedDocument, b: Block) -> None:
    """A Beslutsunderlag list's items that note a reservation or a särskilt yttrande and whose."""
    # the list may run over several blocks (a PDF page break): read it whole
    group = [b] + list(itertools.takewhile(lambda x: _place(x) == _place(b), doc.blocks[doc.blocks.index(b) + 1:]))
    span = (group[0].start, group[-1].end)
    for item in _underlag_items("\n".join(x.norm for x in group)):
        notes = _SAYS["underlag_note"].findall(item)
        if notes:
            holder = next((x for x in group if item.split(" ")[0] in x.norm), b)
            fb.add("beslutsunderlag", holder, item, persons=[], span=span if holder is b else None, details={
                "noter": [{"typ": n[0].lower().replace("sarskilt", "särskilt"),
                           "partier": _parties(n[1], [])} for n in notes]})


def _add_attendance_records(fb: _Builder, doc: ParsedDocument, chunks: list[Chunk]) -> None:
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
                          persons=_people(name) or [{"name": name, "party": None}],
                          details={"roll": role, "paragrafer": part}, span=span)
            plain = name.split(" (")[0]  # the chunk naming the person in that role, not the whole attendance
            exact = [c for c in naming(plain) if role.split()[-1][:5] in by_id[c].norm.lower()]
            fact.chunk_ids = exact or naming(plain) or fact.chunk_ids
    recorded = {(p["name"], f.paragraf) for f in fb.facts if f.kind == "jäv" for p in f.persons}
    for who, para in att.jav:
        person = _people(who)
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


def _add_betankande_records(fb: _Builder, doc: ParsedDocument) -> None:
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
    first = _sentences(rest)[:1]
    return first[0] if first else ""


# Record kinds told in running text, beyond reservations and särskilda yttranden: what the genre.toml
# phrasing family is called, and the record kind it gives.
_RUNNING_TEXT_KINDS = [("ej_deltar", "deltar inte i beslutet"), ("jav", "jäv"), ("aterremiss", "återremiss"),
                       ("bordlaggning", "bordläggning"), ("omedelbar_justering", "omedelbar justering"),
                       ("ajournering", "ajournering"), ("acklamation", "acklamation")]


def _add_running_text_records(fb: _Builder, b, section: str, sentences: list[str]) -> None:
    """Protokollsanteckningar (headed or 'antecknar till protokollet'), 'deltar inte i beslutet', jäv,
    återremiss, bordläggning, omedelbar justering and ajournering, in the sentences of a block."""
    for s in sentences:
        has_actor = bool(fb.people(s) or PARTY_WORD.search(s) or _parties(s, []))
        if has_actor and (section.startswith("Protokollsanteckning") or RECORDS["protokollsanteckning"].search(s)):
            fb.add("protokollsanteckning", b, s)
        for family, kind in _RUNNING_TEXT_KINDS:
            if RECORDS[family].search(s) and (has_actor or kind not in {"deltar inte i beslutet", "jäv"}):
                if kind == "jäv" and section == "Jäv":
                    continue  # the § own Jäv section is recorded whole below
                fb.add(kind, b, s)


def _place(b) -> tuple | None:
    return (b.paragraf, b.organ, b.part, b.bilaga, b.section) if b is not None else None


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


def _proposition(text: str) -> dict[str, str] | None:
    """What a Ja and a Nej stood for in the vote the text reports last ('Ja för ärendets avgörande idag')."""
    found = [m for p in VOTE_PROPOSITION for m in p.finditer(" ".join(text.split()))]
    return {"ja": found[-1].group("ja").strip(), "nej": found[-1].group("nej").strip()} if found else None


def _propositionsordning(doc: ParsedDocument, vote_block) -> list[str]:
    """How the chair put the proposals: 'Ja-röst innebär …', 'Den som bifaller … röstar ja', huvudförslag."""
    lines: list[str] = []
    for b in doc.blocks:
        if b.paragraf == vote_block.paragraf and b.organ == vote_block.organ and b.start <= vote_block.start:
            flat = " ".join(b.norm.split())
            for m in re.finditer(r"((?:Ja|Nej)-\s?röst innebär.*?)(?=\s[−–-]\s|\s(?:och\s)?(?:Ja|Nej)-\s?röst|\.\s+[A-ZÅÄÖ]|\.?$)", flat):
                lines.append(m.group(1).replace("- röst", "-röst").strip().rstrip("."))
            lines += [s for s in _sentences(b.norm) if PROPOSITIONSORDNING.search(s) and not _SAYS["vote_meaning"].search(s)]
    return list(dict.fromkeys(lines))


def _roll_call(doc: ParsedDocument, vote_block) -> tuple[list[dict], dict[str, int], list]:
    """The roll-call table of the same §: its rows {name, party, röst}, its Summa row, and its blocks."""
    rows: list[dict] = []
    summa: dict[str, int] = {}
    tables = []
    for b in doc.blocks:
        if not (b.table and b.paragraf == vote_block.paragraf and b.organ == vote_block.organ):
            continue
        first = next((ln for ln in b.norm.splitlines() if ln.strip().startswith("|")), "")
        if not is_roll_call_header(first):
            continue
        found, total = roll_call_table(b.norm)
        if found or total:
            rows += found
            summa = summa or total
            tables.append(b)
    return rows, summa, tables


def _block_sentences(doc: ParsedDocument, bi: int) -> list[str]:
    """A block's sentences; the last one completed from the next block when a page break cut it, the first
    one led by the previous block's line that ends in a colon (a layout may set them apart)."""
    b = doc.blocks[bi]
    sentences = _sentences(b.norm)
    prev = doc.blocks[bi - 1] if bi > 0 else None
    if sentences and prev is not None and _place(prev) == _place(b):
        before = _sentences(prev.norm)
        if before and before[-1].endswith(":") and not any(p.search(before[-1]) for p in RECORDS.values()):
            sentences[0] = f"{before[-1]} {sentences[0]}"  # 'På förslag av Karin Pleijel (MP):' ⏎ 'Ärendet bordläggs …
    nxt = doc.blocks[bi + 1] if bi + 1 < len(doc.blocks) else None
    if sentences:
        sentences[-1] = _BULLETS_AT_END.sub("", sentences[-1])  # 'följande paragrafer: • •': the items come next
    if sentences and nxt is not None and _place(nxt) == _place(b) and sentences[-1].endswith(":"):
        sentences[-1] += " " + _excerpt_of(nxt.norm)  # '… anmäler jäv under följande paragrafer:' ⏎ the list
    elif sentences and nxt is not None and _place(nxt) == _place(b) and not sentences[-1].endswith((".", "!", "?", ":", "”", '"')):
        following = _sentences(nxt.norm)
        if following and following[0][:1].islower():
            sentences[-1] += " " + following[0]
    return sentences


_BULLETS_AT_END = re.compile(r"(?<=:)(?:\s*[•\uf0b7*–-])+\s*$")
_LIST_CHARS = 300  # of a list that a line ending in a colon announces


def _excerpt_of(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _LIST_CHARS else flat[:flat.rfind(" ", 0, _LIST_CHARS)] + " …"


def _run_on(doc: ParsedDocument, bi: int) -> str:
    """A block's text, continued into the next block of the same place when its sentence runs on."""
    b = doc.blocks[bi]
    text = " ".join(b.norm.split())
    nxt = doc.blocks[bi + 1] if bi + 1 < len(doc.blocks) else None
    if nxt is not None and not text.endswith((".", "!", "?", ":")) and _place(nxt) == _place(b):
        text += " " + " ".join(nxt.norm.split())
    return text


def _add_vote(fb: _Builder, doc: ParsedDocument, bi: int, b) -> None:
    """An omröstning record for each vote a block reports: counts in the text, a flattened roll call or a
    tally of names."""
    own = " ".join(b.norm.split())
    text = _run_on(doc, bi)
    found = [f for f in every_count_in_text(text) if f[1][:15] in own]  # else the next block records it
    flat, after = " ".join(text.split()), 0
    for counts, phrase in found or [((flat_roll_call(own) or tally(b.norm)), None)]:
        at = flat.find(phrase, after) if phrase else -1
        told = flat[after: at + len(phrase)] if at >= 0 else phrase  # the names voting stand before the counts
        after = at + len(phrase) if at >= 0 else after
        if counts:
            _add_one_vote(fb, doc, b, text, counts, phrase, told)


def _add_one_vote(fb: _Builder, doc: ParsedDocument, b, text: str, counts: dict[str, int], phrase: str | None,
                  told: str | None) -> None:
    own = " ".join(b.norm.split())
    roll, summa, tables = _roll_call(doc, b)
    roll = roll or (roll_call_in_text(told) if told else [])
    proposition = _proposition(told or text)
    # the proposition says what Ja and Nej meant, not who won ('Ja för bifall till …')
    plain = text
    for p in VOTE_PROPOSITION if proposition else ():
        plain = p.sub(" ", plain)
    outcome = next((m.group(1).strip() for p in VOTE_OUTCOME for m in [p.search(plain)] if m), None)
    if outcome is None and proposition and counts.get("ja") != counts.get("nej"):
        won = proposition["ja" if (counts.get("ja") or 0) > (counts.get("nej") or 0) else "nej"]
        outcome = next((m.group(1).strip() for p in VOTE_OUTCOME for m in [p.match(won)] if m), None)  # 'bifall till X'
    same = [f for f in fb.facts if f.kind == "omröstning" and (f.paragraf, f.organ) == (b.paragraf, b.organ)
            and (f.details.get("ja"), f.details.get("nej")) == (counts.get("ja"), counts.get("nej"))
            and None in (proposition, f.details.get("voteringsproposition"))]  # two propositions: two votes
    if same:  # the same vote told twice (a table's Summa row and the sentence after it)
        same[0].details["beslutar enligt"] = same[0].details.get("beslutar enligt") or outcome
        for key in ("avstår", "frånvarande"):
            if counts.get(key) and not same[0].details.get(key):
                same[0].details[key] = counts[key]
        return
    paragraf_text = " ".join(" ".join(x.norm.split()) for x in doc.blocks if (x.paragraf, x.organ) == (b.paragraf, b.organ))
    fact = fb.add("omröstning", b, phrase or own[:300], persons=[], parties=[], details={
        "ja": counts.get("ja"), "nej": counts.get("nej"), "avstår": counts.get("avstår", 0),
        "frånvarande": counts.get("frånvarande"), "beslutar enligt": outcome,
        "begärd": bool(VOTE_REQUESTED.search(paragraf_text) or any(  # 'Omröstning begärs …' may stand as a heading
            p.number == b.paragraf and "Omröstning" in p.sections for p in doc.paragrafer)),
        "propositionsordning": _propositionsordning(doc, b), "voteringsproposition": proposition,
        "upprop": roll, "summa": summa or None})
    for t in tables:  # the roll-call table is a source of the record too
        fact.chunk_ids += [c for c in fb.chunk_ids(t.start, t.end) if c not in fact.chunk_ids]


def _dedupe(facts: list[Fact]) -> list[Fact]:
    """One record per statement: the same people's särskilt yttrande mentioned twice in a § is merged."""
    out: list[Fact] = []
    by_key: dict[tuple, Fact] = {}
    for f in facts:
        people = tuple(p["name"] for p in f.persons)
        said = people if f.kind == "särskilt yttrande" and people else f.text
        # two votes of a § may end alike ('41 Ja mot 38 Nej'): what was put to the vote tells them apart
        key = (f.kind, f.doc, f.paragraf, f.organ, said, str(f.details.get("voteringsproposition") or ""))
        first = by_key.get(key)
        if first is None:
            by_key[key] = f
            out.append(f)
            continue
        if f.kind == "särskilt yttrande":
            first.bilaga = first.bilaga or f.bilaga
            first.details["bilaga"] = first.details.get("bilaga") or f.details.get("bilaga")
            first.details["gemensamt"] = first.details.get("gemensamt") or f.details.get("gemensamt")
            first.text = f"{first.text} {f.text}"
            first.chunk_ids += [c for c in f.chunk_ids if c not in first.chunk_ids]
    return out
