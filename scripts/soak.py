"""Soak test on loopback: the web app under many users while staff upload a document and re-index.

    python scripts/soak.py --users 20 --seconds 120 [--llm smollm2-135m] [--corpus corpus/malmo]

Starts the app (the same `create_app` as `python app.py`) on 127.0.0.1 over a copy of the corpus,
answers each question once alone, then lets `--users` simulated users (one gradio_client session
each) ask a mix of questions for `--seconds` (bounded: each user stops after `--max-questions`),
while a staff upload and a staff re-index run through the service the staff tab calls. Prints
errors, answers that differ from the solo answers (on the index served before or after the
upload: route, text, refusal and cited passages), and p50/p95 under load; exits 1 on any error or difference. Stops everything it started.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

QUESTIONS = [
    "Vem instämde i Sverigedemokraternas särskilda yttrande?",
    "Vilka partier lämnade särskilda yttranden?",
    "Vem var ordförande på sammanträdet?",
    "Vad kostar ett busskort för ungdomar i Malmö?",
    "Vad hette kraftsamlande insatser tidigare?",
    "Vem var justerare?",
]
UPLOAD_NAME = "Tekniska nämnden 2026-02-03.md"
UPLOAD_TEXT = """# Tekniska nämnden 2026-02-03

## § 12 Snöröjning i Testby

Dnr TN-2026-0012

Tekniska nämnden beslutar att snöröjningen i Testby ska börja klockan fem på morgonen.
"""


def _key(answer: dict) -> tuple:
    """What must not change under load: the route, the text, the refusal and the passages cited."""
    return answer["route"], answer["answer"], answer["refused"], tuple(c["chunk_id"] for c in answer["citations"])


MODEL_ROUTES = {"llm", "quote", "override", "stated", "select"}  # answers that waited for the model


def _p(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[max(0, int(q * len(ordered) + 0.5) - 1)], 2) if ordered else None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(users: int, seconds: float, max_questions: int, llm: str, corpus: Path) -> dict:
    import uvicorn
    from gradio_client import Client

    from app import create_app
    from rag.service import Paragraf

    work = Path(tempfile.mkdtemp(prefix="paragraf-soak-"))
    shutil.copytree(corpus, work / "corpus" / corpus.name)
    service = Paragraf(work / "corpus", work / "index", llm, feedback_path=work / "feedback.jsonl",
                       say=lambda msg: None)
    service.start()
    if not service.status.ready:
        raise SystemExit(f"soak: the app did not start: {service.status.error}")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service, "soak-lösen-123"), host="127.0.0.1", port=port,
                                           log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        while not server.started:
            time.sleep(0.1)
        solo = Client(url, verbose=False)
        before = {q: _key(solo.predict(q, api_name="/ask")) for q in QUESTIONS}
        errors: list[str] = []
        latencies: list[float] = []
        by_model: list[bool] = []  # whether each answer was the model's (else code answered it)
        answers: list[tuple[str, tuple]] = []
        deadline = time.monotonic() + seconds
        lock = threading.Lock()

        def user(n: int) -> None:
            client = Client(url, verbose=False)
            for i in range(max_questions):
                if time.monotonic() > deadline:
                    return
                q = QUESTIONS[(n + i) % len(QUESTIONS)]
                t = time.perf_counter()
                try:
                    got = client.predict(q, api_name="/ask")
                except Exception as exc:  # counted, the soak goes on
                    with lock:
                        errors.append(f"{q}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t)
                    by_model.append(got["route"] in MODEL_ROUTES)
                    answers.append((q, _key(got)))

        def staff() -> None:
            time.sleep(min(5.0, seconds / 4))
            try:
                lines = service.upload([(UPLOAD_NAME, UPLOAD_TEXT.encode())])
                if not any(line.startswith("✓") for line in lines):
                    errors.append(f"upload: {lines}")
                service.reindex()
            except Exception as exc:
                errors.append(f"staff: {type(exc).__name__}: {exc}")

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=users + 1) as pool:
            futures = [pool.submit(user, n) for n in range(users)] + [pool.submit(staff)]
            for f in futures:
                f.result()
        wall = time.perf_counter() - started
        after = {q: _key(solo.predict(q, api_name="/ask")) for q in QUESTIONS}
        differing = [f"{q}: {key} not in {before[q]} / {after[q]}" for q, key in answers
                     if key not in (before[q], after[q])]
        status = json.loads(urlopen_text(url + "status"))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    code = [t for t, model in zip(latencies, by_model) if not model]
    return {
        "users": users, "questions": len(answers) + len(errors), "errors": errors, "differing": differing,
        "p50_s": _p(latencies, 0.5), "p95_s": _p(latencies, 0.95), "code_p50_s": _p(code, 0.5),
        "code_p95_s": _p(code, 0.95), "code_answers": len(code),
        "wall_s": round(wall, 1), "documents_after": status["message"], "last_error": status["last_error"],
    }


def urlopen_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--max-questions", type=int, default=5, help="per user")
    p.add_argument("--llm", default="smollm2-135m")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "malmo")
    args = p.parse_args(argv)
    result = run(args.users, args.seconds, args.max_questions, args.llm, args.corpus)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"soak: users={result['users']} questions={result['questions']} errors={len(result['errors'])} "
          f"differing={len(result['differing'])} p50={result['p50_s']}s p95={result['p95_s']}s wall={result['wall_s']}s "
          f"code-answered={result['code_answers']} p50={result['code_p50_s']}s p95={result['code_p95_s']}s")
    return 1 if result["errors"] or result["differing"] else 0


if __name__ == "__main__":
    sys.exit(main())
