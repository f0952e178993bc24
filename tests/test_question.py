"""The question understood once (answer type, named entities), typed values in real sentences, and the
refusal rules that read them: phrasings here are not in the dev sets."""
from __future__ import annotations

import re

import pytest

from conftest import CORPUS
from rag.asking.reply import REFUSAL
from rag.asking.answer import Answerer
from rag.asking.cite import support
from rag.asking.passages import Passage, passage_sentences
from rag.asking.evidence import asked_values, stated, values
from rag.asking.question import analyze
from rag.genre import same_organ
from rag.asking.scope import Scope

J2016 = "jonkoping/barn-och-utbildningsnamnden-2016-01-26.md"
J2023 = "jonkoping/barn-och-utbildningsnamnden-2023-06-13.md"
J2020 = "jonkoping/barn-och-utbildningsnamnden-2020-06-16.md"
VO = "kungsbacka/vo/2025/2025-01-23/protokoll.md"


@pytest.mark.parametrize("question, kind", [
    ("Hur mycket kostade renoveringen av simhallen?", "amount"),
    ("Vilken avgift tas ut för bygglov?", "amount"),
    ("När justerades protokollet?", "date"),
    ("Från och med vilket datum gäller taxan?", "date"),
    ("Hur många ledamöter röstade nej?", "vote"),
    ("Hur röstade Liberalerna?", "vote"),
    ("Hur många platser får den nya förskolan?", "count"),
    ("Under hur lång tid gäller avtalet?", "duration"),
    ("Vilka partier stod bakom reservationen?", "party"),
    ("Vem var ordförande?", "person"),
    ("Till vem delegeras beslutet?", "person"),
    ("Varför bordlades ärendet?", "reason"),
    ("Vad skriver Vänsterpartiet i sin protokollsanteckning?", "content"),
    ("Var ska den nya skolan byggas?", "place"),
    ("Vart skickas beslutet?", "organ"),
    ("Har nämnden antagit planen?", "yesno"),
    ("Vilka bolag lämnade anbud?", "list"),
])
def test_answer_types(question, kind):
    assert analyze(question).answer_type == kind


def test_records_asked_for_and_content_about_records():
    assert analyze("Vilka partier stod bakom reservationen?").record == ("reservation", None)
    assert analyze("Vem justerade protokollet?").record == ("roll", "justerare")
    assert analyze("Vem var med i stället för Anna Berg (S)?").record == ("ersättare", None)
    # what a record says is read from its text, not answered by the record's names
    said = analyze("Vad skriver Vänsterpartiet i sin protokollsanteckning?")
    assert said.record == ("protokollsanteckning", None) and said.content
    # 'i stället för' about a proposal is not a substitution
    assert analyze("Vilken modell valdes i stället för den gamla?").record is None


def test_entities_named():
    q = analyze("Vem var ordförande i kultur- och fritidsnämnden den 3 februari 2024?")
    assert q.organs == ("kultur- och fritidsnamnden",) and q.dates == ("2024-02-03",) and q.months == ()
    q = analyze("Vilka var jäviga på sammanträdet i nämnden för Kultur & Fritid i maj 2024?")
    assert q.organs == ("namnden for kultur & fritid",) and q.months == ((5, "2024"),) and q.meeting_date
    q = analyze("Vad yrkade Anna-Karin Svensson (S) under § 45?")
    assert q.persons == ("Anna-Karin Svensson",) and q.parties == ("S",) and q.paragraf == "45"
    q = analyze("Hur många bostäder byggs i Kolla Parkstad enligt bilaga 3?")
    assert q.bilaga == "3" and {"Kolla", "Parkstad"} <= set(q.names + tuple(w for p in q.persons for w in p.split()))
    # a bare 'nämnden' names no organ; a period is not a meeting date; a party is not a name
    assert analyze("Vem var justerare i nämnden?").organs == ()
    assert analyze("Vad blev resultatet för januari till april 2025?").months == ()
    assert analyze("Vad tycker Sverigedemokraterna om Vallda?").names == ("Vallda",)
    assert analyze("Och vem instämde i det?").follow_up and not analyze("Vem instämde i yttrandet?").follow_up


def test_same_organ_across_wordings():
    assert same_organ("tekniska namnden", "Nämnden för Teknik")
    assert same_organ("arbetsutskottets", "Kommunstyrelsens arbetsutskott")
    assert not same_organ("kommunstyrelsen", "Kommunstyrelsens arbetsutskott")  # the head is the utskott
    assert same_organ("namnden for vard & omsorg", "Nämnden för Vård & Omsorg")
    assert not same_organ("socialnamnden", "Barn- och utbildningsnämnden")


def _sentence(doc: str, start: str) -> str:
    """A sentence as the document has it (line breaks joined)."""
    text = " ".join((CORPUS / doc).read_text(encoding="utf-8").split())
    m = re.search(re.escape(start) + r"[^.]*\.", text)
    assert m, (doc, start)
    return m.group(0)


def test_typed_values_in_real_sentences():
    fee = _sentence("kungsbacka/ks/2025/2025-10-21/protokoll.md", "Arrendeavgiften är")
    assert values(fee, "amount") == ["5 000 kronor"]
    bids = _sentence("kungsbacka/ks/2026/2026-08-25/protokoll-kommunstyrelsen-protokoll-2026-08-25-179-180.md",
                     "Totalt inkom åtta")
    assert values(bids, "count") == ["åtta anbud"]
    school = _sentence("kungsbacka/ks/2025/2025-01-21/protokoll.md", "Kommunstyrelsen godkänner att omfattningen")
    assert values(school, "count") == ["350 elever", "525 elever"]  # both numbers keep their nouns
    start = _sentence(J2023.replace("2023-06-13", "2020-06-16"), "- Upprättat förslag till delegationsförteckning")
    assert "1 juli 2020" in values(start, "date")
    demand = _sentence(J2023, "Inför VIP-perioden har")
    assert values(demand, "amount") == ["30,5 mnkr"]
    assert values("Ärendet gäller § 12 och beslutades 2024.", "count") == []  # a § or a year counts nothing


def test_scope_needs_everything_named_in_one_document(corpus_index):
    scope = Scope(corpus_index.store.profiles, corpus_index.store)
    assert scope.documents(analyze("Vad beslutade barn- och utbildningsnämnden på sitt sammanträde i mars 2021?")) == set()
    assert scope.documents(analyze("Vad beslutade barn- och utbildningsnämnden i juni 2023?")) == {J2023}
    # the nämnd's own meeting, and protocols that speak of the nämnd and of January 2025; no other body's
    january = scope.documents(analyze("Vem var sekreterare i nämnden för Vård & Omsorg i januari 2025?"))
    assert VO in january and not any(d.startswith(("jonkoping", "malmo", "riksdagen")) for d in january)
    assert scope.documents(analyze("Vad kostar ett busskort i Haparanda?")) == set()  # no document names Haparanda
    assert scope.documents(analyze("Vilka partier finns i nämnden?")) is None  # it names nothing to look for
    # 'fullmäktige' alone names the body: the documents of a kommunfullmäktige, or that speak of one
    assert "goteborg/kf-2023-06-08.txt" in scope.documents(analyze("Vilka partier finns i fullmäktige?"))


def test_refusal_rules_in_both_directions(corpus_index):
    records_only = Answerer(corpus_index, None)
    for unanswerable in (
            "Vem var ordförande i kulturnämnden i Jönköping 2023?",  # no such nämnd's protocol
            "Vem var ordförande i barn- och utbildningsnämnden i mars 2021?",  # no such meeting
            "Vilka reserverade sig mot beslutet om Kvarteret Liljan skola?",  # nobody did: no record
            "Hur många anställda har Jönköpings kommun?",  # no sentence counts anställda
            "Hur mycket kostar ett busskort i Kungsbacka?"):  # no amount for it
        answer = records_only.ask(unanswerable)
        assert answer.refused and answer.answer == REFUSAL and not answer.citations, unanswerable
    for answerable, expected in (
            ("Vem var ordförande i barn- och utbildningsnämnden i juni 2023?", "Anna Carlsson"),
            ("Hur hög är arrendeavgiften för tennisklubben i Kungsbacka?", "5 000 kronor"),
            ("Hur många anbud kom in för kvarteret Gjutaren och Liljan?", "åtta anbud"),
            ("På vilken plats hölls kommunstyrelsens arbetsutskott 2025-03-24?", "Teams"),  # the cover's Plats
            ("Var sammanträdde barn- och utbildningsnämnden i december 2019?", "Elite Stora Hotellet"),
            ("Vad beslutade barn- och utbildningsnämnden om godkännandet för firma Lekandebarn?", "återremitteras")):
        answer = records_only.ask(answerable)
        assert not answer.refused and expected in answer.answer and answer.citations, answerable


def _chunk_with(index, doc: str, text: str) -> Passage:
    c = next(c for c in index.chunks if c.doc == doc and text in c.norm)
    return Passage(1, c.id, c.doc, c.locator, c.text, c.norm, c.title or "")


def test_claims_about_a_person_need_one_sentence_that_holds_the_relation(corpus_index):
    """The cover lists every member and the secretary in one cell: a name and a role found apart
    support no claim that joins them."""
    cover = _chunk_with(corpus_index, J2020, "Thomas Embrink, sekreterare")
    assert support("Thomas Embrink var sekreterare.", cover) >= 0.5
    assert support("Kerstin Lindberg (MP) var sekreterare.", cover) == 0.0  # a member, not the secretary
    assert support("Margareta Stråth (S) deltog.", cover) >= 0.5
    assert support("Margareta Stråth (MP) deltog.", cover) == 0.0  # another party
    note = _chunk_with(corpus_index, J2023, "Gabriella Lönn (KD) lämnar följande protokollsanteckning")
    assert support("Gabriella Lönn (KD) lämnade en protokollsanteckning.", note) >= 0.5
    assert support("Gabriella Lönn (KD) reserverade sig mot beslutet.", note) == 0.0


def test_typed_values_fit_what_is_asked():
    weights = _sentence("kungsbacka/ks/2026/2026-08-25/protokoll-kommunstyrelsen-protokoll-2026-08-25-179-180.md",
                        "Markprisanbud har tillmätts")
    assert asked_values(analyze("Vilket pris bjöd vinnaren för marken?"), weights) == []  # a price is no share
    assert asked_values(analyze("Hur mycket vägde arkitekturen i bedömningen?"), weights) == ["55 procent", "40 procent"]
    tax = _sentence("kungsbacka/ks/2025/2025-05-27/protokoll.md", "Kommunfullmäktige fastställer skattesatsen")
    assert asked_values(analyze("Vilken skattesats gäller enligt budgeten?"), tax) == ["21,18 procent"]
    assert stated("tioårigt") == "tio år" and stated("3-åriga") == "3 år" and stated("8 anbud") == "8 anbud"


def test_a_sentence_broken_by_a_page_runs_on():
    text = (CORPUS / "kungsbacka/ks/2025/2025-10-21/protokoll.md").read_text(encoding="utf-8")
    found = [s for s in passage_sentences(text) if "477 miljoner kronor" in s]
    assert found and all(s.startswith("Kommunens prognos för hela året") for s in found)
