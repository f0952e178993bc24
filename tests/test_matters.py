"""Matters followed through their meetings: §§ linked across documents by diarienummer, by a § that names an
earlier step, by the diarienummer a remiss answer names; checked against links read from the documents."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from rag.asking.answer import Answerer
from rag.asking.question import analyze
from rag.records import dnr_key, find_matters, matters_of

# The matters of the bundled corpus whose steps stand in more than one document, read from the documents by
# hand (grep for the diarienummer; the references in the text): diarienummer -> the steps documents hold.
ACROSS_DOCUMENTS = {
    "STK-2024-1374": [("Kommunstyrelsens arbetsutskott", "2025-03-24", "141"), ("Kommunstyrelsen", "2026-01-07", "16"),
                      ("Kommunfullmäktige", "2026-01-22", "8")],
    # Kungsbacka's standing items keep one diarienummer for the year: 'Dnr KS-2025-00004' in three protocols
    **{dnr: [("Kommunstyrelsen", "2025-01-21", a), ("Kommunstyrelsen", "2025-05-27", b), ("Kommunstyrelsen", "2025-10-21", c)]
       for dnr, (a, b, c) in {"KS-2025-00004": ("23", "122", "213"), "KS-2025-00006": ("22", "121", "212"),
                              "KS-2025-00014": ("3", "109", "200"), "KS-2025-00015": ("4", "110", "201"),
                              "KS-2025-00016": ("5", "111", "202")}.items()},
    # the remiss on begging: three nämnder answer 'Begäran om yttrande … KS-2025-00530', then AU and KS decide
    "KS-2025-00530": [("Nämnden för Kultur & Fritid", "2025-09-17", "80"),
                      ("Nämnden för Individ & Familjeomsorg", "2025-09-18", "110"),
                      ("Nämnden för Teknik", "2025-09-24", "88"), ("Kommunstyrelsens arbetsutskott", "2025-10-14", "294"),
                      ("Kommunstyrelsen", "2025-10-21", "211")],
    # Göteborg's registry number without its series in fullmäktige ('1313/22'), with it in kommunstyrelsen
    "SLK-2022-01313": [("Kommunfullmäktige", "2023-06-08", "22"), ("Kommunstyrelsen", "2024-09-11", "713")],
}
# Malmö's case whole: the steps its three documents name in their Beslutsunderlag ('Grundskolenämnden beslut
# 250619 § 93', 'Beslut KF 240926 § 189', 'Förslag till beslut KSAU 251208 §564'), read by hand
MALMO = [("Kommunfullmäktige", "2024-09-26", "189"), ("Kommunstyrelsens arbetsutskott", "2025-03-24", "141"),
         ("Förskolenämnden", "2025-06-11", "87"), ("Miljönämnden", "2025-06-12", "120"),
         ("Gymnasie- och vuxenutbildningsnämnden", "2025-06-13", "95"), ("Kulturnämnden", "2025-06-17", "79"),
         ("Servicenämnden", "2025-06-17", "66"), ("Arbetsmarknads- och socialnämnden", "2025-06-19", "219"),
         ("Fritidsnämnden", "2025-06-19", "91"), ("Grundskolenämnden", "2025-06-19", "93"),
         ("Stadsbyggnadsnämnden", "2025-06-19", "201"), ("Funktionsstödsnämnden", "2025-06-23", "59"),
         ("Kommunstyrelsens arbetsutskott", "2025-12-08", "564"), ("Kommunstyrelsen", "2026-01-07", "16"),
         ("Kommunfullmäktige", "2026-01-22", "8")]


def _cli(index, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", "arende", *args, "--index", str(index.store.folder.parent)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_diarienummer_in_every_shape_is_one_key():
    assert dnr_key("STK-2024-1374") == dnr_key("Dnr STK-2024-1374")
    assert dnr_key("KS-2025-00530") == dnr_key("KS 2025/530") == dnr_key("… tiggeri KS-2025-00530, 2025-09-11")
    assert dnr_key("Bun/2023:276") == dnr_key("Bun 2023:276") and dnr_key("0488/23") == dnr_key("Dnr 0488/23")
    # a date, a publication series and a word before a year are no diarienummer
    assert dnr_key("Fritid 2025-09-17") is None and dnr_key("SOU 2025:83") is None and dnr_key("daterat 2025-09-24") is None


def test_the_malmo_case_is_told_step_by_step_with_its_statements_cited(corpus_index):
    """`rag arende STK-2024-1374`: the three steps in order, each decision, the M, C and SD statements cited."""
    run = _cli(corpus_index, "STK-2024-1374")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    au, ks, kf = (out.index(f"· {organ} · § {p}") for organ, p in (
        ("Kommunstyrelsens arbetsutskott", "141"), ("Kommunstyrelsen", "16"), ("Kommunfullmäktige", "8")))
    assert out.index("2024-09-26 · Kommunfullmäktige · § 189 (nämns i") < au < ks < kf
    assert "skickar, utan eget ställningstagande, förslag på organisering" in out[au:ks]  # the AU's remiss
    assert "Kommunstyrelsen föreslår kommunfullmäktige" in out[ks:kf] and "godkänner återrapporteringen" in out[kf:]
    statements = [ln for ln in out[ks:].splitlines() if ln.strip().startswith("Särskilt yttrande:")]
    assert all("[malmo/" in ln and "§ " in ln for ln in statements)  # each cited: document and place
    said = " ".join(statements)
    assert all(p in said for p in ("(M)", "(C)", "(SD)")) and "Anders Pripp (SD) instämde" in said
    assert _cli(corpus_index, "kraftsamlande", "insatser").stdout == out  # found by its title's words too


def test_every_link_over_the_corpus_is_one_read_by_hand(corpus_index):
    """`rag arende --all`: the matters across documents are exactly those read by hand (no false link), Malmö's
    case is whole, and every step only named is named in the text of the step that names it."""
    from conftest import CORPUS
    from rag.genre import date_in_words

    run = _cli(corpus_index, "--all", "--json")
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    across = {m["dnr"][0]: [(s["organ"], s["date"], s["paragraf"]) for s in m["steps"] if not s["mentioned_in"]]
              for m in found if len({s["doc"] for s in m["steps"] if s["doc"]}) > 1}
    assert across == ACROSS_DOCUMENTS
    malmo = next(m for m in found if m["dnr"][0] == "STK-2024-1374")
    assert [(s["organ"], s["date"], s["paragraf"]) for s in malmo["steps"]] == MALMO
    texts = {}
    for m in found:
        held = {f"{s['organ']} {s['date']} § {s['paragraf']}": s["doc"] for s in m["steps"] if s["doc"]}
        for s in m["steps"]:
            if not s["mentioned_in"]:
                continue
            doc = held[s["mentioned_in"]]
            text = " ".join(texts.setdefault(doc, (CORPUS / doc).read_text(encoding="utf-8")).split())
            y, mo, d = s["date"].split("-")
            said = rf"(?:{s['date']}|{date_in_words(s['date'])}|{y[2:]}{mo}{d}),? ?(?:§ ?)?{s['paragraf']}\b"
            assert re.search(said, text), (m["dnr"], s)


def test_recurring_items_of_one_body_are_no_matter_by_title(corpus_index):
    """Jönköping's 'Anmälan om delegationsbeslut' at every meeting, without a diarienummer: separate matters."""
    found = matters_of(corpus_index.store.steps)
    assert not find_matters(found, "Anmälan om delegationsbeslut")
    assert not find_matters(found, "STK-2099-1")


@pytest.mark.parametrize("question, dnr", [
    ("Vad beslutade kommunfullmäktige i Malmö om återrapporteringen av kraftsamlande insatser?", "STK-2024-1374"),
    ("Vem reserverade sig mot yttrandet om tiggeriförbud i kommunstyrelsen i Kungsbacka?", "KS-2025-00530")])
def test_an_answer_about_a_matter_carries_its_steps(corpus_index, question, dnr):
    answer = Answerer(corpus_index, None).ask(question)
    assert not answer.refused and answer.arende and answer.arende["dnr"][0] == dnr
    assert "Ärendets gång" in answer.with_sources() and len(answer.arende["steps"]) >= 2
    assert Answerer(corpus_index, None).ask("Vem var ordförande i barn- och utbildningsnämnden i Jönköping 2023?").arende is None


def test_a_list_over_meetings_is_complete_counted_and_cited(corpus_index):
    """'… under 2025, och i vilka ärenden?': every record of the kind in scope, wherever it ranks, each with its
    meeting and §, cited; the lead gives the total (read by hand: S in § 18 on 2025-01-21, V, L, C and MP in
    § 211 on 2025-10-21; SD in nine §§ of fullmäktige in Göteborg on 2023-06-08)."""
    answerer = Answerer(corpus_index, None)
    ks = answerer.ask("Vilka reservationer anmäldes i kommunstyrelsen i Kungsbacka under 2025, och i vilka ärenden?")
    assert ks.route == "record" and ks.answer.startswith("2 reservationer:")
    lines = ks.answer.splitlines()[1:]
    assert "§ 18" in lines[0] and "Magdalena Sundqvist (S)" in lines[0] and "2025-01-21" in lines[0]
    assert "§ 211" in lines[1] and all(n in lines[1] for n in ("Patrik Jervne Henestam", "Monica Neptun", "Maria Losman"))
    assert all(re.search(r"\[\d+\]$", ln) for ln in lines) and len(ks.citations) == 2
    assert {c.doc for c in ks.citations} == {"kungsbacka/ks/2025/2025-01-21/protokoll.md",
                                             "kungsbacka/ks/2025/2025-10-21/protokoll.md"}
    gbg = answerer.ask("I hur många ärenden reserverade sig SD i kommunfullmäktige i Göteborg den 8 juni 2023, "
                       "och vilka ärenden var det?")
    assert gbg.answer.startswith("9 reservationer:") and len(gbg.answer.splitlines()) == 10
    assert all("(SD)" in ln for ln in gbg.answer.splitlines()[1:]) and len(gbg.citations) == 9


def test_a_question_about_a_matters_way_is_answered_with_its_steps(corpus_index):
    answerer = Answerer(corpus_index, None)
    boats = answerer.ask("Hur har ärendet om båtuppläggning vid Saltholmen hanterats i kommunfullmäktige och "
                         "kommunstyrelsen?")
    assert boats.route == "matter" and "SLK-2022-01313" in boats.answer
    steps = [ln for ln in boats.answer.splitlines()[1:] if ln.startswith("- ")]  # a timeline, dates in words
    assert [s.split(" § ")[0][2:] for s in steps] == ["8 juni 2023: Kommunfullmäktige", "12 juni 2024: Kommunstyrelsen",
                                                       "28 augusti 2024: Kommunstyrelsen", "11 september 2024: Kommunstyrelsen"]
    assert "bordläggs till sammanträdet den 19 juni 2023" in steps[0] and steps[0].endswith("]")
    # a diarienummer no document carries is no other matter's, and no document's: refused by the scope
    other = answerer.ask("I vilka organ behandlades Malmö stads ärende STK-2024-1500 och när?")
    assert other.refused and other.route == "scope" and "STK-2024-1374" not in other.answer
    # every meeting a 'Bordlagt den …, den …, och den …' list names is a step; a vote is told under its step
    tabled = answerer.ask("Vid vilka sammanträden har kommunfullmäktige i Göteborg bordlagt motionen om att Göteborg "
                          "ska bli Årets studentstad 2026?")
    assert tabled.route == "matter" and all(d in tabled.answer for d in ("26 januari 2023", "23 februari 2023",
                                                                          "23 mars 2023", "27 april 2023"))
    program = answerer.ask("Hur har Göteborgs Stads program för destinationsutveckling behandlats i kommunfullmäktige?")
    assert re.search(r"\n  - Omröstningen slutade 43 ja-röster mot 37 nej-röster.*\[\d+\]", program.answer)


def test_a_meeting_no_document_records_is_refused_by_the_scope(corpus_index):
    """A date the documents name only as the meeting a matter was tabled to is no meeting they record."""
    answerer = Answerer(corpus_index, None)
    later = answerer.ask("Vilka reservationer lämnades i kommunfullmäktige i Göteborg den 19 juni 2023?")
    assert later.refused and later.route == "scope"
    held = answerer.ask("Vilka reservationer lämnades i kommunfullmäktige i Göteborg den 8 juni 2023?")
    assert not held.refused and "(SD)" in held.answer


def test_items_of_a_kind_are_listed_with_what_was_decided(corpus_index):
    """'Vilka motioner …': every § whose title is a motion, in the scope asked, with its decision; when none
    has the outcome asked for, the complete list says so."""
    answerer = Answerer(corpus_index, None)
    none = answerer.ask("Vilka motioner avslog kommunfullmäktige i Göteborg vid sammanträdet den 8 juni 2023?")
    lines = none.answer.splitlines()
    assert lines[0].startswith("Ingen av de 13 motionerna") and len(lines) == 14
    assert all("bordläggs till sammanträdet den 19 juni 2023" in ln and re.search(r"\[\d+\]$", ln) for ln in lines[1:])
    assert any("återinföra projektet Skrota skräpet" in ln for ln in lines)  # a title's last line, before 'Beslut'
    rejected = answerer.ask("Vilka motioner föreslog kommunstyrelsen i Göteborg att kommunfullmäktige skulle avslå "
                            "vid sammanträdena 2024-09-11 och 2025-03-26?")
    assert rejected.answer.startswith("4 motioner med beslut om avslag:")
    assert [re.search(r"§ (\d+)", ln).group(1) for ln in rejected.answer.splitlines()[1:]] == ["689", "722", "726", "275"]
    # a title over three lines, its names going on ('… och Mattias' / 'Tykesson (M) om att …' / '… välfärdsbrottslighet')
    assert "välfärdsbrottslighet" in rejected.answer and "ombildning av hyresrätter" in rejected.answer
    # any § ('ärendena') with an outcome asked; a decision written as fullmäktige's in a kommunstyrelse's protocol
    # is a proposal to fullmäktige
    sent = answerer.ask("Vilka av ärendena på kommunstyrelsens sammanträde i Kungsbacka den 21 oktober 2025 gick vidare "
                        "som förslag till kommunfullmäktige?")
    assert sent.answer.startswith("6 ärenden med beslut om förslag till fullmäktige:")
    assert [re.search(r"§ (\d+)", ln).group(1) for ln in sent.answer.splitlines()[1:]] == ["199", "214", "215", "216",
                                                                                          "217", "218"]
    fi = answerer.ask("Vilka motioner från Feministiskt initiativ (FI) fanns på dagordningen i kommunfullmäktige i "
                      "Göteborg den 8 juni 2023?")
    assert fi.answer.startswith("5 motioner:") and all("(FI)" in ln for ln in fi.answer.splitlines()[1:])
    tabled = answerer.ask("Vilka motioner bordlades i kommunstyrelsen i Göteborg vid sammanträdena 2024-09-11 och "
                          "2025-03-26?")
    assert tabled.answer.startswith("8 motioner med beslut om bordläggning:")
    # a title's line ending in an infinitive goes on ('… (SD) om att revidera' / 'Göteborgs Stads policy för måltider …')
    assert "om att revidera Göteborgs Stads policy för måltider i linje med Uddevalla kommuns måltidspolicy:" in tabled.answer


def test_the_paragrafer_about_a_matter_are_listed_across_meetings(corpus_index):
    """'Vilka … under 2025?' naming no record kind: every § whose title holds the question's matter (its rare words
    weigh most), in the organ, year and place asked, with its decision; a § decision quoted says whose it is."""
    answerer = Answerer(corpus_index, None)
    periods = answerer.ask("Vilka tidsperioder omfattade de redovisningar av delegeringsbeslut som kommunstyrelsen "
                           "i Kungsbacka godkände under 2025?")
    lines = periods.answer.splitlines()
    assert [re.search(r"§ (\d+)", ln).group(1) for ln in lines[1:]] == ["22", "121", "212"]
    assert all("perioden" in ln and re.search(r"\[\d+\]$", ln) for ln in lines[1:]) and len(periods.citations) == 3
    blocks = answerer.ask("Vilka beslut har kommunstyrelsen i Kungsbacka fattat om kvarteren Gjutaren och Liljan?")
    listed = [ln for ln in blocks.answer.splitlines() if ln.startswith("- ")]
    assert [re.search(r"§ (\d+)", ln).group(1) for ln in listed] == ["16", "26", "180"]
    # under each §, the earlier steps of its matter that only a § names ('godkände den 17 februari 2026 …')
    history = blocks.answer.splitlines()[blocks.answer.splitlines().index(listed[-1]) + 1]
    assert history == ("  - Tidigare: 2026-02-17 Kommunstyrelsen § 35, 2026-08-11 Kommunstyrelsens arbetsutskott "
                       "§ 240")
    # asked for many and for their sum: every § whose title holds nearly all of the matter, the sum by code
    grants = answerer.ask("Vilka nämnder i Kungsbacka fick medel för att främja välmående och motverka psykisk ohälsa "
                          "av kommunstyrelsen i januari 2025, och hur mycket beviljades sammanlagt?")
    assert [re.search(r"§ (\d+)", ln).group(1) for ln in grants.answer.splitlines() if ln.startswith("- ")] == [
        "7", "8", "9", "10", "11"]
    assert grants.answer.endswith("Sammanlagt 3 500 000 kronor i 5 beslut.") and len(grants.citations) == 5
    # decisions and a record kind asked together: each § with its records of the kind; a plan's years
    # ('avfallsplan 2021–2030') are no year of a meeting
    plan = answerer.ask("Vilka beslut och yrkanden om Göteborgs Stads avfallsplan 2021–2030 finns i fullmäktiges och "
                        "kommunstyrelsens protokoll?")
    lines = plan.answer.splitlines()
    assert [re.search(r"§ (\d+)", ln).group(1) for ln in lines if ln.startswith("- ")] == ["5", "281"]
    assert any(ln.startswith("  - Emma Altenhammar (SD) yrkar att ärendet ska återremitteras") for ln in lines)
    assert analyze("Vilka beslut fattades under 2024–2025?").years == ("2024", "2025")
    final = answerer.ask("Vad blev kommunfullmäktiges slutliga beslut om återrapporteringen kring kraftsamlande "
                         "insatser i Malmö?")
    assert final.route == "decision" and final.answer.startswith("Kommunfullmäktige den 22 januari 2026, § 8.")


def test_a_matter_linked_only_by_its_topic_is_told_by_its_paragrafer(corpus_index):
    """'Hur har frågan om nattåg hanterats?': two §§ no diarienummer links, found by their titles' rare words;
    and a matter whose earlier meetings only a 'Bordlagt den …' list names tells each of them, as tabled."""
    answerer = Answerer(corpus_index, None)
    trains = answerer.ask("Hur har frågan om nattåg till och från Göteborg hanterats i kommunstyrelsen i Göteborg?")
    assert [re.search(r"§ (\d+)", ln).group(1) for ln in trains.answer.splitlines()[1:]] == ["686", "257"]
    tabled = answerer.ask("Hur många gånger hade ärendet om revidering av Göteborgs Stads riktlinje för god ekonomisk "
                          "hushållning bordlagts i kommunstyrelsen till och med sammanträdet 2024-09-11?")
    steps = [ln for ln in tabled.answer.splitlines() if ln.startswith("- ")]
    assert tabled.route == "matter" and len(steps) == 12 and all(": Bordlagt (nämns i" in ln for ln in steps[:11])
    # what the latest step proposed, asked beside the way: told whole (its third point, not only the opening)
    question = "Hur har ärendet om Göteborgs Stads förhållande till Tre Stiftelser behandlats i kommunstyrelsen"
    way = answerer.ask(question + "?")
    proposed = answerer.ask(question + ", och vad föreslogs då?")
    assert way.route == proposed.route == "matter" and "säga upp Överenskommelsen" not in way.answer
    assert "3. Kommunstyrelsen får i uppdrag att säga upp Överenskommelsen" in proposed.answer.splitlines()[-2]


def test_what_a_party_did_in_a_matter_is_listed_from_its_records(corpus_index):
    """'Hur agerade Socialdemokraterna i budgetärendena …': the party's yrkanden, reservationer and statements in
    the §§ whose titles hold the matter ('kommunbudget' for 'budgetärendena'), in the bodies and months named."""
    answerer = Answerer(corpus_index, None)
    budget = answerer.ask("Hur agerade Socialdemokraterna i budgetärendena inför 2026 – i kommunstyrelsen i januari "
                          "och maj 2025 och i nämnden för Vård & Omsorg?")
    lines = budget.answer.splitlines()
    assert lines[0].startswith("Så agerade Socialdemokraterna") and all("(S)" in ln for ln in lines[1:])
    assert {re.search(r"§ (\d+)", ln).group(1) for ln in lines[1:]} == {"6", "2", "108"}
    assert any("reserverade sig" in ln for ln in lines) and len(budget.citations) == len(lines) - 1
    # a person's vote is no party's doings: no list for 'Hur röstade Hans Arby (C) …'
    arby = answerer.ask("Hur röstade Hans Arby (C) i huvudvoteringen om Slottsskogsobservatoriet i kommunfullmäktige?")
    assert not arby.answer.startswith("Så agerade")


def test_the_bodies_noted_with_a_reservation_or_statement_in_a_beslutsunderlag_are_all_listed(corpus_index):
    """'Vilka remissinstanser … med reservation eller särskilt yttrande?': every item of the § noted either way."""
    answer = Answerer(corpus_index, None).ask("Vilka remissinstanser i ärendet om kraftsamlande insatser fattade sina "
                                              "beslut med reservation eller särskilt yttrande?")
    for body in ("Arbetsmarknads- och socialnämndens", "Förskolenämnden", "miljönämnden", "Grundskolenämnden"):
        assert body in answer.answer, body
    assert "(V)" in answer.answer and answer.citations


def test_a_long_list_names_its_first_items_and_the_rest_on_request(corpus_index):
    """The chat names the first 15 items of a long list, its total and how to get the rest; `rag ask --all`
    (Answerer(shown=…)) names and cites every one."""
    question = "Vilka bordläggningar gjordes i kommunstyrelsen i Göteborg vid sammanträdena 2024-09-11 och 2025-03-26?"
    short = Answerer(corpus_index, None).ask(question)
    lines = short.answer.splitlines()
    total = int(lines[0].split()[0])
    assert total > 15 and len(lines) == 17 and lines[-1].startswith(f"… och {total - 15} till")
    assert len(short.citations) == 15
    whole = Answerer(corpus_index, None, shown=1_000_000).ask(question)
    assert len(whole.answer.splitlines()) == total + 1 and len(whole.citations) == total


def test_records_along_a_matter_are_listed_for_each_body_named(corpus_index):
    """A record kind asked of a matter in several bodies: the bodies by their own names, or every one of a kind
    named in the plural, each step's records of that kind; a body not named is left out."""
    answerer = Answerer(corpus_index, None)
    named = answerer.ask("Vilka ledamöter reserverade sig mot nämndernas beslut om tiggeriremissen (SOU 2025:83) i "
                         "Kungsbacka – i Kultur & Fritid, Individ & Familjeomsorg och Teknik?")
    lines = named.answer.splitlines()
    assert lines[0] == "3 reservationer:"
    assert [re.search(r"Nämnden för ([\w &]+) §", ln).group(1) for ln in lines[1:]] == [
        "Kultur & Fritid", "Individ & Familjeomsorg", "Teknik"]
    assert "Monica Neptun (L)" in named.answer and "Kommunstyrelsen" not in named.answer
    votes = answerer.ask("Hur utföll omröstningarna om tiggeriremissen i Kungsbacka, i nämnderna och i kommunstyrelsen?")
    assert votes.answer.startswith("4 omröstningar:") and "Kommunstyrelsen § 211" in votes.answer
    assert all(f"{a} ja-röster mot {b} nej-röster" in votes.answer for a, b in ((4, 7), (6, 3), (4, 5), (9, 6)))
    assert len(votes.citations) == 4


def test_a_list_at_two_meetings_is_compared(corpus_index):
    """'Jämför vilka som fick beslutet … 2025-03-24 och … 2026-01-22': who only each meeting's sändlista names,
    an OCR scan's 'Forskolenimnden' being 'Förskolenämnden', and how many both name; each list cited."""
    answer = Answerer(corpus_index, None).ask(
        "Jämför vilka som fick beslutet om kraftsamlande insatser när arbetsutskottet skickade ut remissen 2025-03-24 "
        "och när fullmäktige beslutade 2026-01-22: vilken nämnd fanns bara med första gången, och vilken tillkom?")
    assert answer.answer.startswith("Bara 2025-03-24 (Kommunstyrelsens arbetsutskott § 141): Hälsa-, vård- och "
                                    "omsorgsnämnden.")
    assert "Bara 2026-01-22 (Kommunfullmäktige § 8): Stadsbyggnadsnämnden" in answer.answer
    assert "Förskolenämnden" not in answer.answer and answer.answer.endswith("13 fanns med båda gångerna.")
    assert {c.doc.split("/")[1][:4] for c in answer.citations} == {"ksau", "kf-2"}
