"""A question understood once: what kind of answer it expects, what it names, what it is about.

Retrieval scope, record fit, the reader's typed candidates and the refusal rule all
read this one analysis, so they cannot disagree about what was asked. How people
phrase questions is data in genre.toml.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..genre import (ANSWER_TYPES, BETECKNING, CONTENT_QUESTION, FOLLOW_UP, GENERIC_ORGAN, INTENT_WORD_PREFIXES, ITEMS,
                     MEETING_DATE_WORDS, MEETING_WORDS, MONTHS, ORGAN_ABBREV, ORGAN_NAMED, ORGANS_PLURAL, OUTCOMES,
                     PARTY_NAMES, PARTY_WORD, PERIOD_WORDS, PHRASING, QUESTION_REFS, RECORD_INTENTS, STOPWORDS,
                     SUBJECT_THIRD, iso_date, party_of_word)
from ..normalize import fold

_PERSON = re.compile(r"\b[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)? [A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?\b")
_PROPER = re.compile(r"(?<![\w-])(?:[A-ZÅÄÖ][\wåäöéü&-]*)")
_KNOWN_PARTY = re.compile(r"\b(" + "|".join(sorted(map(re.escape, PARTY_NAMES), key=len, reverse=True)) + r")(?::s|\b)")
_STOP_FOLDED = {fold(w) for w in STOPWORDS} | MEETING_WORDS
_PARTY_STEMS = [fold(v)[:-1] for v in PARTY_NAMES.values()]
_PARTY_NAME_WORDS = {w for v in PARTY_NAMES.values() if " " in v for w in fold(v).split()}  # 'feministiskt'


@dataclass(frozen=True)
class Question:
    text: str
    answer_type: str  # vote, duration, count, amount, date, party, person, organ, place, reason, yesno, punkt, list, content
    record: tuple[str, str | None] | None  # the kind of record that answers it (and the role, for roles)
    content: bool  # asks what a record or a document says ('Vad skriver …', 'Varför …')
    persons: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    organs: tuple[str, ...] = ()  # folded, as named: 'tekniska namnden'
    bodies: tuple[str, ...] = ()  # kinds of body named in the plural, every one of them: 'namnd' ('i nämnderna')
    paragraf: str | None = None
    bilaga: str | None = None
    beteckning: str | None = None  # a betänkande's '2010/11:AU1', as the report writes it
    beteckningar: tuple[str, ...] = ()  # … every one, when it names several ('Jämför 2010/11:AU1 och 2018/19:AU1')
    nummer: str | None = None  # 'reservation 3', 'särskilt yttrande 2'
    punkt: str | None = None  # 'punkt 7' of a committee's proposal
    dates: tuple[str, ...] = ()  # ISO dates named
    months: tuple[tuple[int, str | None], ...] = ()  # (month, year or None) named without a day
    years: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # other proper nouns: places, companies, projects ('Jönköping', 'Liljan')
    subject: str | None = None  # the name that acts, right after the verb: 'Hur dömde Förvaltningsrätten …'
    topic: frozenset[str] = frozenset()  # what it is about, beyond the kind of answer (folded, ≤12 letters)
    meeting_date: bool = False  # the date named is a meeting's ('på sitt sammanträde i mars 2021')
    item: str | None = None  # the kind of item whose §§ it lists ('Vilka motioner …'), genre.ITEMS
    outcome: str | None = None  # … and what was decided about them ('avslogs'), genre.OUTCOMES
    follow_up: bool = False

    @property
    def names_scope(self) -> bool:
        """Does the question name something a document must contain for it to be about it?"""
        return bool(self.organs or self.dates or self.months or self.paragraf or self.bilaga or self.persons
                    or self.names or self.beteckning)


MAX_QUESTION = 2000  # characters


# a terminal's escape sequences (colour, cursor): ESC or CSI, its parameters and its final letter
_TERMINAL_ESCAPE = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def check_question(text: str) -> str:
    """The question as it will be answered, or ValueError with a Swedish reason: a question must hold words.
    Zero-width and other invisible characters do not count, nor do brackets or backslashes alone."""
    text = _TERMINAL_ESCAPE.sub("", text or "")  # '\x1b[31m' whole, not its '[31m' left as words
    kept = (" " if unicodedata.category(ch)[0] == "Z" or ch in "\n\t" else ch for ch in text
            if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    visible = " ".join("".join(kept).split())
    if not visible:
        raise ValueError("Frågan är tom.")
    if len(visible) > MAX_QUESTION:
        raise ValueError(f"Frågan är för lång (högst {MAX_QUESTION} tecken).")
    if not re.search(r"[^\W\d_]{2}|\d", visible):
        raise ValueError("Frågan innehåller inga ord. Skriv frågan med bokstäver, till exempel "
                         "”Vem var ordförande?”")
    return visible


def analyze(text: str) -> Question:
    folded = fold(text)
    persons = people_in(text)
    dates, months = _dates(folded)
    organs = tuple(dict.fromkeys([m.group(0) for m in ORGAN_NAMED.finditer(folded) if not GENERIC_ORGAN.match(m.group(0))]
                                 + _abbreviated_organs(text)))
    paragraf = QUESTION_REFS["paragraf"].search(folded)
    bilaga = QUESTION_REFS["bilaga"].search(folded)
    bets = [m.group("bet") for m in BETECKNING.finditer(re.sub(r"\s*([/:])\s*", r"\1", text))]
    nummer = QUESTION_REFS["part_number"].search(folded)
    punkt = QUESTION_REFS["punkt"].search(folded)
    for bet in bets:  # the beteckning names the document, not the matter
        folded = folded.replace(fold(bet), " ")
    outcome = next((k for k, o in OUTCOMES.items() if o.asked.search(folded)), None)
    return Question(
        text=text,
        answer_type=answer_type(folded),
        record=record_intent(folded),
        content=bool(CONTENT_QUESTION.match(folded)),
        persons=tuple(persons),
        parties=tuple(parties_in(text)),
        organs=organs,
        bodies=tuple(dict.fromkeys(ORGANS_PLURAL.findall(folded))),
        paragraf=paragraf.group(1) if paragraf else None,
        bilaga=bilaga.group(1) if bilaga else None,
        beteckning=bets[0] if bets else None,
        beteckningar=tuple(dict.fromkeys(bets)) if len(set(bets)) > 1 else (),
        nummer=nummer.group(1) if nummer else None,
        punkt=punkt.group(1) if punkt else None,
        dates=dates,
        months=months,
        years=_years(folded),
        names=(names := _proper_names(text, persons, organs)),
        subject=_subject(text, names),
        topic=frozenset(topic_words(folded)),
        meeting_date=any(w in folded.split() for w in MEETING_DATE_WORDS),
        follow_up=bool(FOLLOW_UP.search(text)),
        item=_item(folded, outcome),
        outcome=outcome,
    )


def _item(folded: str, outcome: str | None) -> str | None:
    """The kind of item whose §§ a question lists; one that any § is ('ärenden') only with an outcome asked."""
    return next((k for k, kind in ITEMS.items() if kind.asked.search(folded) and (outcome or not kind.outcome)), None)


def answer_type(folded: str) -> str:
    if CONTENT_QUESTION.match(folded):
        return "reason" if QUESTION_REFS["reason"].match(folded) else "content"
    for kind, pattern in ANSWER_TYPES:
        if pattern.search(folded):
            return kind
    return "content"


def record_intent(folded: str) -> tuple[str, str | None] | None:
    """The kind of record the question is about; a content question ('Vad skriver …') reads its text."""
    for kind, role, pattern in RECORD_INTENTS:
        if pattern.search(folded):
            return kind, role
    return None


def _dates(folded: str) -> tuple[tuple[str, ...], tuple[tuple[int, str | None], ...]]:
    dates = re.findall(r"\b(?:19|20)\d\d-\d\d-\d\d\b", folded)
    month_words = "|".join(MONTHS)
    for m in re.finditer(rf"\b(\d{{1,2}}) ({month_words}) ((?:19|20)\d\d)\b", folded):
        dates.append(iso_date(m.group(0)))
    rest = re.sub(rf"\b\d{{1,2}} (?:{month_words}) (?:19|20)\d\d\b", " ", folded)
    # a period ('januari till augusti 2025') is what the answer is about, not when it was decided
    rest = re.sub(rf"\b(?:{month_words})\s*{PHRASING['month_range']}\s*(?:{month_words})(?: (?:19|20)\d\d)?", " ", rest)
    months = [(MONTHS.index(m.group(1)) + 1, m.group(2))
              for m in re.finditer(rf"\b({month_words})\b(?: ((?:19|20)\d\d)\b)?", rest)
              if not re.search(rf"\d{{1,2}} {m.group(1)}$", rest[:m.end(1)])]
    return tuple(dict.fromkeys(d for d in dates if d)), tuple(dict.fromkeys(months))


def _years(folded: str) -> tuple[str, ...]:
    """The years a question asks about: not a report's number ('SOU 2025:83') nor a range that names a plan
    ('avfallsplan 2021–2030'); a range after a period word is ('under 2024–2025')."""
    after_period = "".join(rf"(?<!\b{w} )" for w in PERIOD_WORDS)
    rest = re.sub(rf"{after_period}\b(?:19|20)\d\d\s*[–-]\s*(?:19|20)?\d\d\b(?![-–]\d)", " ", folded)
    return tuple(dict.fromkeys(re.findall(r"\b(?:19|20)\d\d\b(?![-:]\d)", rest)))


def _abbreviated_organs(text: str) -> list[str]:
    """'KF', 'KS', 'BUN' written in capitals name the organ they abbreviate ('kommunfullmaktige')."""
    return [fold(ORGAN_ABBREV[w.lower()]) for w in re.findall(r"\b[A-ZÅÄÖ]{2,5}\b", text) if w.lower() in ORGAN_ABBREV]


def _proper_names(text: str, persons: list[str], organs: tuple[str, ...]) -> tuple[str, ...]:
    """Capitalised words that are not the first word, a person, a party or an organ: 'Jönköping', 'Liljan', 'VIP'."""
    person_words = {w for p in persons for w in p.split()}
    out = []
    for m in _PROPER.finditer(text):
        word = m.group(0).strip("-")
        f = fold(word)
        if m.start() == 0 or word in person_words or f in _STOP_FOLDED or len(f) < 2:
            continue
        if word in PARTY_NAMES or party_of_word(word) or f in _PARTY_NAME_WORDS or any(f.startswith(p) for p in _PARTY_STEMS if len(p) > 4):
            continue
        if word.isupper() and f in ORGAN_ABBREV:
            continue  # 'KF': an organ, not a name
        if any(f in o.split() for o in organs) or ORGAN_NAMED.fullmatch(f) or f in {"bilaga", "ab"}:
            continue
        out.append(word)
    return tuple(dict.fromkeys(out))


def _subject(text: str, names: tuple[str, ...]) -> str | None:
    """The name a wh-question puts right after its verb, the one that acts ('Hur dömde Förvaltningsrätten …')."""
    words = text.split()
    if len(words) > 2 and fold(words[0]) in SUBJECT_THIRD and words[2].strip(",.?!") in names:
        return words[2].strip(",.?!")
    return None


def topic_words(folded: str) -> set[str]:
    """What a question is about, beyond the kind of answer it asks for: 'avfallstaxan', '2026', 'mars'."""
    parties = {fold(v) for v in PARTY_NAMES.values()} | {k.lower() for k in PARTY_NAMES}
    out = set()
    for w in re.findall(r"[0-9a-zåäöéü]+", folded):
        if w in _STOP_FOLDED:
            continue
        if w.startswith(INTENT_WORD_PREFIXES) and not w.isdigit() or any(w.startswith(p[:-1]) for p in parties if len(p) > 3):
            continue
        if len(w) >= 4 or w.isdigit() and len(w) >= 2 or w in MONTHS:
            out.add(w[:12])
    return out


def people_in(text: str) -> list[str]:
    """Person names a question mentions ('Johan Tolinsson'); not 'Har Moderaternas' or 'Vilka Sverigedemokrater'."""
    out = []
    for m in _PERSON.finditer(text):
        if re.search(r"(?:^|[.?!:]\s+)$", text[:m.start()]) and " " not in m.group(0).split(" ", 1)[1]:
            continue  # 'Ska Göteborgs stad …': a sentence's first word is capitalised, not a name
        words = [fold(w) for w in m.group(0).split()]
        with_party = re.match(r"\s*\([A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5}\)", text[m.end():])  # 'Hans Arby (C)'
        if words[0] in _STOP_FOLDED and not with_party or any(w.startswith(p[:8]) for w in words for p in _PARTY_STEMS):
            continue
        if QUESTION_REFS["company_after"].match(text[m.end():]):
            continue  # 'Derome Bostad AB' is a company
        out.append(m.group(0))
    return out


def parties_in(text: str) -> list[str]:
    """Parties a question names, by abbreviation '(SD)'/'SD:s' or by name 'Sverigedemokraternas'."""
    found = [party_of_word(m.group(1)) for m in PARTY_WORD.finditer(text)]
    found += _KNOWN_PARTY.findall(text)
    return [p for p in dict.fromkeys(found) if p]


@dataclass(frozen=True)
class Asked:
    """A question understood: what it asks, what is searched (a follow-up with the question before it), and
    what the scope reads (the search understood, when it is more than the question)."""
    text: str
    q: Question
    query: str
    named: Question


def understand(question: str, history: list[tuple[str, str]] | None = None) -> Asked:
    """The stage's one entry: the question checked (ValueError with a Swedish reason) and understood once."""
    text = check_question(question)
    q = analyze(text)
    query = f"{q.text} {history[-1][0]}" if history and q.follow_up else q.text
    return Asked(text, q, query, analyze(query) if query != text else q)
