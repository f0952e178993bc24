"""The reader: the small LLM chooses among values that code found in the evidence; code writes the answer.

A 1.5B model on two cores reads a short numbered list far better (and faster) than
1,500 tokens of passages, and a choice constrained by a JSON schema cannot invent a
number: whatever it picks is a value that a cited sentence states.
"""
from __future__ import annotations

from .evidence import Evidence
from .llm import LLM
from .question import Question

NONE = "inget av dem"
SYSTEM = ("Du läser numrerade meningar ur kommunala beslutsdokument och väljer det värde som besvarar frågan. "
          "Välj bara ett värde som står i meningarna. Om ingen mening besvarar frågan, välj \"" + NONE + "\".")
READ_LIMIT = 5  # sentences with values shown to the model
SENTENCE_LIMIT = 8  # sentences shown when the model picks whole sentences
SELECT_SYSTEM = ("Du läser numrerade meningar ur kommunala beslutsdokument och anger vilka meningar som besvarar "
                 "frågan. Ange en eller två meningar. Om ingen mening besvarar frågan, ange en tom lista.")


def choose_value(llm: LLM, q: Question, evidence: list[Evidence]) -> tuple[Evidence, str] | None:
    """(sentence, value) the model picked among the typed evidence; None when it picked none."""
    shown = [e for e in evidence if e.values][:READ_LIMIT]
    if not shown:
        return None
    options = list(dict.fromkeys(" ".join(v.split()) for e in shown for v in e.values))
    lines = "\n".join(f"[{i}] {' '.join(e.text.split())}" for i, e in enumerate(shown, 1))
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Meningar:\n{lines}\n\nFråga: {q.text}"}]
    schema = {"type": "object", "properties": {"svar": {"type": "string", "enum": options + [NONE]}},
              "required": ["svar"]}
    picked = (llm.json(messages, schema, max_tokens=40) or {}).get("svar")
    if not picked or picked == NONE:
        return None
    for e in shown:
        if any(" ".join(v.split()) == picked for v in e.values):
            return e, picked
    return None


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
