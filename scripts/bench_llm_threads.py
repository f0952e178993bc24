"""The LLM's thread settings under load, side by side in one run: seconds per LLM-route prompt with the
machine idle and while `python -m rag ingest` of the bundled corpus runs beside it, for each build and
setting; then two questions arriving together, with one model (the second waits for the first) and with
two models of one thread each (both at once).

    python scripts/bench_llm_threads.py --index INDEX [--most 8] [--wheel BUILD.whl …]

Builds: the installed llama-cpp-python, or each `--wheel` (imported from the unpacked wheel; the first
is the one the two-questions rows use). Settings: 2 threads or 1 (n_threads and n_threads_batch), and
for a build with OpenMP its wait policy (ACTIVE spins on its cores between jobs, PASSIVE sleeps); ggml's
own thread pool (`GGML_OPENMP=OFF`) has none. Each runs in a process of its own (OpenMP reads the
policy when it loads). Not a test: run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

CHILD = r"""
import json, sys, threading, time
from rag.models.llm import LlamaCppLLM, load_llm
prompts, models = json.load(open(sys.argv[1])), int(sys.argv[2])
first = load_llm()
llms = [first] if models == 1 else [LlamaCppLLM(first.path, n_threads=1) for _ in range(models)]
for llm in llms:
    list(llm.stream(prompts[0], max_tokens=1))  # loaded and warm
times = []
def ask(llm, messages, start):
    for _ in llm.stream(messages, max_tokens=60):
        pass
    times.append(time.perf_counter() - start)
if len(sys.argv) > 3:  # two questions arrive together: each pair of prompts at once
    for a, b in zip(prompts[::2], prompts[1::2]):
        start = time.perf_counter()
        both = [threading.Thread(target=ask, args=(llms[i % len(llms)], m, start)) for i, m in enumerate((a, b))]
        [t.start() for t in both]
        [t.join() for t in both]
else:
    for messages in prompts:
        ask(llms[0], messages, time.perf_counter())
print(json.dumps({"times": times}))
"""
SETTINGS = [("2 threads", {"PARAGRAF_LLM_THREADS": "2"}), ("1 thread", {"PARAGRAF_LLM_THREADS": "1"})]
OPENMP = [("2 threads, OpenMP passive", {"PARAGRAF_LLM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"}),
          ("2 threads, OpenMP active", {"PARAGRAF_LLM_THREADS": "2", "OMP_WAIT_POLICY": "ACTIVE"}),
          ("1 thread, OpenMP passive", {"PARAGRAF_LLM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"})]


def _ingest_until(stop: threading.Event, index: Path) -> None:
    """`python -m rag ingest --rebuild` of the bundled corpus, again and again until `stop`."""
    while not stop.is_set():
        proc = subprocess.Popen([sys.executable, "-m", "rag", "ingest", "corpus", "--index", str(index), "--rebuild",
                                 "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not stop.wait(0.5):
            pass
        proc.kill()
        proc.wait()


def measure(prompt_file: Path, env: dict, models: int = 1, together: bool = False) -> dict:
    """Seconds per prompt from its arrival to its last token ('times'), in a child process with `env`."""
    argv = [sys.executable, "-c", CHILD, str(prompt_file), str(models)] + (["together"] if together else [])
    done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _uses_openmp(env: dict) -> bool:
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return "OPENMP = 1" in done.stdout


def idle_and_loaded(prompt_file: Path, env: dict, index: Path) -> tuple[dict, dict]:
    idle = measure(prompt_file, env)
    stop = threading.Event()
    load = threading.Thread(target=_ingest_until, args=(stop, index))
    load.start()
    time.sleep(5)  # the ingest's readers and embedder at work
    loaded = measure(prompt_file, env)
    stop.set()
    load.join()
    return idle, loaded


def _line(times: list[float]) -> str:
    return f"p50 {statistics.median(times):.1f} s max {max(times):.1f} s"


def main() -> None:
    from bench_llm_build import prompts, unpacked

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--most", type=int, default=8)
    ap.add_argument("--wheel", type=Path, action="append", default=[])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        prompt_file = Path(tmp) / "prompts.json"
        prompt_file.write_text(json.dumps(prompts(args.index, sorted((ROOT / "eval" / "sets").glob("*.jsonl")),
                                                  None, args.most), ensure_ascii=False))
        builds = [(w.parent.name, unpacked(w, Path(tmp))) for w in args.wheel] or [("installed", {})]
        for build, where in builds:
            for name, env in OPENMP if _uses_openmp(where) else SETTINGS:
                idle, loaded = idle_and_loaded(prompt_file, {**where, **env}, Path(tmp) / "i")
                print(f"{build}, {name}: idle {_line(idle['times'])} · beside an ingest {_line(loaded['times'])}",
                      flush=True)
        build, where = builds[0]
        for name, models in (("one model, 2 threads (the second waits)", 1), ("two models, 1 thread each", 2)):
            both = measure(prompt_file, where, models, together=True)
            print(f"{build}, two questions together, {name}: {_line(both['times'])}", flush=True)


if __name__ == "__main__":
    main()
