"""Riksdagen's betänkanden, record by record, as read from the three reports in the corpus."""
from __future__ import annotations

import re

import pytest

from conftest import CORPUS

from rag.parsing.betankande import Betankande
from rag.records.coverage import check
from rag.genre import party_code
from rag.reading.read import read_file
from rag.parsing.structure import parse

AU1_2010 = "riksdagen/bet-2010-11-AU1.html"
FOU11 = "riksdagen/bet-2013-14-FoU11.html"
AU1_2018 = "riksdagen/bet-2018-19-AU1.html"


def report(parsed, doc_id: str) -> Betankande:
    doc, _ = parsed(doc_id)
    assert doc.betankande is not None
    return doc.betankande


def signers(y) -> list[str]:
    return [f"{p['name']} ({p['party']})" for p in y.persons]


def test_title_page_justering_and_members_2010(parsed):
    bet = report(parsed, AU1_2010)
    assert (bet.utskott, bet.beteckning, bet.date, bet.signatory) == (
        "Arbetsmarknadsutskottet", "2010/11:AU1", "2010-11-30", "Tomas Tobé")
    assert bet.title == "Utgiftsområde 13 Integration och jämställdhet"
    assert len(bet.ledamoter) == 17 and bet.ledamoter[0].name == "Tomas Tobé"
    # footnotes 1–8: the eight S, V and MP members abstain on punkt 7
    abstaining = [m.name for m in bet.ledamoter if m.abstains]
    assert abstaining == ["Ylva Johansson", "Raimo Pärssinen", "Maria Stenberg", "Patrik Björck",
                          "Ann-Christin Ahlberg", "Johan Andersson", "Christina Höj Larsen", "Esabelle Dingizian"]
    assert all("punkt 7" in m.abstains for m in bet.ledamoter if m.abstains)


def test_punkter_and_their_reservationer_2010(parsed):
    bet = report(parsed, AU1_2010)
    assert [p.number for p in bet.punkter] == ["1", "2", "3", "4", "5", "6", "7"]
    assert bet.punkter[2].title == "Företagande för utlandsfödda"
    assert {p.number: p.reservationer for p in bet.punkter if p.reservationer} == {"1": ["1"], "3": ["2"], "7": ["3"]}


def test_reservationer_and_sarskilda_yttranden_2010(parsed):
    bet = report(parsed, AU1_2010)
    r = bet.reservationer
    assert [(y.number, y.punkt, y.parties) for y in r] == [("1", "1", ["S", "V"]), ("2", "3", ["S"]), ("3", "7", ["SD"])]
    assert signers(r[2]) == ["Sven-Olof Sällström (SD)"]
    assert len(r[0].persons) == 7 and signers(r[0])[-1] == "Christina Höj Larsen (V)"
    s = bet.sarskilda_yttranden
    assert [(y.number, y.punkt, y.parties) for y in s] == [("1", "7", ["S", "MP", "V"]), ("2", "7", ["SD"])]
    assert signers(s[0])[-1] == "Esabelle Dingizian (MP)" and len(s[0].persons) == 8


def test_sixteen_reservationer_on_fourteen_punkter_2014(parsed):
    bet = report(parsed, FOU11)
    assert (bet.utskott, bet.beteckning, bet.date, bet.signatory) == (
        "Försvarsutskottet", "2013/14:FöU11", "2014-06-03", "Peter Hultqvist")
    assert [p.number for p in bet.punkter] == [str(n) for n in range(1, 15)]
    assert {p.number: p.reservationer for p in bet.punkter} == {
        "1": ["1"], "2": ["2"], "3": ["3"], "4": ["4", "5"], "5": ["6"], "6": ["7", "8"], "7": ["9", "10"],
        "8": ["11", "12"], "9": ["13"], "10": [], "11": ["14"], "12": [], "13": ["15"], "14": ["16"]}
    r = bet.reservationer
    assert [y.number for y in r] == [str(n) for n in range(1, 17)]
    assert [y.punkt for y in r] == ["1", "2", "3", "4", "4", "5", "6", "6", "7", "7", "8", "8", "9", "11", "13", "14"]
    assert r[0].parties == ["SD"] and signers(r[0]) == ["Mikael Jansson (SD)"]  # 'punkt 1 (SD) av Mikael Jansson (SD).' on one line
    assert r[2].parties == ["S", "MP"] and signers(r[2])[-1] == "Peter Rådberg (MP)"
    assert r[3].parties == ["S", "MP", "V"] and signers(r[3])[-1] == "Torbjörn Björlund (V)" and len(r[3].persons) == 8
    assert not bet.sarskilda_yttranden
    assert len(bet.ledamoter) == 17


def test_one_unnumbered_reservation_and_four_yttranden_2018(parsed):
    bet = report(parsed, AU1_2018)
    assert (bet.beteckning, bet.date, bet.signatory) == ("2018/19:AU1", "2018-12-17", "Anna Johansson")
    (r,) = bet.reservationer
    assert (r.number, r.parties, signers(r)) == (
        None, ["SD"], ["Magnus Persson (SD)", "Ebba Hermansson (SD)", "Sara Seppälä (SD)"])
    s = bet.sarskilda_yttranden
    assert [(y.number, y.parties) for y in s] == [("1", ["S", "V", "MP"]), ("2", ["SD"]), ("3", ["C"]), ("4", ["L"])]
    assert signers(s[2]) == ["Martin Ådahl (C)"] and signers(s[3]) == ["Gulan Avci (L)", "Maria Nilsson (L)"]
    # '* Avstår från ställningstagande, se särskilda yttranden.': S, C, V, L and MP
    assert {m.party for m in bet.ledamoter if m.abstains} == {"S", "C", "V", "L", "MP"}
    assert {m.party for m in bet.ledamoter if not m.abstains} == {"M", "SD", "KD"}
    assert bet.bilagor == [f"Bilaga {n}" for n in range(1, 8)]  # 'Bilaga5' written without a space too


def test_html_words_split_over_spans_are_one_word(parsed):
    _, src = parsed(AU1_2018)
    assert "Proposition 2018/19:1 inom utgiftsområde 13" in src.text  # '201<span>8</span>/1<span>9</span>'
    assert "Sverigedemokraternas" in src.text and "\xad" not in src.text  # soft hyphens dropped


def test_records_and_locators(facts):
    records, chunks = facts(AU1_2010)
    by_kind = {}
    for f in records:
        by_kind.setdefault(f.kind, []).append(f)
    r3 = by_kind["reservation"][2]
    assert r3.locator == "Arbetsmarknadsutskottet 2010-11-30 · bet. 2010/11:AU1 · Reservation 3 (SD) · punkt 7"
    assert r3.details["nummer"] == "3" and r3.parties == ["SD"]
    assert "Sven-Olof Sällström" in chunks[r3.chunk_ids[0]].text  # the cited chunk names the signatory
    assert [f.details["punkt"] for f in by_kind["förslag"]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert by_kind["förslag"][0].text.startswith(
        "Punkt 1: Regeringens skrivelse om integration. Utskottet föreslår: Riksdagen avslår motion")
    (members,) = by_kind["deltar i beslutet"]
    assert len(members.persons) == 17
    assert all(c.locator.startswith("Arbetsmarknadsutskottet 2010-11-30 · bet. 2010/11:AU1") for c in chunks.values())


def test_coverage_finds_what_the_report_announces(facts, parsed):
    for doc_id in (AU1_2010, FOU11, AU1_2018):
        doc, _ = parsed(doc_id)
        records, _ = facts(doc_id)
        assert check(doc, records).ok, doc_id


def test_coverage_reports_a_missing_reservation(tmp_path):
    """A report whose summary announces two reservationer but holds one is flagged, not passed."""
    text = ("# Kulturutskottets betänkande 2099/00:KrU9\n\nEtt exempel\n\nI betänkandet finns två reservationer (S).\n\n"
            "Utskottets förslag till riksdagsbeslut\n\n1. Ett ämne\n\nRiksdagen avslår motionen.\n\nReservation 1 (S)\n\n"
            "2. Ett annat ämne\n\nRiksdagen avslår motionen.\n\nReservation 2 (S)\n\nStockholm den 1 mars 2000\n\n"
            "På kulturutskottets vägnar\n\nAnna Ek\n\nFöljande ledamöter har deltagit i beslutet: Anna Ek (M) och Per Ås (S).\n\n"
            "Reservationer\n\n1. Ett ämne, punkt 1 (S)\n\nav Per Ås (S).\n\nStällningstagande\n\nVi anser annat.\n")
    path = tmp_path / "bet.md"
    path.write_text(text, encoding="utf-8")
    doc = parse(read_file(path, tmp_path, 1_000_000))
    assert doc.betankande is not None and doc.betankande.date == "2000-03-01"
    problems = check(doc, []).problems
    assert any("saknas: 2" in p for p in problems) and any("anger 2, hittade 1" in p for p in problems)


def test_riksdagen_lower_case_parties(tmp_path):
    assert [party_code(w) for w in ("s", "(v)".strip("()"), "mp", "fp", "Moderaterna")] == ["S", "V", "MP", "FP", "M"]
    # older reports write '(s)' after names: the same parties as a protocol's '(S)'
    text = ("# Kulturutskottets betänkande 1999/2000:KrU9\n\nEtt exempel\n\n"
            "Utskottets förslag till riksdagsbeslut\n\n1. Ett ämne\n\nRiksdagen avslår motion 1999/2000:Kr1 av "
            "Per Ås m.fl. (s, v och mp).\n\nReservation 1 (s, mp)\n\nStockholm den 1 mars 2000\n\n"
            "På kulturutskottets vägnar\n\nAnna Ek\n\nFöljande ledamöter har deltagit i beslutet: Anna Ek (m), "
            "Per Ås (s) och Eva Bo (mp).\n\nReservationer\n\n1. Ett ämne, punkt 1 (s, mp)\n\n"
            "av Per Ås (s) och Eva Bo (mp).\n\nStällningstagande\n\nVi anser annat.\n")
    path = tmp_path / "bet.md"
    path.write_text(text, encoding="utf-8")
    bet = parse(read_file(path, tmp_path, 1_000_000)).betankande
    assert [(m.name, m.party) for m in bet.ledamoter] == [("Anna Ek", "M"), ("Per Ås", "S"), ("Eva Bo", "MP")]
    (r,) = bet.yttranden
    assert r.parties == ["S", "MP"] and signers(r) == ["Per Ås (S)", "Eva Bo (MP)"]
    assert bet.punkter[0].reservationer == ["1"]


def test_questions_name_the_report_the_reservation_and_the_punkt():
    from rag.asking.question import analyze

    q = analyze("Vem står bakom reservation 10 i betänkande 2013/14:FöU11?")
    assert (q.beteckning, q.nummer, q.record[0]) == ("2013/14:FöU11", "10", "reservation")
    assert not any("2013" in w or "fou11" in w for w in q.topic)  # the beteckning names the document, not the matter
    q = analyze("Vilka ledamöter avstod från ställningstagande under punkt 7?")
    assert (q.punkt, q.record[0], q.beteckning) == ("7", "avstår från ställningstagande", None)
    assert analyze("Vem var justerare i kommunstyrelsen?").beteckning is None


def test_report_questions_answered_from_records(corpus_index):
    """Over the whole corpus (protocols next to reports): the report, the number and the punkt a question
    names pick the record, whatever else ranks high; what a report does not hold is refused."""
    from rag.asking.answer import Answerer

    ask = Answerer(corpus_index, None).ask  # no LLM: these are answered by code or refused
    a = ask("Vem står bakom reservation 3 i betänkande 2010/11:AU1?")
    assert "Sven-Olof Sällström (SD)" in a.answer and "Reservation 2" not in a.answer
    assert all("bet. 2010/11:AU1" in c.locator for c in a.citations) and a.citations
    a = ask("Vilka reservationer hör till punkt 4 i betänkande 2013/14:FöU11?")
    assert "Reservation 4" in a.answer and "Reservation 5" in a.answer and "Reservation 6" not in a.answer
    a = ask("Hur många reservationer finns i betänkande 2013/14:FöU11?")
    assert "16 reservationer" in a.answer, a.answer
    a = ask("Vad föreslog utskottet i punkt 2 i betänkande 2010/11:AU1?")
    assert "Riksdagen avslår motionerna" in a.answer and "punkt 2" in a.citations[0].locator
    a = ask("Vilka ledamöter från Miljöpartiet deltog i beslutet om betänkande 2013/14:FöU11?")
    assert "Peter Rådberg (MP)" in a.answer and "(S)" not in a.answer
    a = ask("När justerades betänkande 2018/19:AU1?")
    assert "17 december 2018" in a.answer
    for unanswerable in ("Vem står bakom reservation 17 i betänkande 2013/14:FöU11?",
                         "Vilka partier lämnade särskilda yttranden i betänkande 2013/14:FöU11?",
                         "Vem står bakom reservation 2 i betänkande 2015/16:AU1?"):
        assert ask(unanswerable).refused, unanswerable


def test_several_reports_are_compared_each_from_its_records(corpus_index):
    """A question naming several reports counts each one's parts of the kinds it asks, in its order."""
    from rag.asking.answer import Answerer

    ask = Answerer(corpus_index, None).ask
    a = ask("Jämför 2010/11:AU1 och 2018/19:AU1: hur många reservationer och särskilda yttranden fanns i vart och ett?")
    assert re.findall(r"Betänkande (\S+) har (\d+) (\w+)", a.answer) == [
        ("2010/11:AU1", "3", "reservationer"), ("2010/11:AU1", "2", "särskilda"),
        ("2018/19:AU1", "1", "reservation"), ("2018/19:AU1", "4", "särskilda")]
    assert len(a.citations) == 10 and all("2010/11:AU1" in c.locator or "2018/19:AU1" in c.locator for c in a.citations)
    a = ask("I vilka av betänkandena 2010/11:AU1, 2013/14:FöU11 och 2018/19:AU1 har Sverigedemokraterna reservationer?")
    assert "2013/14:FöU11 har 8 reservationer med SD" in a.answer and a.answer.count("Betänkande") == 3


def test_the_members_on_every_named_reports_list(corpus_index):
    """'… både om A och om B': the members who took part in each report's decision, on every list, both cited;
    two committees with no member in common say so."""
    from rag.asking.answer import Answerer

    ask = Answerer(corpus_index, None).ask
    both = ask("Vilka ledamöter deltog i arbetsmarknadsutskottets beslut både om betänkande 2010/11:AU1 och om "
               "2018/19:AU1?")
    assert both.answer.startswith("2 ledamöter deltog i besluten om både 2010/11:AU1 och 2018/19:AU1: "
                                  "Patrik Björck (S) och Johan Andersson (S).")
    assert {c.locator.split(" · ")[1] for c in both.citations} == {"bet. 2010/11:AU1", "bet. 2018/19:AU1"}
    none = ask("Vilka ledamöter deltog i besluten både om betänkande 2010/11:AU1 och om 2013/14:FöU11?")
    assert none.answer.startswith("Ingen ledamot deltog i besluten om både 2010/11:AU1 och 2013/14:FöU11.")


def test_filter_on_beteckning(corpus_index):
    from rag.asking.retrieve import Filters

    hits = corpus_index.search("reservation", k=10, filters=Filters(beteckning="2013/14 : FöU11")).hits
    assert hits and all(h.chunk.beteckning == "2013/14:FöU11" for h in hits)
    assert corpus_index.beteckningar == ["2010/11:AU1", "2013/14:FöU11", "2018/19:AU1"]
    hits = corpus_index.search("reservation", k=10, filters=Filters(organ="Försvarsutskottet")).hits
    assert hits and all(h.chunk.doc.endswith("bet-2013-14-FoU11.html") for h in hits)


def _html2text(name: str, tmp_path):
    """The report as Riksdagen publishes it, converted to Markdown by html2text (GFM tables without outer
    pipes, the title glued to its beteckning: 'Arbetsmarknadsutskottets betänkande2010/11:AU1|')."""
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0
    path = tmp_path / "riksdagen" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(converter.handle((CORPUS / "riksdagen" / f"{name}.html").read_text(encoding="utf-8")), encoding="utf-8")
    return path


def _pandoc(name: str, tmp_path, to: str):
    """The report converted by pandoc: 'gfm' keeps the title page as a raw HTML table and the contents as
    links, 'gfm-raw_html' drops the title page ('[TABLE]') and the tables of the förslag."""
    import pypandoc

    path = tmp_path / to / "riksdagen" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    pypandoc.convert_file(str(CORPUS / "riksdagen" / f"{name}.html"), to, format="html", outputfile=str(path))
    return path


@pytest.mark.parametrize("converter", ["html2text", "gfm", "gfm-raw_html"])
@pytest.mark.parametrize("name", ["bet-2010-11-AU1", "bet-2013-14-FoU11", "bet-2018-19-AU1"])
def test_betankande_converted_to_markdown_reads_as_its_html(name, converter, tmp_path):
    want = parse(read_file(CORPUS / "riksdagen" / f"{name}.html", CORPUS, 10_000_000))
    path = _html2text(name, tmp_path) if converter == "html2text" else _pandoc(name, tmp_path, converter)
    got = parse(read_file(path, path.parent.parent, 10_000_000))
    w, g = want.betankande, got.betankande
    assert g is not None and (g.utskott, g.beteckning, g.date, g.signatory) == (w.utskott, w.beteckning, w.date, w.signatory)
    assert [(y.kind, y.number, y.punkt, y.parties, y.persons) for y in g.yttranden] == [
        (y.kind, y.number, y.punkt, y.parties, y.persons) for y in w.yttranden]
    assert [(m.name, m.party) for m in g.ledamoter] == [(m.name, m.party) for m in w.ledamoter]
    assert check(got, []).problems == check(want, []).problems


def test_docs_check_fails_on_a_converted_report_whose_reservationer_were_cut(tmp_path):
    """2010/11:AU1 announces three reservationer: with two cut from its Markdown, the check must fail."""
    path = _html2text("bet-2010-11-AU1", tmp_path)
    text = path.read_text(encoding="utf-8")
    start = text.index("2.| Företagande för utlandsfödda")
    end = text.index("Särskilda yttranden", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    problems = check(parse(read_file(path, tmp_path, 10_000_000)), []).problems
    assert any("anger 3, hittade 1" in p for p in problems), problems


def test_docs_check_fails_on_a_report_no_reader_recognises(tmp_path):
    """Title page and signature gone: a report that announces reservationer must not pass as a document
    without records."""
    path = _pandoc("bet-2010-11-AU1", tmp_path, "gfm-raw_html")
    path.write_text(path.read_text(encoding="utf-8").replace("På arbetsmarknadsutskottets vägnar", ""), encoding="utf-8")
    doc = parse(read_file(path, path.parent.parent, 10_000_000))
    assert doc.betankande is None
    assert any("lästes inte som ett" in p for p in check(doc, []).problems)
