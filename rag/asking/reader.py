"""The reader: the small LLM picks evidence sentences; code quotes and cites them.

A 1.5B model on two cores reads a short numbered list faster than 1,500 tokens of
passages, and a choice constrained by a JSON schema cannot invent a name or a number:
whatever it picks is a sentence of a cited passage.
"""
from __future__ import annotations

from .evidence import Evidence
from ..models import LLM
from .question import Question

SENTENCE_LIMIT = 8  # sentences shown when the model picks whole sentences
SELECT_SYSTEM = ("Du läser numrerade meningar ur kommunala beslutsdokument och anger vilka meningar som besvarar "
                 "frågan. Ange en eller två meningar. Om ingen mening besvarar frågan, ange en tom lista.")


def choose_sentences(llm: LLM, q: Question, evidence: list[Evidence], most: int = 2) -> list[Evidence]:
    """The evidence sentences the model says answer the question (none: the documents do not say)."""
    shown = evidence[:SENTENCE_LIMIT]
    if not shown:
        return []
    lines = "\n".join(f"[{i}] {' '.join(e.text.split())}" for i, e in enumerate(shown, 1))
    messages = [{"role": "system", "content": SELECT_SYSTEM},
                {"role": "user", "content": f"Meningar:\n{lines}\n\nFråga: {q.text}"}]
    schema = {"type": "object", "required": ["meningar"], "properties": {"meningar": {
        "type": "array", "maxItems": most, "items": {"type": "integer", "enum": list(range(1, len(shown) + 1))}}}}
    picked = (llm.json(messages, schema, max_tokens=30) or {}).get("meningar") or []
    return [shown[i - 1] for i in dict.fromkeys(picked) if isinstance(i, int) and 1 <= i <= len(shown)]
