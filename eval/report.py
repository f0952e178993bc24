"""Reports people read: the JSON report, a Markdown summary and PNG plots, written atomically."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

PLOTS = ("accuracy_by_category.png", "citations.png", "refusals.png", "latency.png")


def write_atomic(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)


def _fmt(v, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def markdown(report: dict) -> str:
    m, s = report["metrics"], report["settings"]
    lines = [
        f"# Utvärdering: {Path(report['questions_file']).name}", "",
        f"{report['started']} · korpus `{report['corpus']}` · {m['n']} frågor "
        f"({m['answerable']} med svar, {m['unanswerable']} utan)", "",
        "| inställning | värde |", "|---|---|",
        *[f"| {k} | `{v}` |" for k, v in s.items()], "",
        "| mått | värde |", "|---|---|",
        *[f"| {k} | {_fmt(v)} |" for k, v in m.items() if k not in {"n", "answerable", "unanswerable"}], "",
        "## Per kategori", "", "| kategori | frågor | rätt |", "|---|---|---|",
        *[f"| {k} | {v['n']} | {v['accuracy']:.2f} |" for k, v in report["by_category"].items()], "",
        "## Per väg (Answer.route)", "", "| väg | frågor | rätt | median s |", "|---|---|---|---|",
        *[f"| {k} | {v['n']} | {v['right']} | {_fmt(v['p50_s'])} |" for k, v in report.get("by_route", {}).items()], "",
        "## Per källa", "", "| källa | frågor | fact_recall | exact | citation_hit | refusal_accuracy |", "|---|---|---|---|---|---|",
        *[f"| {k} | {v['n']} | {_fmt(v.get('fact_recall'))} | {_fmt(v.get('exact'))} | {_fmt(v.get('citation_hit'))} | "
          f"{_fmt(v.get('refusal_accuracy'))} |" for k, v in report.get("by_source", {}).items()], "",
        "## Frågor som inte fick fullt rätt", "",
        "| id | fråga | fakta | källa | svar |", "|---|---|---|---|---|",
    ]
    for r in report["questions"]:
        sc = r["score"]
        ok = sc["exact"] and sc["citation_hit"] if r["answerable"] else sc["refused"]
        if ok:
            continue
        facts = f"{sum(sc['facts_present'])}/{len(sc['facts_present'])}" if r["answerable"] else "–"
        answer = " ".join(r["answer"]["answer"].split())[:160].replace("|", "\\|")
        lines.append(f"| {r['id']} | {r['question'].replace('|', '/')} | {facts} | "
                     f"{'ja' if sc['citation_hit'] else 'nej'} | {answer} |")
    lines += ["", "![rätt per kategori](accuracy_by_category.png) ![källor](citations.png)",
              "![vägranden](refusals.png) ![svarstid](latency.png)", ""]
    return "\n".join(lines)


def plots(report: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = report["metrics"]
    made = []

    def save(fig, name: str) -> None:
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)

    cats = report["by_category"]
    fig, ax = plt.subplots(figsize=(8, max(3, 0.35 * len(cats) + 1)))
    names = list(cats)
    ax.barh(names, [cats[c]["accuracy"] for c in names], color="#2563eb")
    for i, c in enumerate(names):
        ax.text(cats[c]["accuracy"] + 0.01, i, f"{cats[c]['accuracy']:.2f} (n={cats[c]['n']})", va="center")
    ax.set_xlim(0, 1.3)
    ax.invert_yaxis()
    ax.set_title("Rätt per kategori (utan svar: andel vägranden)")
    save(fig, PLOTS[0])

    fig, ax = plt.subplots(figsize=(6, 3.5))
    keys = ["citation_hit", "citation_precision", "retrieval_recall@1", "retrieval_recall@5", "retrieval_recall@10"]
    vals = [m[k] or 0.0 for k in keys]
    ax.bar(range(len(keys)), vals, color=["#2563eb", "#60a5fa", "#16a34a", "#22c55e", "#86efac"])
    ax.set_xticks(range(len(keys)), ["träff", "precision", "R@1", "R@5", "R@10"])
    for i, v in enumerate(vals):
        ax.text(i, v + 0.02, f"{v:.2f}", ha="center")
    ax.set_ylim(0, 1.1)
    ax.set_title("Källor: citat och hämtning")
    save(fig, PLOTS[1])

    rows = [[0, 0], [0, 0]]  # [answerable, unanswerable] x [answered, refused]
    for r in report["questions"]:
        rows[0 if r["answerable"] else 1][1 if r["score"]["refused"] else 0] += 1
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    ax.imshow(rows, cmap="Blues")
    for i in range(2):
        for j in range(2):
            ax.text(j, i, str(rows[i][j]), ha="center", va="center", fontsize=14)
    ax.set_xticks([0, 1], ["besvarad", "vägrad"])
    ax.set_yticks([0, 1], ["har svar", "saknar svar"])
    ax.set_title("Vägranden")
    save(fig, PLOTS[2])

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist([r["seconds"] for r in report["questions"]], bins=20, color="#2563eb")
    ax.axvline(m["latency_p50_s"] or 0, color="k", linestyle="--", label=f"p50 {_fmt(m['latency_p50_s'], 1)} s")
    ax.axvline(m["latency_p95_s"] or 0, color="r", linestyle=":", label=f"p95 {_fmt(m['latency_p95_s'], 1)} s")
    ax.set_xlabel("sekunder per fråga")
    ax.legend()
    ax.set_title("Svarstid")
    save(fig, PLOTS[3])
    return made


def write(report: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "report.json", json.dumps(report, ensure_ascii=False, indent=1))
    write_atomic(out / "summary.md", markdown(report))
    return [out / "report.json", out / "summary.md", *plots(report, out)]
