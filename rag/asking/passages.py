"""The passages a question is answered from, as the evidence, the answer and the citation check read them:
numbered, with their text and § title, split into sentences and list items, reduced to content terms."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..genre import GENERIC_ANSWER_WORDS, STOPWORDS
from ..normalize import fold
from ..parsing import cut_at_space

WORD = re.compile(r"[0-9a-zåäöéü§]+(?:[-:][0-9a-zåäö]+)*", re.I)
NAME = re.compile(r"\b[A-ZÅÄÖ][a-zåäöéü]+(?:[ -][A-ZÅÄÖ][a-zåäöéü]+)+\b")
_STOP = {fold(w) for w in STOPWORDS | GENERIC_ANSWER_WORDS}
# sentence ends, list items and the lines of a table cell ('<br>'); blank lines are decided in code
_PASSAGE_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"”(])|\n(?=[-•*|])|<br\s*/?>")
_BLANK = re.compile(r"\n\s*\n\s*")


@dataclass
class Passage:
    n: int  # the number shown to the model, 1-based
    chunk_id: str
    doc: str
    locator: str
    text: str  # original text, shown and quoted
    norm: str  # normalised text, compared
    title: str = ""  # the § title: what the passage is about when its own text does not say


def content_terms(text: str) -> set[str]:
    """Six-letter prefixes of the folded content words: a cheap, inflection-tolerant comparison."""
    out: set[str] = set()
    for w in WORD.findall(fold(text)):
        if w in _STOP or len(w) < 3:
            continue
        out.add(w[:6])
    return out


def names_in(text: str) -> list[str]:
    """Capitalised runs of two or more words: the persons (and companies) a sentence names."""
    return [m.group(0) for m in NAME.finditer(text)]


def passage_sentences(text: str) -> list[str]:
    """A passage's sentences and list items. A blank line ends one unless the text runs on across it
    (a page or a PDF's layout broke it: 'Med instämmande av ⏎⏎ Anders Pripp (SD)', '… för hela året
    ⏎⏎ uppgår till …')."""
    blocks: list[str] = []
    for block in _BLANK.split(text):
        last = blocks[-1].rstrip() if blocks else ""
        words = last.split()
        if last and (block[:1].islower() or last.endswith(",") or words and words[-1].lower() in STOPWORDS):
            blocks[-1] = f"{last} {block}"
        else:
            blocks.append(block)
    return [s.strip() for b in blocks for s in _PASSAGE_SENTENCE.split(b) if len(s.strip()) > 3]


def excerpt(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a space."""
    return text if len(text) <= limit else text[: cut_at_space(text, limit)] + " …"
