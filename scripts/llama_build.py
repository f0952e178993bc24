"""The llama.cpp build for this CPU: the instruction sets /proc/cpuinfo reports, as CMake flags, and a key
naming them (the folder its wheel is kept in, so a wheel never reaches a CPU without its instructions).

    python scripts/llama_build.py              prints `<key> <cmake args>`
    python scripts/llama_build.py --patch DIR  mends the unpacked llama-cpp-python source in DIR for AMX

AMX (Intel's tile units) makes the prompt ~1.5× faster here, but ggml's AMX path as llama-cpp-python
0.3.36 vendors it traps on its first prompt when built by GCC 12: `ggml_tile_config_init` fills its
tile config on the stack, the compiler drops the row and column stores as dead (it does not model that
`ldtilecfg` reads them), the tiles get zero rows, and the first tile instruction is an invalid opcode.
Mended so, it traps on the second question instead: it loads the config once per thread, and
OpenVINO's oneDNN, embedding the question on the same thread, releases the tiles after its own AMX
kernels. `--patch` keeps the config in read-only data, filled at compile time, and loads it on every
call (one instruction per matrix product); scripts/setup.sh mends every build (without AMX the
function is not compiled). ggml's own thread pool (`GGML_OPENMP=OFF`) instead of OpenMP: faster
generation with threads that sleep between jobs (docs/benchmarks.md, "LLM threads under load")."""
from __future__ import annotations

import sys
from pathlib import Path

# CPU flag (as /proc/cpuinfo names it) -> ggml's CMake option, in the order ggml checks them
FEATURES = [
    ("avx", "GGML_AVX"), ("avx2", "GGML_AVX2"), ("fma", "GGML_FMA"), ("f16c", "GGML_F16C"), ("bmi2", "GGML_BMI2"),
    ("avx_vnni", "GGML_AVX_VNNI"), ("avx512f", "GGML_AVX512"), ("avx512vbmi", "GGML_AVX512_VBMI"),
    ("avx512_vnni", "GGML_AVX512_VNNI"), ("avx512_bf16", "GGML_AVX512_BF16"),
    ("amx_tile", "GGML_AMX_TILE"), ("amx_int8", "GGML_AMX_INT8"), ("amx_bf16", "GGML_AMX_BF16"),
]
COMMON = ["-DGGML_NATIVE=OFF", "-DLLAVA_BUILD=OFF", "-DGGML_OPENMP=OFF"]
RECIPE = "r2"  # the key's last part: bump it when COMMON or the mend changes, so no older wheel is taken
AMX = {"GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16"}

# the mend: ggml's tile config from the stack into read-only data
MMQ = Path("vendor/llama.cpp/ggml/src/ggml-cpu/amx/mmq.cpp")
ON_STACK = """inline void ggml_tile_config_init(void) {
    static thread_local bool done = false;

    if (done) {
        return;
    }

    alignas(64) tile_config_t tc = {};
    tc.palette_id = 1;
    tc.start_row = 0;
    tc.rows[0] = 8;   tc.colsb[0] = 64;
    tc.rows[1] = 8;   tc.colsb[1] = 64;
    tc.rows[2] = 16;  tc.colsb[2] = 32;
    tc.rows[3] = 16;  tc.colsb[3] = 32;
    tc.rows[4] = 16;  tc.colsb[4] = 64;
    tc.rows[5] = 16;  tc.colsb[5] = 64;
    tc.rows[6] = 16;  tc.colsb[6] = 64;
    tc.rows[7] = 16;  tc.colsb[7] = 64;

    _tile_loadconfig(&tc);
    done = true;
}"""
IN_RODATA = """inline void ggml_tile_config_init(void) {
    // mended (Paragraf, scripts/llama_build.py): the config in read-only data, filled at compile time, as
    // GCC 12 dropped the stores to one on the stack; and loaded on every call, as another library on the
    // same thread (oneDNN under OpenVINO) may release the tiles between two of ours
    alignas(64) static const tile_config_t tc = {
        1, 0, {0}, {64, 64, 32, 32, 64, 64, 64, 64}, {8, 8, 16, 16, 16, 16, 16, 16}};
    _tile_loadconfig(&tc);
}"""


def cpu_flags(cpuinfo: str) -> set[str]:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def build(flags: set[str]) -> tuple[str, list[str]]:
    """(key, cmake args): every feature the CPU has on, every other off; AVX-512 only with its base set,
    AMX only with its tiles, its int8 kernels and AVX-512 (ggml's AMX path falls back on it)."""
    have = {opt for flag, opt in FEATURES if flag in flags}
    if "GGML_AVX512" not in have:
        have -= {"GGML_AVX512_VBMI", "GGML_AVX512_VNNI", "GGML_AVX512_BF16"}
    if not {"GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AVX512"} <= have:
        have -= AMX
    args = COMMON + [f"-D{opt}={'ON' if opt in have else 'OFF'}" for _, opt in FEATURES]
    key = "-".join(flag.replace("_", "") for flag, opt in FEATURES if opt in have) or "generic"
    return f"{key}-{RECIPE}", args


def patch(source: Path) -> None:
    """Mend ggml's AMX tile config in an unpacked llama-cpp-python source; an error if it is not there."""
    path = source / MMQ
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if IN_RODATA in text:
        return
    if text.count(ON_STACK) != 1:
        raise SystemExit(f"llama_build: {path}: ggml's AMX tile config is not where 0.3.36 has it; not mended")
    tmp = path.with_suffix(".cpp.tmp")
    tmp.write_text(text.replace(ON_STACK, IN_RODATA), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--patch"] and len(argv) == 2:
        patch(Path(argv[1]))
        return 0
    info = Path("/proc/cpuinfo")
    flags = cpu_flags(info.read_text()) if info.exists() else set()
    key, args = build(flags)
    print(key, " ".join(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
