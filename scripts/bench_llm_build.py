"""Two llama.cpp builds side by side, in one run: prompt and generation tokens/s, and whether they write the
same tokens at temperature 0, on the prompts the LLM route builds for the dev sets' questions.

    python scripts/bench_llm_build.py --index INDEX --wheel PORTABLE.whl --wheel SHIPPED.whl [SET.jsonl …]

Each wheel is unpacked into a folder of its own and run in a child process that imports llama_cpp from
there; the prompts are made once, here. The CPU's flags are printed with the figures. Not a test: these
machines are shared and noisy, so run it on an idle one.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, sys, time
import llama_cpp
from rag.models.llm import load_llm
prompts = json.load(open(sys.argv[1]))
llm = load_llm(sys.argv[2] or None)
out, t_prompt, n_prompt, t_gen, n_gen = [], 0.0, 0, 0.0, 0
for messages in prompts:
    start = time.perf_counter(); first = None; pieces = []
    for piece in llm.stream(messages, max_tokens=120):
        if first is None:
            first = time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    text = "".join(pieces)
    n_prompt += llm.count_tokens(" ".join(m["content"] for m in messages)); t_prompt += (first or end) - start
    n_gen += max(llm.count_tokens(text) - 1, 0); t_gen += end - (first or end)
    out.append(text)
info = llama_cpp.llama_print_system_info().decode()
print(json.dumps({"system_info": info, "outputs": out, "prompt_tps": n_prompt / max(t_prompt, 1e-9),
                  "gen_tps": n_gen / max(t_gen, 1e-9), "prompt_tokens": n_prompt, "gen_tokens": n_gen}))
"""


def prompts(index: str, sets: list[Path], llm: str | None, most: int) -> list[list[dict]]:
    """The messages the LLM route sends for each question the code leaves open."""
    import rag
    from eval.score import load_questions
    from rag.asking.answer import Answerer

    retriever = rag.open_index(index)
    by_code = Answerer(retriever, None)
    out = []
    for path in sets:
        for q in load_questions(path):
            if by_code.ask(q.question).route != "no llm":
                continue
            turn = by_code.turn(q.question)
            out.append(by_code.prompt(q.question, turn.passages, ranked=by_code.ranked_evidence(q.question, turn.passages)))
            if len(out) >= most:
                return out
    return out


def unpacked(wheel: Path, work: Path) -> dict:
    """The environment that imports llama_cpp from this wheel (builds' wheels share a name: the folder
    their wheels are kept in names them)."""
    folder = work / "builds" / wheel.parent.name
    with zipfile.ZipFile(wheel) as z:
        z.extractall(folder)
    return {"PYTHONPATH": f"{folder}{os.pathsep}{ROOT}"}


def run(wheel: Path, prompt_file: Path, llm: str | None, work: Path) -> dict:
    env = {**os.environ, **unpacked(wheel, work)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(prompt_file), llm or ""], env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--wheel", type=Path, action="append", required=True)
    ap.add_argument("--llm", default=None)
    ap.add_argument("--most", type=int, default=40)
    ap.add_argument("sets", nargs="*", type=Path)
    args = ap.parse_args()
    sets = args.sets or sorted((ROOT / "eval" / "sets").glob("*.jsonl"))
    flags = next((line.split(":", 1)[1].split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("flags")), [])
    print("cpu:", " ".join(f for f in flags if f.startswith(("avx", "amx", "fma", "f16c"))))
    with tempfile.TemporaryDirectory() as tmp:
        prompt_file = Path(tmp) / "prompts.json"
        made = prompts(args.index, sets, args.llm, args.most)
        prompt_file.write_text(json.dumps(made, ensure_ascii=False))
        results = [(w, run(w, prompt_file, args.llm, Path(tmp))) for w in args.wheel]
    first = results[0][1]["outputs"]
    for wheel, r in results:
        same = sum(a == b for a, b in zip(first, r["outputs"]))
        print(f"{wheel.parent.name}/{wheel.name}: prompt {r['prompt_tps']:.0f} tok/s, generation {r['gen_tps']:.1f} tok/s "
              f"({len(made)} prompts, {r['prompt_tokens']} prompt tokens, {r['gen_tokens']} generated); "
              f"same text as the first build: {same}/{len(first)}\n    {r['system_info'].strip()}")


if __name__ == "__main__":
    main()
