"""The genre, not the sample files: protocols from bodies the parser was not first built on.

Expected values are read from the documents themselves (cover pages, vote
sentences, roll-call tables); each test names where in the document it looks.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CORPUS
from rag.parsing.chunk import chunk_document
from rag.records.coverage import check, check_paths
from rag.records import extract
from rag.genre import organ_in, party_name, party_of_word
from rag.reading.read import SourceText
from rag.parsing.structure import parse

J2016 = "jonkoping/barn-och-utbildningsnamnden-2016-01-26.md"
J2019 = "jonkoping/barn-och-utbildningsnamnden-2019-12-16.md"
J2020 = "jonkoping/barn-och-utbildningsnamnden-2020-06-16.md"
J2023 = "jonkoping/barn-och-utbildningsnamnden-2023-06-13.md"
KS_JAN = "kungsbacka/ks/2025/2025-01-21/protokoll.md"
KS_MAY = "kungsbacka/ks/2025/2025-05-27/protokoll.md"
VO = "kungsbacka/vo/2025/2025-01-23/protokoll.md"


@pytest.fixture(scope="module")
def records(facts):
    return lambda doc_id: facts(doc_id)[0]


def _doc(text: str, name: str = "okand-kommun/protokoll.md", meta: dict | None = None) -> object:
    return parse(SourceText(name, Path(name), text, "0" * 64, "md", "utf-8", meta or {}, 0))


def test_every_bundled_document_passes_the_coverage_check(repair):
    results = check_paths([CORPUS], CORPUS, repair)
    assert len(results) >= 18
    failed = [r if isinstance(r, str) else r.line() for r in results if isinstance(r, str) or not r.ok]
    assert not failed, "\n".join(failed)


def test_markdown_heading_paragrafer_and_organ_from_the_page_header(parsed):
    doc, _ = parsed(J2023)  # '## § 81', '§ 75' above '## **Informationsärende**', header 'JÖNKÖPINGS KOMMUN Barn- och …'
    assert (doc.organ, doc.date) == ("Barn- och utbildningsnämnden", "2023-06-13")
    assert [p.number for p in doc.paragrafer] == [str(n) for n in range(75, 89)]
    assert doc.listed_paragrafer == [str(n) for n in range(75, 89)]  # cover page 'Paragrafer75-88'
    p78 = next(p for p in doc.paragrafer if p.number == "78")
    assert p78.title.startswith("Verksamhets- och investeringsplan (VIP) 2024-2026")


def test_cover_page_in_one_table_cell_roles_are_names(parsed):
    att = parsed(J2023)[0].attendance  # the whole first page is one Markdown cell with <br> line breaks
    assert att.ordforande == ["Anna Carlsson"] and att.sekreterare == ["Anna Engström"]
    assert att.justerare == ["Gabriella Lönn (KD)", "Karin Hannus (KD)"]
    assert att.role_paragrafer == {"Gabriella Lönn (KD)": "§§ 75-84", "Karin Hannus (KD)": "§§ 85-88"}
    assert att.anslag == {"uppsatt": "2023-06-21", "nedtagen": "2023-07-14"}
    members = {p.name: p for p in att.beslutande}
    assert members["Martin Karlsson"].ersatter == "Magnus Johansson"  # 'tjänstgör för … kl. 09:00-10:00, §§ 75-77'
    assert members["Martin Karlsson"].paragrafer == "§§ 75-77" and members["Martin Karlsson"].tid == "kl. 09:00-10:00"
    assert members["Sally Ishak"].role == "tjänstgörande ersättare" and members["Sally Ishak"].party == "M"
    assert "Göran Isberg, utbildningsdirektör" in att.ovriga


def test_run_on_cover_line_with_inline_labels(parsed):
    doc, _ = parsed(J2016)  # '> Beslutande AnneMarie Grennhag (M) ordförande … Inger Grund (M) ersätter Magnus Crona (M) …'
    att = doc.attendance
    assert (att.ordforande, att.sekreterare, att.justerare) == (["AnneMarie Grennhag"], ["Linda Byman"], ["Anna Carlsson"])
    assert att.paragrafer == "1-15" and doc.listed_paragrafer == [str(n) for n in range(1, 16)]
    members = {p.name: p for p in att.beslutande}
    assert members["Inger Grund"].ersatter == "Magnus Crona" and "Magnus Crona" not in members
    assert members["Peter Lundvall"].ersatter == "Jessica Hellman"
    # Stig-Arne Tengmer's seat: Chatrine Schander Ljungquist 'tom § § 1-5', then Annica Lind Nordberg from § 6
    assert members["Chatrine Schander Ljungquist"].paragrafer.endswith("1-5") and members["Annica Lind Nordberg"].paragrafer == "§ 6"
    assert len(att.beslutande) == 16


def test_role_suffixes_after_names(parsed):
    att = parsed(J2019)[0].attendance  # 'Anna Carlsson (S), ordförande Brita Klerck (S), tjänstgörande ersättare …'
    members = {p.name: p for p in att.beslutande}
    assert members["Brita Klerck"].role == "tjänstgörande ersättare"
    assert members["Stig-Arne Tengmer"].role == "vice ordförande"
    assert att.justerare == ["Cecilia Hjort Attefall (KD)"]
    assert {p.name for p in att.ersattare} >= {"Martin Karlsson", "Tuma Vergili", "Ekaterina Wetterbrandt"}


def test_flattened_roll_call_and_party_group_reservation(records):
    facts = records(J2016)
    vote = next(f for f in facts if f.kind == "omröstning")  # '… Summa 8 7 0' and 'med 8 ja-röster mot 7 nej-röster'
    assert vote.paragraf == "7" and (vote.details["ja"], vote.details["nej"], vote.details["avstår"]) == (8, 7, 0)
    assert vote.details["begärd"] and any("röstar ja" in p for p in vote.details["propositionsordning"])
    reservation = next(f for f in facts if f.kind == "reservation")  # 'Partigrupp S och MP reserverar sig mot beslutet.'
    assert reservation.paragraf == "7" and reservation.parties == ["S", "MP"]


def test_vote_sentence_broken_by_a_page_break_and_its_roll_call(records):
    facts = records(KS_JAN)  # '9 ja-röster mot 3 nej-röster och 3 som' / blank line / 'avstår, beslutar enligt …'
    vote = next(f for f in facts if f.kind == "omröstning")
    assert (vote.details["ja"], vote.details["nej"], vote.details["avstår"]) == (9, 3, 3)
    rows = vote.details["upprop"]
    assert len(rows) == 15 and sum(r["röst"] == "avstår" for r in rows) == 3
    assert {"name": "Maria Losman", "party": "MP", "röst": "avstår"} in rows
    assert vote.details["beslutar enligt"].startswith("kommunstyrelsens arbetsutskotts förslag")
    out = [f for f in facts if f.kind == "deltar inte i beslutet"]
    assert {p["name"] for f in out for p in f.persons} >= {"Maria Losman", "Stefan Jägnert", "Stefan Vilumsons"}
    res = next(f for f in facts if f.kind == "reservation")
    assert res.persons[0]["name"] == "Magdalena Sundqvist" and "eget yrkande" in res.details["till förmån för"]


def test_two_roll_calls_and_ajournering(records):
    facts = records(VO)
    votes = [(f.details["ja"], f.details["nej"]) for f in facts if f.kind == "omröstning"]
    assert votes == [(8, 3), (6, 5)]
    assert all(len(f.details["upprop"]) == 11 for f in facts if f.kind == "omröstning")
    first = next(f for f in facts if f.kind == "omröstning")  # 'utser sitt eget förslag som huvudförslag'
    assert any("huvudförslag" in p for p in first.details["propositionsordning"]) and first.details["begärd"]
    assert any(f.kind == "ajournering" and f.paragraf == "2" for f in facts)  # 'aujournerar sig' (sic)
    assert len([f for f in facts if f.kind == "reservation"]) >= 4


def test_parties_that_abstain_from_the_decision(records):
    j2020 = records(J2020)
    out = {tuple(f.parties) for f in j2020 if f.kind == "deltar inte i beslutet"}
    assert {("KD", "M"), ("SD",), ("V",)} <= out  # 'KD och M avstår från att delta i beslutet …'
    reservation = next(f for f in j2020 if f.kind == "reservation")
    assert reservation.parties == ["KD", "M"]  # 'KD och M reserverar sig mot beslutet.'
    j2023 = records(J2023)
    assert any(set(f.parties) == {"KD", "M", "SD"} for f in j2023 if f.kind == "deltar inte i beslutet")


def test_jav_in_the_attendance_list(parsed, records):
    doc, _ = parsed(KS_MAY)  # 'Magdalena Sundqvist (S), 2:e vice … ordförande, deltar ej i § § 124 p.g.a. jäv'
    assert doc.attendance.jav == [("Magdalena Sundqvist (S)", "124")]  # not 'Susanne Andersson (SD) ersätter …' beside it
    assert any(f.kind == "jäv" for f in records(KS_MAY))


def test_heading_forms_and_references_that_are_not_headings():
    doc = _doc(
        "SAMMANTRÄDESPROTOKOLL\nTekniska nämnden\n2024-05-02\n\n"
        "## **§ 7**\n\n## **Snöröjning**\n\nKommunfullmäktige beslutade den 26 september 2023\n§189 att ge nämnden uppdraget.\n\n"
        "Se beslut 230619\n§ 219 om gatubelysning.\n\n"
        "§ 12 Dnr TN 2024/123 Gatubelysning\n\nText.\n\n§§ 13–14 Två ärenden\n\nText.\n\n"
        "**§ 15** Avgifter\n\nDiarienummer: Bun 2024:45\n\nText.\n"
    )
    assert (doc.organ, doc.date) == ("Tekniska nämnden", "2024-05-02")
    assert [p.number for p in doc.paragrafer] == ["7", "12", "13–14", "15"]
    assert doc.paragrafer[0].title == "Snöröjning"
    assert doc.paragrafer[1].dnr == "TN 2024/123" and doc.paragrafer[1].title == "Gatubelysning"
    cov = check(doc, [])
    assert cov.found == ["7", "12", "13", "14", "15"]


def test_front_matter_with_other_keys_gives_organ_and_date():
    doc = _doc("# Protokoll\n\n§ 3 Budget\n\nNämnden beslutar att anta budgeten.\n",
               meta={"nämnd": "Kultur- och fritidsnämnden", "date": "2024-02-01"})
    assert (doc.organ, doc.date) == ("Kultur- och fritidsnämnden", "2024-02-01")
    doc = _doc("# Protokoll\n\n§ 3 Budget\n\nText.\n", name="sbn/2024/2024-03-04-protokoll.md")
    assert (doc.organ, doc.date) == ("Stadsbyggnadsnämnden", "2024-03-04")


def test_parties_come_from_the_document_and_unknown_ones_are_kept():
    text = ("§ 1 Val\n\nBeslutande\n\nKalle Ankasson (KAP), ordförande\nMusse Piggsson (KAP)\nBo Ek (S)\n\n"
            "Kalle Ankasson (KAP) reserverar sig mot beslutet.\n")
    doc = _doc(text)
    assert set(doc.parties) == {"KAP", "S"} and party_name("KAP") == "KAP"
    reservation = next(f for f in extract(doc, chunk_document(doc, text)) if f.kind == "reservation")
    assert reservation.parties == ["KAP"]
    assert party_of_word("Sverigedemokraternas") == "SD" and party_of_word("Moderata samlingspartiet") == "M"
    assert party_name("FP") == "Folkpartiet" and party_name("MED") == "Medborgerlig samling"


def test_vote_notations():
    from rag.parsing.votes import counts_in_text, flat_roll_call, tally

    assert counts_in_text("med 7 nej-röster mot 4 ja-röster, beslutar")[0] == {"nej": 7, "ja": 4}
    assert counts_in_text("med 6 ja-röster mot 3 nej-röster och 2 som avstår")[0] == {"ja": 6, "nej": 3, "avstår": 2}
    assert counts_in_text("med elva ja-röster mot fyra nej-röster")[0] == {"ja": 11, "nej": 4}
    assert flat_roll_call("Ledamot Ja Nej Avstår Anna A (S) X Bo B (M) X Summa 1 1 0") == {"ja": 1, "nej": 1, "avstår": 0}
    assert tally("Ja: Anna Ek (S), Bo Al (S) (2)\nNej: Cia Ax (M) (1)\n") == {"ja": 2, "nej": 1}


def test_organ_names_in_header_lines():
    assert organ_in("JÖNKÖPINGS KOMMUN Barn- och utbildningsnämnden") == "Barn- och utbildningsnämnden"
    assert organ_in("Nämnden för Vård & Omsorg") == "Nämnden för Vård & Omsorg"
    assert organ_in("Tekniska nämnden") == "Tekniska nämnden"
    assert organ_in("nämnden") is None


def test_report_organ_from_its_title_and_date_from_its_signature(parsed):
    doc, _ = parsed("riksdagen/bet-2010-11-AU1.html")  # 'Arbetsmarknadsutskottets betänkande' … 'Stockholm den 30 november 2010'
    assert (doc.organ, doc.date) == ("Arbetsmarknadsutskottet", "2010-11-30")
    doc, _ = parsed("riksdagen/bet-2013-14-FoU11.html")
    assert doc.organ == "Försvarsutskottet"


def test_members_named_without_their_party_and_a_sentence_cut_by_a_page_break(facts):
    records, _ = facts("kungsbacka/fg/2025/2025-03-19/protokoll-forskola-grundskola-namnd-protokoll-29-2025-03-19.md")
    # 'Johan Tolinsson yrkar i första hand på att ärendet ska' / page break / 'utgå från ärendelistan, …'
    yrkande = next(f for f in records if f.kind == "yrkande" and "Tolinsson" in f.text)
    assert yrkande.persons == [{"name": "Johan Tolinsson", "party": "S"}]  # his party from the cover page
    assert "utgå från ärendelistan" in yrkande.text


def _scanned(pages: list[str], repair) -> object:
    """Pages as Tesseract gave them (form feeds between), parsed as an OCR'd PDF is."""
    name = "okand-kommun/skannat-protokoll.pdf"
    return parse(SourceText(name, Path(name), "\f".join(pages), "0" * 64, "pdf", "utf-8",
                            {"ocr_pages": len(pages), "ocr_seconds": {n + 1: 1.0 for n in range(len(pages))}}, 0), repair)


_HEAD = "Justerandes sign\nUtdragsbestyrkande\nJÖNKÖPINGS KOMMUN Barn- och utbildningsnämnden\nSAMMANTRÄDESPROTOKOLL 2016-01-26\n"


def test_ocr_misread_section_signs_are_restored_where_the_numbers_run_on(repair):
    """Tesseract read the scan's '§ 1', '§ 2', 'Forts § 2' as '81', '32', 'Forts 8 2' (Jönköping 2016, 200 dpi):
    the run of numbers makes them §§; the contents list's entries (its '$2' repaired to '§2', as any OCR'd '$')
    do not open §§ of their own."""
    doc = _scanned([
        _HEAD + "3 (21)\nInnehåll\nInformationsärenden\n81\n4\nMeddelanden\n$2\n5\nAnmälan om delegationsbeslut\n83\n6\n",
        _HEAD + "4 (21)\n81\nInformationsärenden\nUtbildningsdirektören redogör för organisationen.\n",
        _HEAD + "5 (21)\n32\nMeddelanden\nSammanfattning\nFörteckning över meddelanden.\n"
                "Barn- och utbildningsnämndens beslut\n- Redovisning av meddelanden godkänns.\n",
        _HEAD.replace("Barn-", "Bearn-") + "6 (21)\nForts 8 2\nBeslutet expedieras till: Utbildningsdirektör\n",
        _HEAD.replace("Barn-", "Bearn-") + "7 (21)\nSAMMANTRÄDESPROTOKOLL 2016-01-26\n83\nAnmälan om delegationsbeslut\n"
                                           "Sammanfattning\nFörteckning.\n",
    ], repair)
    # the header's organ misread on some pages ('Bearn-') is the organ the other pages name
    assert {p.organ for p in doc.paragrafer} == {"Barn- och utbildningsnämnden"}
    assert [(p.number, p.title) for p in doc.paragrafer] == [
        ("1", "Informationsärenden"), ("2", "Meddelanden"), ("3", "Anmälan om delegationsbeslut")]
    assert any(b.paragraf == "2" and "Utbildningsdirektör" in b.text for b in doc.blocks)  # 'Forts § 2' goes back to § 2


def test_ocr_page_numbers_alone_are_not_section_signs(repair):
    """A scan's page numbers standing alone at the top or foot of their pages ('32', '33', '34') run on too,
    but they are the pages' own numbers, not §§."""
    doc = _scanned([f"{n}\nTexten på sidan {n} fortsätter här med ett beslut om budgeten.\n{n}" for n in (32, 33, 34)]
                   + ["§ 5 Budget\nNämnden beslutar att anta budgeten.\n"], repair)
    assert [p.number for p in doc.paragrafer] == ["5"]


def test_page_furniture_under_a_numbered_page_header_stays_out_of_the_decision(records):
    """Markdown converted from a PDF keeps each page's foot and head ('Justerandes signatur', the banner, a page
    number with a single blank line after it): repeated on every page, they are furniture, not part of a decision."""
    texts = [f.text for f in records(J2019) if f.kind == "beslut"]
    assert texts and not any(t.strip() in {"Justerandes signatur", "Utdragsbestyrkande"} or t.strip().isdigit()
                             for t in texts)
