"""Parsing of each bundled document, checked against what the text says."""
from conftest import FG, HANDLINGAR, KALLELSE, KF8, KS16, KS_2025, KS_2026, KSAU141


def _blocks_with(doc, needle):
    return [b for b in doc.blocks if needle in " ".join(b.norm.split())]


def test_ks_2026_01_07_p16(parsed):
    doc, _ = parsed(KS16)
    assert (doc.organ, doc.date) == ("Kommunstyrelsen", "2026-01-07")
    assert [p.number for p in doc.paragrafer] == ["16"]
    p16 = doc.paragrafer[0]
    assert p16.dnr == "STK-2024-1374" and p16.title == "Återrapportering kring kraftsamlande insatser"
    assert doc.bilagor == ["Bilaga 12", "Bilaga 13"]
    assert {"Sammanfattning", "Beslut", "Reservationer och särskilda yttranden", "Beslutsunderlag"} <= set(p16.sections)
    # the lone "3" is the footer of page 3: text before it is page 3, after it page 4
    assert _blocks_with(doc, "Kommunfullmäktige beslutade den 26 september 2024")[0].page_start == 3
    assert _blocks_with(doc, "Remissvar fritidsnämnden")[0].page_start == 4
    pripp = _blocks_with(doc, "Anders Pripp (SD)")[0]
    assert pripp.bilaga == "Bilaga 13" and pripp.section.startswith("Särskilt yttrande")
    not_arrived = _blocks_with(doc, "har inte inkommit vid tidpunkt för justering")[0]
    assert not_arrived.bilaga == "Bilaga 12"


def test_ksau_protokollsutdrag_with_markdown_tables(parsed):
    doc, _ = parsed(KSAU141)
    assert (doc.organ, doc.date) == ("Kommunstyrelsens arbetsutskott", "2025-03-24")
    assert [p.number for p in doc.paragrafer] == ["141"]
    assert doc.paragrafer[0].title == "Återrapportering kring kraftsamlande insatser; nu fråga om remiss"
    att = doc.attendance
    assert att.ordforande == ["Stefana Hoti"] and att.sekreterare == ["Martin Ljungberg"]
    assert att.justerare == ["Helena Nanne"]
    names = {p.name: p for p in att.beslutande}
    assert {"Stefana Hoti", "Helena Nanne", "Andréas Schönström"} == set(names)
    assert names["Andréas Schönström"].role == "tjänstgörande ersättare"  # "ersätter Katrin Stjernfeldt Jammeh"
    assert [p.name for p in att.ersattare] == ["Roko Kursar"]
    assert "Beslutet skickas till" in doc.paragrafer[0].sections
    assert not _blocks_with(doc, "Bilaga A")[0].bilaga  # a list item in Beslutsunderlag, not an appendix


def test_kf_ocr_scan(parsed):
    doc, _ = parsed(KF8)
    assert doc.ocr and (doc.organ, doc.date) == ("Kommunfullmäktige", "2026-01-22")
    assert [p.number for p in doc.paragrafer] == ["8"] and doc.bilagor == ["Bilaga 12"]
    statement = _blocks_with(doc, "Moderaterna och Centerpartiet delar uppfattningen")[0]
    assert statement.bilaga == "Bilaga 12"
    renamed = _blocks_with(doc, "döpts om till kraftsamlande insatser")[0]
    assert renamed.part == "Tjänsteskrivelse" and renamed.bilaga is None and renamed.section == "Ärendet"
    assert renamed.text != renamed.norm and "dopts om" in renamed.text  # original kept, normalised beside it


def test_kungsbacka_ks_protocol(parsed):
    doc, _ = parsed(KS_2025)
    assert (doc.organ, doc.date, doc.pages) == ("Kommunstyrelsen", "2025-10-21", 39)
    assert [p.number for p in doc.paragrafer] == [str(n) for n in range(199, 219)]  # the contents list is not §§
    p211 = next(p for p in doc.paragrafer if p.number == "211")
    assert p211.dnr == "KS-2025-00530" and p211.page == 24
    assert {"Beslut", "Reservation", "Beslutsgång", "Omröstningsresultat", "Protokollsanteckning"} <= set(p211.sections)
    roll_call = [b for b in doc.blocks if b.table and "Ja-röst" in b.norm]
    assert len(roll_call) == 1 and roll_call[0].paragraf == "211" and roll_call[0].page_start == 26
    assert roll_call[0].section == "Omröstningsresultat"
    assert "Jäv" in next(p for p in doc.paragrafer if p.number == "217").sections
    att = doc.attendance
    assert (att.ordforande, att.sekreterare, att.justerare) == (["Lisa Andersson"], ["Patrik Johansson"], ["Axel Storckenfeldt"])
    assert ("Fredrik Hansson (C)", "217") in att.jav and ("Niclas Nilsson (M)", "217") in att.jav
    assert all(p != "217" or "Annika" not in n for n, p in att.jav)  # she replaced him; she was not jävig
    assert {"Lisa Andersson", "Maria Losman", "Stefan Jägnert"} <= {p.name for p in att.beslutande}
    # running headers and signature notices are not content
    assert not _blocks_with(doc, "Det här dokumentet är digitalt signerat")
    assert not _blocks_with(doc, "SAMMANTRÄDESPROTOKOLL")


def test_handlingar_hold_several_organs(parsed):
    doc, _ = parsed(HANDLINGAR)
    got = [(p.number, p.organ, p.date, p.dnr) for p in doc.paragrafer]
    assert got == [
        ("294", "Kommunstyrelsens arbetsutskott", "2025-10-14", "KS-2025-00530"),
        ("88", "Nämnden för Teknik", "2025-09-24", "TE-2025-00614"),
        ("80", "Nämnden för Kultur & Fritid", "2025-09-17", "KFT-2025-00161"),
        ("110", "Nämnden för Individ & Familjeomsorg", "2025-09-18", "IF-2025-00234"),
    ]
    vote = _blocks_with(doc, "med 5 Nej-röster och 4 Ja-röster")[0]
    assert (vote.paragraf, vote.section, vote.page_start) == ("88", "Omröstningsresultat", 228)


def test_other_kungsbacka_documents(parsed):
    fg, _ = parsed(FG)
    assert fg.organ == "Nämnden för Förskola & Grundskola" and fg.date == "2025-03-19"
    assert [(p.number, p.dnr) for p in fg.paragrafer] == [("29", "FG-2025-00105")]
    assert fg.attendance.justerare == ["Helen Thylin (S)"] and fg.attendance.ordforande == ["Emanuel Forsell (M)"]
    ks26, _ = parsed(KS_2026)
    assert [(p.number, p.dnr) for p in ks26.paragrafer] == [("179", "KS-2025-00970"), ("180", "KS-2026-00174")]
    assert ks26.attendance.justerare == ["Hravn Forsne"]
    kallelse, _ = parsed(KALLELSE)
    assert kallelse.organ == "Kommunstyrelsen" and kallelse.paragrafer == []


def test_front_matter_is_kept_as_metadata(parsed):
    doc, src = parsed(KS_2025)
    assert doc.metadata["organ"] == "ks" and doc.metadata["sidor"] == 39
    assert all(b.start >= src.body_start for b in doc.blocks)
