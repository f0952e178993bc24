"""The refusal rule's trade-off on the dev sets: refusal_accuracy against false_refusal per threshold.

    python scripts/refusal_curve.py --index DIR [--sets eval/sets/*.jsonl]

For every question, the passages the answer step reads are found as the chat finds them, and the
one refusal rule (`rag.asking.evidence.Grounding.answers`) is applied at each threshold of the share of the
question's words the best passage must hold. No LLM: the rule decides before any model reads.
Prints one table per set and one over all sets; the threshold chosen is GROUNDED in rag/asking/evidence.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402
from rag.asking.answer import Answerer  # noqa: E402
from rag.asking.evidence import GROUNDED, GROUNDED_UNSCOPED, named_elsewhere  # noqa: E402
from eval.score import load_questions  # noqa: E402

THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True)
    p.add_argument("--sets", nargs="*", type=Path, default=sorted((ROOT / "eval" / "sets").glob("*.jsonl")))
    args = p.parse_args()
    answerer = Answerer(rag.open_index(args.index), None)
    rows = []  # (set, answerable, grounding, doubt)
    for path in args.sets:
        for q in load_questions(path):
            turn = answerer.turn(q.question)
            doubt = turn.unscoped or bool(named_elsewhere(turn.q, turn.passages[: answerer.k]))
            rows.append((path.stem, q.answerable, answerer.grounding(turn), doubt))
    for name in [p.stem for p in args.sets] + ["alla"]:
        part = [r for r in rows if name == "alla" or r[0] == name]
        print(f"\n{name}: {sum(r[1] for r in part)} answerable, {sum(not r[1] for r in part)} unanswerable")
        print("| threshold | refusal_accuracy | false_refusal |\n|---|---|---|")
        for t in THRESHOLDS:
            step = GROUNDED_UNSCOPED - GROUNDED
            refused = [(a, not g.answers(t + step if d else t)) for _, a, g, d in part]
            unans = [r for a, r in refused if not a]
            ans = [r for a, r in refused if a]
            mark = " ← chosen" if abs(t - GROUNDED) < 1e-9 else ""
            print(f"| {t:.2f} | {sum(unans) / max(1, len(unans)):.2f} | {sum(ans) / max(1, len(ans)):.2f} |{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
