"""Decision facts on the bundled corpus, record by record against what the documents say."""
from conftest import HANDLINGAR, KF8, KS16, KS_2025


def _names(f):
    return [p["name"] for p in f.persons]


def test_ks16_statements(facts):
    records, chunks = facts(KS16)
    st = [f for f in records if f.kind == "särskilt yttrande"]
    assert len(st) == 2
    mc, sd = st
    assert _names(mc) == ["John Eklöf", "Farishta Sulaiman", "Anton Sauer"] and mc.parties == ["M", "C"]
    assert mc.bilaga == "Bilaga 12" and mc.details["gemensamt"] is True and mc.details["inkommit"] is False
    assert _names(sd) == ["Magnus Olsson", "Anders Olin"] and sd.parties == ["SD"] and sd.bilaga == "Bilaga 13"
    assert sd.details["inkommit"] is True and sd.details["instämmande"] == [{"name": "Anders Pripp", "party": "SD"}]
    assert any("Bilaga 12" in chunks[c].locator for c in mc.chunk_ids)
    assert any("Anders Pripp" in chunks[c].text for c in sd.chunk_ids)
    underlag = {f.text: f.details["noter"] for f in records if f.kind == "beslutsunderlag"}
    miljo = next(n for t, n in underlag.items() if t.startswith("Beslut miljönämnden 250612 § 120"))
    assert miljo == [{"typ": "särskilt yttrande", "partier": ["SD", "V"]}]
    kf = next(n for t, n in underlag.items() if t.startswith("Beslut KF 240926 § 189"))
    assert kf == [{"typ": "reservation", "partier": ["SD"]}, {"typ": "särskilt yttrande", "partier": ["M", "C"]}]


def test_kf8_ocr_statement(facts):
    records, _ = facts(KF8)
    st = [f for f in records if f.kind == "särskilt yttrande"]
    assert st and st[0].parties == ["M", "C"] and st[0].bilaga == "Bilaga 12"
    assert _names(st[0]) == ["Farishta Sulaiman", "Kay Wictorin"]


def test_ks_211_reservation_vote_and_notes(facts):
    records, chunks = facts(KS_2025)
    p211 = [f for f in records if f.paragraf == "211"]
    res = [f for f in p211 if f.kind == "reservation"]
    assert len(res) == 1 and res[0].parties == ["V", "L", "C", "MP"]
    assert res[0].details == {"mot": "beslutet", "till förmån för": "egna yrkanden"}
    vote = next(f for f in p211 if f.kind == "omröstning")
    assert (vote.details["ja"], vote.details["nej"], vote.details["avstår"]) == (9, 6, 0)
    assert vote.details["beslutar enligt"] == "kommunstyrelsens arbetsutskotts förslag"
    assert vote.details["propositionsordning"][1] == "Nej-röst innebär att bifalla Magdalena Sundqvists (S) m.fl. yrkande"
    roll = {r["name"]: r["röst"] for r in vote.details["upprop"]}
    assert len(roll) == 15 and sum(v == "ja" for v in roll.values()) == 9 and roll["Maria Losman"] == "nej"
    assert any(chunks[c].section == "Omröstningsresultat" and "|" in chunks[c].text for c in vote.chunk_ids)
    notes = [f for f in p211 if f.kind == "protokollsanteckning"]
    assert [n.parties for n in notes] == [["SD"], ["L", "C"]]
    yrk = [f for f in p211 if f.kind == "yrkande"]
    assert [y.parties for y in yrk] == [["SD"], ["S", "L", "MP", "V", "C"]]


def test_ks_217_jav_and_roles(facts):
    records, _ = facts(KS_2025)
    jav = [f for f in records if f.kind == "jäv"]
    names = {p["name"] for f in jav for p in f.persons}
    assert names == {"Fredrik Hansson", "Niclas Nilsson"}
    roles = {f.details["roll"]: _names(f) for f in records if f.kind == "roll"}
    assert {k: v for k, v in roles.items() if k != "vice ordförande"} == {
        "ordförande": ["Lisa Andersson"], "justerare": ["Axel Storckenfeldt"], "sekreterare": ["Patrik Johansson"]}
    assert "Fredrik Hansson" in roles["vice ordförande"]  # 'Fredrik Hansson (C), 1:e vice ordförande


def test_namnd_protocols_in_handlingar(facts):
    records, _ = facts(HANDLINGAR)
    votes = {(f.organ, f.paragraf): f.details for f in records if f.kind == "omröstning"}
    assert (votes[("Nämnden för Teknik", "88")]["ja"], votes[("Nämnden för Teknik", "88")]["nej"]) == (4, 5)
    assert votes[("Nämnden för Teknik", "88")]["beslutar enligt"] == "Sverigedemokraternas förslag"
    assert (votes[("Nämnden för Kultur & Fritid", "80")]["ja"], votes[("Nämnden för Kultur & Fritid", "80")]["nej"]) == (4, 7)
    ifo = votes[("Nämnden för Individ & Familjeomsorg", "110")]
    assert (ifo["ja"], ifo["nej"], ifo["avstår"]) == (6, 3, 2)
    res = {f.paragraf: f.parties for f in records if f.kind == "reservation"}
    assert res == {"88": ["L", "S", "C", "V"], "80": ["S", "C", "V"], "110": ["SD"]}
    yrk = next(f for f in records if f.kind == "yrkande" and f.paragraf == "110" and "Tommy" in f.text)
    assert yrk.details["instämmande"] == [{"name": "Fredrika Albertsson", "party": "M"}, {"name": "My Clingston", "party": "KD"}]
