"""Run a gold question set (EVAL-FORMAT.md) against the product and score it.

    python -m eval.run --questions eval/sets/dev.jsonl --corpus corpus [--index DIR] [--out DIR]
        [--mode hybrid|rrf|dense|bm25] [--without-records] [--embed-model NAME] [--llm NAME] [--limit N]

Builds the index for the corpus (or brings a cached one up to date: unchanged files cost
nothing), answers every question with the same code the chat uses, writes report.json,
summary.md and PNG plots to the output folder, and prints the metrics as the last line.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

from . import ROOT, say
from .report import write
from .score import (QuestionSetError, answer_length, by_category, by_route, by_source, load_questions, metrics,
                    metrics_line, score_one)

# the routes where code answered after the LLM refused (or wrote nothing the passages support)
OVERRIDING_ROUTES = {"quote", "override", "stated"}


def default_index(corpus: Path, embed_model: str) -> Path:
    """One cached index per corpus folder and embedding model, so a re-run only re-reads changed files."""
    key = hashlib.sha256(f"{corpus.resolve()}|{embed_model}".encode()).hexdigest()[:10]
    return ROOT / ".eval-cache" / f"{corpus.resolve().name}-{key}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    import rag

    p = argparse.ArgumentParser(prog="python -m eval.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=Path, required=True, help="JSON Lines question set (EVAL-FORMAT.md)")
    p.add_argument("--corpus", type=Path, required=True, help="the folder the questions are about")
    p.add_argument("--index", help="index folder or Postgres URL postgresql://… (default: a cache per corpus "
                   "under .eval-cache/)")
    p.add_argument("--out", type=Path, help="report folder (default: eval-results/<set>-<time>)")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "rrf", "dense", "bm25"], help="retrieval")
    p.add_argument("--without-records", "--no-facts", dest="no_facts", action="store_true",
                   help="no records and no record routes: the reading path alone, as on a layout the parser cannot read")
    p.add_argument("--reader", choices=["prose", "span", "select"], default="prose",
                   help="free text: the LLM writes (checked), or picks evidence sentences (JSON schema)")
    p.add_argument("--embed-model", default=rag.settings().embed_model)
    p.add_argument("--llm", default=None, help="registry key, GGUF path or openai:<model> (default: PARAGRAF_LLM)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import rag

    args = parse_args(argv)
    try:
        questions = load_questions(args.questions)
    except QuestionSetError as exc:
        say(f"fel: {exc}")
        return 2
    if args.limit:
        questions = questions[: args.limit]
    if not args.corpus.is_dir():
        say(f"fel: {args.corpus}: no such folder")
        return 2
    index_dir = (args.index if rag.is_index_url(args.index) else Path(args.index)) if args.index \
        else default_index(args.corpus, args.embed_model)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    out = args.out or ROOT / "eval-results" / f"{args.questions.stem}-{time.strftime('%Y%m%d-%H%M%S')}"

    say(f"index: {index_dir}")
    try:
        report = rag.ingest([args.corpus], index_dir=index_dir, root=args.corpus, embed_model=args.embed_model,
                            progress=say)
        for line in report.lines():
            say(line)
        retriever = rag.open_index(index_dir, args.embed_model)
    except rag.IndexError as exc:
        say(f"fel: {exc}")
        return 1
    llm = rag.load_llm(args.llm)
    answerer = rag.Answerer(retriever, llm, mode=args.mode, use_facts=not args.no_facts, reader=args.reader)

    rows, scores, latencies = [], [], []
    for i, q in enumerate(questions, 1):
        t = time.perf_counter()
        answer = answerer.ask(q.question).to_dict()
        seconds = time.perf_counter() - t
        score = score_one(q, answer)
        rows.append({"id": q.id, "question": q.question, "answerable": q.answerable, "category": q.category,
                     "facts": q.facts, "sources": [vars(s) for s in q.sources], "answer": answer,
                     "score": score, "seconds": round(seconds, 3)})
        scores.append(score)
        latencies.append(seconds)
        mark = ("✓" if score["exact"] else "✗") if q.answerable else ("✓" if score["refused"] else "✗")
        say(f"[{i}/{len(questions)}] {mark} {q.id} ({seconds:.1f} s)")

    m = metrics(scores, latencies)
    m.update(answer_length(rows))
    m["llm_refusals_overridden"] = sum(r["answer"].get("route") in OVERRIDING_ROUTES for r in rows)
    result = {
        "questions_file": str(args.questions), "corpus": str(args.corpus), "index": str(index_dir),
        "started": started,
        "settings": {"retrieval": args.mode, "facts_layer": not args.no_facts, "reader": args.reader,
                     "embedding_model": args.embed_model,
                     "llm": getattr(llm, "name", str(llm)), "k": answerer.k, "max_tokens": answerer.max_tokens},
        "metrics": m, "by_category": by_category(questions, scores), "by_route": by_route(rows),
        "by_source": by_source(rows, [p.relative_to(args.corpus).as_posix() for p in args.corpus.rglob("*") if p.is_file()]),
        "questions": rows,
    }
    files = write(result, out)
    say("wrote " + ", ".join(str(f) for f in files))
    print(metrics_line(m), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
