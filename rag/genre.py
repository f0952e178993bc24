"""The genre's vocabulary (genre.toml) as ready-to-use lookups and patterns.

Everything a parser or a fact rule needs to know about how Swedish decision
documents are worded lives in genre.toml; this module only compiles it, so
that one more body's wording is a data change.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from .normalize import fold

_DATA = tomllib.loads((Path(__file__).with_name("genre.toml")).read_text(encoding="utf-8"))


def _compile_all(patterns: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


# --- parties -------------------------------------------------------------------------------------------
PARTY_NAMES: dict[str, str] = dict(_DATA["parties"])
_PARTY_BY_WORD: dict[str, str] = {fold(name): abbr for abbr, name in PARTY_NAMES.items()}
_PARTY_SPELLINGS = {name.lower() for name in PARTY_NAMES.values()}
for _abbr, _names in _DATA["party_aliases"].items():
    for _name in _names:
        _PARTY_BY_WORD[fold(_name)] = _abbr
        _PARTY_SPELLINGS.add(_name.lower())
# The party word in running text, as written or folded: 'Sverigedemokraterna', 'Moderaternas', 'Vänsterpartiet'.
PARTY_WORD = re.compile(r"\b(" + "|".join(sorted((re.escape(n) for n in _PARTY_SPELLINGS | set(_PARTY_BY_WORD)),
                                                  key=len, reverse=True)) + r")(?:s)?\b", re.I)
# What may stand in parentheses after a member's name: a known abbreviation, or any short upper-case one.
PARTY_ABBR = r"(?:" + "|".join(sorted(PARTY_NAMES, key=len, reverse=True)) + r"|[A-ZÅÄÖ]{1,6}|[A-ZÅÄÖ][a-zåäö]{1,4})"
_NAME_WORD = r"[A-ZÅÄÖÉŠ][\w'’\-ÅÄÖåäöéšćńłüÉ]{1,40}"  # bounded: a run of letters is no name
# 'Anna Carlsson (S)', 'Anna-Karin Carstensen (L)', 'Ewa-Leena Johansson ( S )'
PERSON = re.compile(rf"({_NAME_WORD}(?:[ \-](?:(?:von|af|de|van|der) )?{_NAME_WORD}){{0,3}})\s*,?\s*\(\s*({PARTY_ABBR})\s*\)")
# A name alone: two to four capitalised words ('Anna Engström', 'Lina Ekeroth Sandqvist').
NAME = re.compile(rf"{_NAME_WORD}(?: (?:(?:von|af|de|van|der) )?{_NAME_WORD}){{1,3}}")
# Riksdagen writes parties in lower case after names: 'Ylva Johansson (s)', '(s, v, mp)'. The same
# length in upper case, so that offsets into the line stay exact.
_LOWER_CODE = "|".join(sorted((re.escape(a.lower()) for a in PARTY_NAMES), key=len, reverse=True))
_LOWER_PARTIES = re.compile(rf"(?<=[\w.)])(\s?\(\s*)((?:{_LOWER_CODE})(?:\s*(?:,|och)\s*(?:{_LOWER_CODE}))*)(\s*\))")


def party_case(line: str) -> str:
    return _LOWER_PARTIES.sub(lambda m: m.group(1) + m.group(2).replace("och", "\0").upper().replace("\0", "och")
                              + m.group(3), line) if "(" in line else line


# Party groups as documents write them: '(M+C)', 'partigrupp M, KD, L och C', 'KD och M:s'
PARTY_GROUP = re.compile(rf"\(({PARTY_ABBR}(?:\s*[+/,]\s*{PARTY_ABBR})+)\)")
_LIST_ABBR = r"(?:" + "|".join(sorted(PARTY_NAMES, key=len, reverse=True)) + r"|[A-ZÅÄÖ]{1,6})"
PARTY_LIST = re.compile(
    rf"(?:partigrupp(?:erna)?\s+)?(?<![\w(])({_LIST_ABBR})((?:\s*,\s*{_LIST_ABBR})*)(?:\s+och\s+({_LIST_ABBR}))?(?::s)?(?=\s+(?:reserver|avstår|deltar|yrkar|lämnar|föreslår|anser|vill|röstar|instämmer|antecknar))"
)


def party_name(abbr: str) -> str:
    """'SD' -> 'Sverigedemokraterna'; an unknown abbreviation is returned as written."""
    return PARTY_NAMES.get(abbr) or PARTY_NAMES.get(abbr.upper()) or abbr


def party_of_word(word: str) -> str | None:
    """'Sverigedemokraternas' or 'moderata samlingspartiet' -> its abbreviation."""
    key = fold(word).strip()
    return _PARTY_BY_WORD.get(key) or _PARTY_BY_WORD.get(key[:-1] if key.endswith("s") else key)


def is_known_party(abbr: str) -> bool:
    return abbr in PARTY_NAMES or abbr.upper() in PARTY_NAMES


# --- organs --------------------------------------------------------------------------------------------
ORGAN_ABBREV: dict[str, str] = dict(_DATA["organ_abbreviations"])
_ORGANS = _DATA["organs"]
_SUFFIX = "|".join(_ORGANS["suffixes"])
_ORGAN_PATTERN = (
    r"(?:" + "|".join(sorted(map(re.escape, _ORGANS["names"]), key=len, reverse=True))
    + r"|(?:" + "|".join(map(re.escape, _ORGANS["prefixes"])) + r") [A-ZÅÄÖ][\wåäöÅÄÖ&,\- ]{2,50}?(?=\s*(?:$|\d|SAMMANTR|PROTOKOLL|Datum|\s{2}))"
    + r"|(?:[A-ZÅÄÖ][a-zåäö]*-(?:, [a-zåäö]+-)* (?:och|&) [a-zåäö]*|[A-ZÅÄÖ][a-zåäö]+a |[A-ZÅÄÖ][a-zåäö]+)(?:" + _SUFFIX + r"))"
)
ORGAN_LINE = re.compile(rf"^({_ORGAN_PATTERN})\s*$")
ORGAN_IN_LINE = re.compile(rf"(?<![\wåäö])({_ORGAN_PATTERN})(?![\wåäö])")
_GENERIC = {fold(s) for s in _ORGANS["suffixes"]} | {"nämnden", "styrelsen"}


def organ_in(text: str) -> str | None:
    """The first organ named in a header line ('JÖNKÖPINGS KOMMUN Barn- och utbildningsnämnden')."""
    for m in ORGAN_IN_LINE.finditer(text):
        name = m.group(1).strip()
        if fold(name) not in _GENERIC and len(name) > 6:
            return name
    return None


def organ_from_value(value: str) -> str | None:
    """Front matter or a folder name: 'ks' -> 'Kommunstyrelsen'; a full organ name stays as it is."""
    value = " ".join(str(value).split())
    if not value:
        return None
    if value.lower() in ORGAN_ABBREV:
        return ORGAN_ABBREV[value.lower()]
    return organ_in(value[:1].upper() + value[1:])


# organs as a question (folded) names them: 'barn- och utbildningsnamnden', 'tekniska namnden',
# 'namnden for vard & omsorg', 'arbetsutskottets'; a bare 'namnden' names no organ in particular
_ORGAN_SUFFIX = "(?:" + "|".join(_ORGANS["question_stems"]) + ")"
ORGAN_NAMED = re.compile(
    rf"\b{_ORGAN_SUFFIX}(?:en|et) for [a-z]+(?: (?:&|och) [a-z]+)?"
    rf"|\b(?:[a-z]+- (?:och|&) )?[a-z]*{_ORGAN_SUFFIX}[a-z]*"
    rf"|\b(?!(?:{'|'.join(_ORGANS['not_names'])})\b)[a-z]+a {_ORGAN_SUFFIX}[a-z]*")
GENERIC_ORGAN = re.compile(rf"^(?!(?:{'|'.join(_ORGANS['named_alone'])})$){_ORGAN_SUFFIX}(?:en|et|ens|ets|er|erna|ernas|s)?$")


ORGANS_PLURAL = re.compile(rf"\b({_ORGAN_SUFFIX})(?:{'|'.join(_ORGANS['plural_endings'])})\b")


def organ_key(phrase: str) -> tuple[str, frozenset[str]]:
    """('namnd', {'teknisk'}) for 'tekniska nämnden': the kind of body and the words that tell it apart."""
    f = fold(phrase)
    kind = re.findall(_ORGAN_SUFFIX, f)
    kind = kind[-1] if kind else ""
    words = set()
    for w in re.findall(r"[a-z]+", re.sub(rf"{_ORGAN_SUFFIX}[a-z]*", " ", f)):
        if w not in _ORGANS["question_joiners"] and len(w) >= 3:
            words.add(w[:-1] if w.endswith(("a", "s")) and len(w) > 5 else w)
    return kind, frozenset(words)


def organs_in(text: str) -> list[str]:
    """Every specific organ a (folded) text names, as phrases."""
    return [m.group(0) for m in ORGAN_NAMED.finditer(fold(text)) if not GENERIC_ORGAN.match(m.group(0))]


def same_organ(named: str, other: str) -> bool:
    """'tekniska nämnden' ~ 'Nämnden för Teknik'; 'arbetsutskottets' ~ 'Kommunstyrelsens arbetsutskott'."""
    kind, words = organ_key(named)
    phrases = organs_in(other) or [other]
    okind, owords = organ_key(phrases[-1])  # the head: 'Kommunstyrelsens arbetsutskott' is an utskott
    if kind != okind:
        return False
    return all(any(stem_match(w, o) for o in owords) for w in words)


def stem_match(a: str, b: str) -> bool:
    n = min(len(a), len(b), 5)
    return a == b if n < 4 else a[:n] == b[:n]


FRONT_MATTER: dict[str, list[str]] = {k: [fold(x) for x in v] for k, v in _DATA["front_matter"].items()}


def front_matter_value(meta: dict, field: str) -> str | None:
    """The value of the first front-matter key that means `field` ('organ', 'date', 'title')."""
    folded = {fold(str(k)): v for k, v in (meta or {}).items()}
    for key in FRONT_MATTER[field]:
        value = folded.get(key)
        if value not in (None, ""):
            return str(value)
    return None


BANNER = re.compile("(" + "|".join(_DATA["banner"]["words"]) + ")")

# --- sections, cover page, roles -------------------------------------------------------------------------
SECTIONS: dict[str, str | None] = {k: (v or None) for k, v in _DATA["sections"].items()}
SECTION_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(k), v) for k, v in _DATA["section_patterns"].items()]
# question words (folded) -> the sections that answer them (retrieval's structure bonus)
SECTION_INTENTS: list[tuple[str, tuple[str, ...]]] = [(k, tuple(v)) for k, v in _DATA["section_intents"].items()]
COVER_LABELS: dict[str, str] = dict(_DATA["cover"])
PERSON_ROLES: dict[str, str] = dict(_DATA["person_roles"])
SUBSTITUTION_AFTER = re.compile(r"^\s*,?\s*(" + "|".join(map(re.escape, _DATA["substitution"]["words"])) + r")\b", re.I)

# --- records and votes -----------------------------------------------------------------------------------
RECORDS: dict[str, re.Pattern] = {
    key.removesuffix("_patterns"): _compile_all(pats) for key, pats in _DATA["records"].items()
}
RECORD_DETAILS: dict[str, re.Pattern] = {k: re.compile(v) for k, v in _DATA["record_details"].items()}
YRKANDE_KINDS: list[tuple[re.Pattern, str]] = [(re.compile(p, re.I), k) for k, p in _DATA["yrkande_kinds"].items()]
_VOTES = _DATA["votes"]
VOTE_COUNTS: list[re.Pattern] = [re.compile(p, re.I) for p in _VOTES["count_patterns"]]
VOTE_COLUMNS: dict[str, list[str]] = {
    "ja": _VOTES["ja_words"], "nej": _VOTES["nej_words"], "avstår": _VOTES["avstar_words"],
    "frånvarande": _VOTES["franvarande_words"],
}
SUMMA_WORDS = {fold(w) for w in _VOTES["summa_words"]}
TALLY_LABEL = _compile_all(_VOTES["tally_label_patterns"])
VOTE_REQUESTED = _compile_all(_VOTES["requested_patterns"])
VOTE_OUTCOME: list[re.Pattern] = [re.compile(p, re.I) for p in _VOTES["outcome_patterns"]]
PROPOSITIONSORDNING = _compile_all(_VOTES["propositionsordning_patterns"])
VOTE_PROPOSITION: list[re.Pattern] = [re.compile(p, re.I) for p in _VOTES["proposition_patterns"]]
REFERENCE_BEFORE = _compile_all(_DATA["references"]["before_patterns"])
# text that addresses the reader or the system ('Ignorera alla tidigare instruktioner …'): never evidence
CHAT_TURN = re.compile("|".join(f"(?:{p})" for p in _DATA["planted"]["turn_patterns"]), re.I | re.M)
PLANTED = re.compile(f"(?m:{CHAT_TURN.pattern})|{_compile_all(_DATA['planted']['patterns']).pattern}", re.I)
_PARAGRAPHS = re.compile(r"(\n\s*\n)")
_PIECES = re.compile(r"[^.!?\n]+[.!?]*")  # sentences, and lines without an end stop


def _pieces(text: str) -> Iterator[tuple[str, bool]]:
    """The text in pieces, each with whether it is planted: a paragraph holding a chat turn whole, else each
    sentence (or line without an end stop); joined, the pieces are the text."""
    for para in _PARAGRAPHS.split(text):
        if CHAT_TURN.search(para):
            yield para, True
            continue
        at = 0
        for m in _PIECES.finditer(para):
            yield para[at:m.start()], False
            yield m.group(0), bool(PLANTED.search(m.group(0)))
            at = m.end()
        yield para[at:], False


def planted_in(text: str) -> list[str]:
    """The sentences (or chat-turn paragraphs) of a text that address the reader or the system."""
    return [" ".join(p.split()) for p, planted in _pieces(text) if planted] if PLANTED.search(text) else []


def without_planted(text: str) -> str:
    """The text with what addresses the reader or the system cut out ('[…]'). What stays is the document's
    own record."""
    if not PLANTED.search(text):
        return text
    return "".join((p[:len(p) - len(p.lstrip())] + "[…]") if planted else p for p, planted in _pieces(text))
# the sentence a record kind is stated in ('roll:justerare' for a role), for the reading path
KIND_SENTENCE: dict[str, re.Pattern] = {kind: _compile_all(pats) for kind, pats in _DATA["reading"].items()}


@lru_cache(maxsize=64)
def vote_column(header: str) -> str | None:
    """'Ja-röst' -> 'ja', 'Avstår från att rösta' -> 'avstår', 'Ledamot' -> None."""
    h = fold(header.strip().strip("*: ")).replace("-", " ")
    for column, words in VOTE_COLUMNS.items():
        if any(h == fold(w).replace("-", " ") or h.startswith(fold(w).replace("-", " ") + " ") for w in words):
            return column
    return None


# --- titles and dates in words ------------------------------------------------------------------------------
TITLE_ORGAN: list[re.Pattern] = [re.compile(p) for p in _DATA["titles"]["organ_patterns"]]
DATE_IN_WORDS: list[re.Pattern] = [re.compile(p) for p in _DATA["titles"]["date_patterns"]]
MONTHS: list[str] = _DATA["titles"]["months"]
TITLE_OPEN_ENDS: set[str] = set(_DATA["titles"]["open_ends"])
TITLE_OPEN_INFINITIVE: set[str] = set(_DATA["titles"]["open_infinitive"])


def iso_date(words: str) -> str | None:
    """'30 november 2010' -> '2010-11-30'."""
    m = re.fullmatch(r"(\d{1,2}) ([a-zåäö]+) (\d{4})", words.strip().lower())
    if not m or m.group(2) not in MONTHS:
        return None
    return f"{m.group(3)}-{MONTHS.index(m.group(2)) + 1:02d}-{int(m.group(1)):02d}"


def date_in_words(iso: str) -> str:
    """'2024-09-11' -> '11 september 2024': how the text and the questions write a date."""
    return f"{int(iso[8:10])} {MONTHS[int(iso[5:7]) - 1]} {iso[:4]}"


# --- how questions are asked ----------------------------------------------------------------------------------
_Q = _DATA["questions"]
QUESTION_REFS: dict[str, re.Pattern] = {k: re.compile(v) for k, v in _DATA["question_refs"].items()}
ANSWER_TYPES: list[tuple[str, re.Pattern]] = [(t, re.compile(p)) for t, p in _Q["answer_types"]]
CONTENT_QUESTION = _compile_all(_Q["content_patterns"])
RECORD_INTENTS: list[tuple[str, str | None, re.Pattern]] = [
    (kind, role or None, re.compile(p)) for kind, role, p in _Q["record_intents"]]
INTENT_WORD_PREFIXES: tuple[str, ...] = tuple(_Q["intent_word_prefixes"])
SUBJECT_THIRD: set[str] = set(_Q["subject_third"])
PERIOD_WORDS: list[str] = _Q["period_words"]
MEETING_WORDS: set[str] = set(_Q["meeting_words"])
MEETING_DATE_WORDS: set[str] = set(_Q["meeting_date_words"])
MAIN_VOTE_WORDS: set[str] = set(_Q["main_vote_words"])
FOLLOW_UP = re.compile(_Q["follow_up"], re.I)
DECISION_SECTION: str = _Q["decision_section"]

# --- how answers are written ------------------------------------------------------------------------------------
_A = _DATA["answers"]
NUMBER_VALUES: dict[str, int] = dict(_DATA["numbers"])  # 'tolv' -> 12
NUMBER_WORDS: list[str] = list(NUMBER_VALUES)
AMOUNT_UNITS: list[str] = _A["amount_units"]
TIME_UNITS: list[str] = _A["time_units"]
KRONOR_SCALES: dict[str, int] = dict(_A["kronor_scales"])
MEASURE_UNITS: list[str] = _A["measure_units"]
MONEY_WORDS: tuple[str, ...] = tuple(_A["money_words"])
SHARE_WORDS: tuple[str, ...] = tuple(_A["share_words"])
GENERIC_ANSWER_WORDS: set[str] = set(_A["generic_words"])
RELATION_WORDS: tuple[str, ...] = tuple(_A["relation_words"])
PROCEDURE_ACTS: tuple[str, ...] = tuple(_A["procedure_acts"])
PROCEDURE_WORDS: tuple[str, ...] = PROCEDURE_ACTS + tuple(_A["procedure_bodies"])

# --- phrasings the parsers and the answer steps read (regular expressions; the code adds its flags) ----------------
PHRASING: dict[str, str] = {k: v for k, v in _DATA["phrasings"].items() if isinstance(v, str)}
PLACE_NOT: set[str] = set(_DATA["phrasings"]["place_not"])
PERIODS: str = "|".join(_DATA["phrasings"]["periods"])
LATER_MEETING = re.compile(_DATA["phrasings"]["later_meeting"])
COUNT_QUESTION_NOT: set[str] = set(_DATA["phrasings"]["count_question_not"])

# --- searching and explaining ------------------------------------------------------------------------------------
STOPWORDS: set[str] = set(_DATA["search"]["stopwords"])
QUERY_SYNONYMS: dict[str, str] = dict(_DATA["search"]["synonyms"])  # question word -> the documents' words
GLOSSARY: dict[str, str] = dict(_DATA["glossary"])  # a term -> its plain-language explanation

# --- how code states a record and quotes a passage in an answer (format strings) ----------------------------------
SAY: dict[str, str] = {k: v for k, v in _DATA["sentences"].items() if isinstance(v, str)}
VOTE_COUNT_WORDS: dict[str, str] = dict(_DATA["sentences"]["vote_counts"])
KIND_PLURAL: dict[str, str] = dict(_DATA["sentences"]["kind_plural"])
KIND_ONE: dict[str, str] = dict(_DATA["sentences"]["kind_one"])
ACROSS = re.compile("|".join(_DATA["across"]["patterns"]))
ASKS_ONE = re.compile(_DATA["across"]["singular"])
IN_ALL = re.compile(_DATA["across"]["in_all"])
MANY_ASKED = re.compile(_DATA["across"]["many_asked"])
DECISIONS_AND = re.compile(_DATA["across"]["decisions_and"])
COMPARED = re.compile(_DATA["across"]["compared"])
SUM_ASKED = re.compile(_DATA["across"]["sum_asked"])
NOT_MATTER: set[str] = set(_DATA["across"]["not_matter"])
PARTY_ACTS = re.compile("|".join(_DATA["across"]["party_acts"]))
PARTY_ACT_KINDS: list[str] = list(_DATA["across"]["party_act_kinds"])
MATTER_ASKED = re.compile("|".join(_DATA["across"]["matter_patterns"]))

@dataclass(frozen=True)
class ItemKind:
    """A kind of item a § title names ('Motion av …'): how a question asks for it, how a title opens."""
    asked: re.Pattern
    title: re.Pattern
    one: str
    many: str
    the_many: str
    outcome: bool = False  # named only together with an outcome ('Vilka ärenden återremitterades …')


@dataclass(frozen=True)
class Outcome:
    """What a decision did with its item: as a question asks it, as the decision says it, as an answer names it."""
    asked: re.Pattern
    decided: re.Pattern
    noun: str
    beside: bool = False  # not one of a decision's rival outcomes: any decision that says it has it
    not_by: str = ""  # (folded) a body whose decisions never have it: fullmäktige proposes nothing to itself


ITEMS: dict[str, ItemKind] = {k: ItemKind(re.compile(v["asked"]), re.compile(v["title"]), v["one"], v["many"],
                                       v["the_many"], v.get("outcome", False))
                              for k, v in _DATA["items"].items()}
OUTCOMES: dict[str, Outcome] = {k: Outcome(re.compile(v["asked"]), re.compile(v["decided"]), v["noun"],
                                         v.get("beside", False), v.get("not_by", ""))
                                for k, v in _DATA["outcomes"].items()}


def decided_as(decision: str, outcome: str, organ: str | None = None) -> bool:
    """Did the body's decision have the outcome? Of the rival outcomes, the one it states first counts ('Motionen
    avslås. Tidigare behandling: Bordlagt …' was rejected, not tabled); one `beside` them counts wherever it stands."""
    folded = fold(decision)
    if OUTCOMES[outcome].not_by and OUTCOMES[outcome].not_by in fold(organ or ""):
        return False
    if OUTCOMES[outcome].beside:
        return bool(OUTCOMES[outcome].decided.search(folded))
    found = [(m.start(), name) for name, o in OUTCOMES.items() if not o.beside and (m := o.decided.search(folded))]
    return bool(found) and min(found)[1] == outcome


# --- matters: a § naming an earlier step of its matter -----------------------------------------------------------
MATTER_REFERENCES: list[re.Pattern] = [re.compile(p) for p in _DATA["matters"]["references"]]
MORE_REFERENCE = re.compile(_DATA["matters"]["more_reference"])
STEP_DONE = re.compile(_DATA["matters"]["step_done"])
LAST_DECISION_ASKED = re.compile(_DATA["matters"]["last_decision_asked"])
STANDING_TITLES: set[str] = set(_DATA["matters"]["standing_titles"])
NOT_DIARIENUMMER: set[str] = set(_DATA["matters"]["not_diarienummer"])
GENITIVE_ORGAN = re.compile(_DATA["matters"]["genitive"])
NUMBER_YEAR = re.compile(_DATA["matters"]["number_year"])

# --- Riksdagen's betänkanden ----------------------------------------------------------------------------------
_B = _DATA["betankande"]
BET_TITLE = re.compile(_B["title_pattern"], re.I)
BETECKNING = re.compile(_B["beteckning_pattern"])


def beteckning_key(text: str) -> str:
    """'2010/11 : AU1', 'bet. 2010/11:au1' -> '2010/11:au1': how a beteckning is compared (also inside a locator)."""
    return re.sub(r"^bet\.?|\s+", "", fold(text))
BET_CONTENTS: set[str] = set(_B["contents"])
BET_PARTS: dict[str, str] = _B["parts"]
BET_PHRASE: dict[str, re.Pattern] = {k: re.compile(v, re.I) for k, v in _B["phrases"].items()}


def party_code(word: str) -> str | None:
    """A party as Riksdagen's lists write it — '(s)', 'mp', 'S' — as the abbreviation protocols use."""
    word = word.strip().strip(".")
    if word.upper() in PARTY_NAMES:
        return word.upper()
    return party_of_word(word)
