"""Two eval.run reports side by side: metrics with their change, and the questions that flipped.

    python -m eval.compare eval-results/A/report.json eval-results/B/report.json [--out FILE.md]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .report import write_atomic

# metrics where lower is better
LOWER_IS_BETTER = {"false_refusal", "latency_p50_s", "latency_p95_s"}


def _ok(row: dict) -> bool:
    s = row["score"]
    return bool(s["exact"]) if row["answerable"] else bool(s["refused"])


def compare(a: dict, b: dict, name_a: str = "A", name_b: str = "B") -> str:
    lines = [f"# {name_a} → {name_b}", "", "| inställning | " + name_a + " | " + name_b + " |", "|---|---|---|"]
    for key in sorted(set(a["settings"]) | set(b["settings"])):
        va, vb = a["settings"].get(key), b["settings"].get(key)
        lines.append(f"| {key} | `{va}` | `{vb}`{' ←' if va != vb else ''} |")
    lines += ["", f"| mått | {name_a} | {name_b} | förändring |", "|---|---|---|---|"]
    for key, va in a["metrics"].items():
        vb = b["metrics"].get(key)
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and key not in {"n", "answerable", "unanswerable"}:
            delta = vb - va
            better = (delta < 0) if key in LOWER_IS_BETTER else (delta > 0)
            sign = "" if abs(delta) < 1e-9 else (" ✓" if better else " ✗")
            lines.append(f"| {key} | {va:.3f} | {vb:.3f} | {delta:+.3f}{sign} |")
        else:
            lines.append(f"| {key} | {va} | {vb} | |")
    rows_b = {r["id"]: r for r in b["questions"]}
    fixed, broken = [], []
    for r in a["questions"]:
        other = rows_b.get(r["id"])
        if other is None:
            continue
        if not _ok(r) and _ok(other):
            fixed.append(r["id"])
        elif _ok(r) and not _ok(other):
            broken.append(r["id"])
    only = sorted(set(rows_b) - {r["id"] for r in a["questions"]})
    lines += ["", f"Rätt i {name_b} men inte i {name_a} ({len(fixed)}): " + (", ".join(fixed) or "–"),
              "", f"Rätt i {name_a} men inte i {name_b} ({len(broken)}): " + (", ".join(broken) or "–")]
    if only:
        lines += ["", f"Bara i {name_b}: " + ", ".join(only)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--out", type=Path, help="also write the comparison to this Markdown file")
    args = p.parse_args(argv)
    try:
        a, b = (json.loads(x.read_text(encoding="utf-8")) for x in (args.a, args.b))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 2
    text = compare(a, b, args.a.parent.name, args.b.parent.name)
    if args.out:
        write_atomic(args.out, text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
