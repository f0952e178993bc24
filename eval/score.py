"""Scoring by the rules of EVAL-FORMAT.md: fact matching, source matching, per-question scores, metrics.

Independent of the system under test: it reads plain answer dicts (`answer`,
`refused`, `citations`, `retrieved`), so hand-made answers can be scored too.
"""
from __future__ import annotations

import json
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

_AAO = str.maketrans({"å": "a", "ä": "a", "ö": "o"})
RECALL_K = (1, 5, 10)


class QuestionSetError(ValueError):
    """A question file that does not follow the format; str() names the file, line and field."""


def norm(text: str) -> str:
    """NFC, lower case, every run of white space folded to one space."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def contains(haystack: str, needle: str) -> bool:
    """`needle` in `haystack` under the format's rules: once as is, once with å/ä→a, ö→o on both sides."""
    h, n = norm(haystack), norm(needle)
    return n in h or n.translate(_AAO) in h.translate(_AAO)


@dataclass
class Source:
    doc: str
    where: str = ""

    def matches(self, item: dict) -> bool:
        """A citation or retrieved passage (with `doc` and `locator`) at this source."""
        return contains(item.get("doc", ""), self.doc) and (not self.where.strip()
                                                             or contains(item.get("locator", ""), self.where))


@dataclass
class Question:
    id: str
    question: str
    answerable: bool
    facts: list[list[str]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    category: str = ""  # optional, not in the format: only groups the report


def load_questions(path: Path) -> list[Question]:
    """Read a JSON Lines question set; QuestionSetError names the line and field of the first problem."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"{path}: cannot read ({exc})") from exc
    out: list[Question] = []
    seen: set[str] = set()
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise QuestionSetError(f"{where}: a line must be a JSON object")
        qid, text, answerable = row.get("id"), row.get("question"), row.get("answerable")
        if not isinstance(qid, str) or not qid:
            raise QuestionSetError(f"{where}: field 'id' must be a non-empty string")
        if qid in seen:
            raise QuestionSetError(f"{where}: id '{qid}' is used twice")
        seen.add(qid)
        if not isinstance(text, str) or not text.strip():
            raise QuestionSetError(f"{where}: field 'question' must be a non-empty string")
        if not isinstance(answerable, bool):
            raise QuestionSetError(f"{where}: field 'answerable' must be true or false")
        facts = row.get("facts", [])
        if not isinstance(facts, list) or not all(
                isinstance(f, list) and f and all(isinstance(a, str) and a.strip() for a in f) for f in facts):
            raise QuestionSetError(f"{where}: field 'facts' must be a list of non-empty lists of strings")
        sources = row.get("sources", [])
        if not isinstance(sources, list) or not all(
                isinstance(s, dict) and isinstance(s.get("doc"), str) and s["doc"].strip()
                and isinstance(s.get("where", ""), str) for s in sources):
            raise QuestionSetError(f"{where}: field 'sources' must be a list of {{\"doc\": str, \"where\": str}}")
        out.append(Question(qid, text, answerable, facts, [Source(s["doc"], s.get("where", "")) for s in sources],
                            str(row.get("category", ""))))
    if not out:
        raise QuestionSetError(f"{path}: no questions")
    return out


def score_one(q: Question, answer: dict) -> dict:
    """The per-question scores that the metrics average."""
    text = answer.get("answer", "")
    refused = bool(answer.get("refused"))
    citations = answer.get("citations", [])
    retrieved = answer.get("retrieved", [])
    present = [any(contains(text, alt) for alt in fact) for fact in q.facts]
    fact_share = sum(present) / len(present) if present else 1.0  # no facts listed: nothing can be missing
    cited_ok = [any(s.matches(c) for s in q.sources) for c in citations]
    first_hit = next((i for i, r in enumerate(retrieved) if any(s.matches(r) for s in q.sources)), None)
    return {
        "answerable": q.answerable, "refused": refused,
        "facts_present": present, "fact_recall": fact_share,
        "exact": q.answerable and not refused and all(present),
        "citation_hit": any(cited_ok), "citations_matching": sum(cited_ok), "citations": len(citations),
        "first_retrieved_hit": first_hit,
        **{f"recall@{k}": first_hit is not None and first_hit < k for k in RECALL_K},
    }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = p * (len(ordered) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def metrics(scores: list[dict], latencies: list[float]) -> dict:
    """The format's metrics; None where a metric has no question to average over."""
    ans = [s for s in scores if s["answerable"]]
    unans = [s for s in scores if not s["answerable"]]
    n_cit = sum(s["citations"] for s in ans)
    out = {
        "n": len(scores), "answerable": len(ans), "unanswerable": len(unans),
        "fact_recall": _mean([s["fact_recall"] for s in ans]),
        "exact": _mean([float(s["exact"]) for s in ans]),
        "citation_hit": _mean([float(s["citation_hit"]) for s in ans]),
        "citation_precision": sum(s["citations_matching"] for s in ans) / n_cit if n_cit else (0.0 if ans else None),
        **{f"retrieval_recall@{k}": _mean([float(s[f"recall@{k}"]) for s in ans]) for k in RECALL_K},
        "false_refusal": _mean([float(s["refused"]) for s in ans]),
        "refusal_accuracy": _mean([float(s["refused"]) for s in unans]),
        "latency_p50_s": percentile(latencies, 0.5), "latency_p95_s": percentile(latencies, 0.95),
    }
    return out


def metrics_line(m: dict) -> str:
    """The last line of output, as EVAL-FORMAT.md shows it."""
    def f(key: str, digits: int = 2, unit: str = "") -> str:
        v = m.get(key)
        return "n/a" if v is None else f"{v:.{digits}f}{unit}"

    return (f"eval: n={m['n']} fact_recall={f('fact_recall')} exact={f('exact')} citation_hit={f('citation_hit')} "
            f"citation_precision={f('citation_precision')} refusal_accuracy={f('refusal_accuracy')} "
            f"false_refusal={f('false_refusal')} recall@5={f('retrieval_recall@5')} "
            f"p50={f('latency_p50_s', 1, 's')} p95={f('latency_p95_s', 1, 's')}")


def by_category(questions: list[Question], scores: list[dict]) -> dict[str, dict]:
    """Exact answers (answerable) or refusals (unanswerable) per category, for the report's plot."""
    groups: dict[str, list[float]] = {}
    for q, s in zip(questions, scores):
        key = q.category or ("utan svar" if not q.answerable else "övrigt")
        groups.setdefault(key, []).append(float(s["exact"] if q.answerable else s["refused"]))
    return {k: {"n": len(v), "accuracy": statistics.fmean(v)} for k, v in sorted(groups.items())}


def by_source(rows: list[dict], files: list[str]) -> dict[str, dict]:
    """The metrics per top folder of the corpus that holds a question's expected source ('malmo',
    'kungsbacka', 'jonkoping'); unanswerable questions, which name no source, form their own group.
    `rows` are the report's question rows; `files` the corpus files relative to its root."""
    groups: dict[str, tuple[list[dict], list[float]]] = {}
    for r in rows:
        if r["sources"]:
            doc = r["sources"][0]["doc"]
            path = next((f for f in files if contains(f, doc)), doc)
            key = path.split("/")[0] if "/" in path else "(korpusens rot)"
        else:
            key = "utan svar"
        scores, seconds = groups.setdefault(key, ([], []))
        scores.append(r["score"])
        seconds.append(r["seconds"])
    return {k: metrics(sc, sec) for k, (sc, sec) in sorted(groups.items())}


def by_route(rows: list[dict]) -> dict[str, dict]:
    """What answered each question (`Answer.route`): how many, how many right (exact for an answerable
    question, refused for an unanswerable one), the median time."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["answer"].get("route") or "–", []).append(r)
    out = {}
    for route, rs in sorted(groups.items()):
        right = [r["score"]["exact"] if r["answerable"] else r["score"]["refused"] for r in rs]
        out[route] = {"n": len(rs), "right": sum(map(bool, right)), "p50_s": percentile([r["seconds"] for r in rs], 0.5)}
    return out


def answer_length(rows: list[dict]) -> dict[str, float | None]:
    """Answers stay answers: the median words of an answer given (markers and quote marks aside) and the
    median number of quoted sentences in it."""
    given = [r["answer"]["answer"] for r in rows if not r["answer"]["refused"]]
    words = [len(re.sub(r"\[\d+\]", " ", a).split()) for a in given]
    quoted = [sum(len(re.findall(r"[.!?](?:\s|$)", q.strip() + " ")) or 1 for q in re.findall(r"”([^”]+)”", a))
              for a in given]
    return {"answer_words_p50": percentile(words, 0.5) if words else None,
            "quoted_sentences_p50": percentile(quoted, 0.5) if quoted else None}
