"""The LLM's thread settings under load, side by side in one run: seconds per LLM-route prompt with the
machine idle and while `python -m rag ingest` of the bundled corpus runs beside it, for each setting.

    python scripts/bench_llm_threads.py --index INDEX [--most 8]

Settings: threads (n_threads and n_threads_batch) 2 or 1, and OpenMP's wait policy (ACTIVE spins on its
cores between jobs, PASSIVE sleeps). Each runs in a process of its own (OpenMP reads the policy when it
loads). Not a test: run it on an otherwise idle machine.
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
import json, sys, time
from rag.llm import load_llm
prompts = json.load(open(sys.argv[1]))
llm = load_llm()
list(llm.stream(prompts[0], max_tokens=1))  # loaded and warm
times = []
for messages in prompts:
    start = time.perf_counter()
    for _ in llm.stream(messages, max_tokens=60):
        pass
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""
SETTINGS = [("2 threads, OpenMP active", {"PARAGRAF_LLM_THREADS": "2", "OMP_WAIT_POLICY": "ACTIVE"}),
            ("2 threads, OpenMP passive", {"PARAGRAF_LLM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"}),
            ("1 thread", {"PARAGRAF_LLM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"})]


def _ingest_until(stop: threading.Event, index: Path) -> None:
    """`python -m rag ingest --rebuild` of the bundled corpus, again and again until `stop`."""
    while not stop.is_set():
        proc = subprocess.Popen([sys.executable, "-m", "rag", "ingest", "corpus", "--index", str(index), "--rebuild",
                                 "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not stop.wait(0.5):
            pass
        proc.kill()
        proc.wait()


def measure(prompt_file: Path, env: dict) -> list[float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(prompt_file)], env={**os.environ, **env},
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from bench_llm_build import prompts

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--most", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        prompt_file = Path(tmp) / "prompts.json"
        prompt_file.write_text(json.dumps(prompts(args.index, sorted((ROOT / "eval" / "sets").glob("*.jsonl")),
                                                  None, args.most), ensure_ascii=False))
        for name, env in SETTINGS:
            idle = measure(prompt_file, env)
            stop = threading.Event()
            load = threading.Thread(target=_ingest_until, args=(stop, Path(tmp) / "i"))
            load.start()
            time.sleep(5)  # the ingest's readers and embedder at work
            loaded = measure(prompt_file, env)
            stop.set()
            load.join()
            print(f"{name}: idle p50 {statistics.median(idle):.1f} s max {max(idle):.1f} s · beside an ingest "
                  f"p50 {statistics.median(loaded):.1f} s max {max(loaded):.1f} s", flush=True)


if __name__ == "__main__":
    main()
