"""The llama.cpp build for this CPU: the instruction sets /proc/cpuinfo reports, as CMake flags, and a key
naming them (the folder its wheel is kept in, so a wheel never reaches a CPU without its instructions).

Prints one line: `<key> <cmake args>`. AMX is left out: ggml's AMX path crashed on these machines
(a general protection fault on the first prompt, issue 31), and AVX-512 with VNNI is what speeds up
the Q4_K_M models we ship."""
from __future__ import annotations

import sys
from pathlib import Path

# CPU flag (as /proc/cpuinfo names it) -> ggml's CMake option, in the order ggml checks them
FEATURES = [
    ("avx", "GGML_AVX"), ("avx2", "GGML_AVX2"), ("fma", "GGML_FMA"), ("f16c", "GGML_F16C"), ("bmi2", "GGML_BMI2"),
    ("avx_vnni", "GGML_AVX_VNNI"), ("avx512f", "GGML_AVX512"), ("avx512vbmi", "GGML_AVX512_VBMI"),
    ("avx512_vnni", "GGML_AVX512_VNNI"), ("avx512_bf16", "GGML_AVX512_BF16"),
]
COMMON = ["-DGGML_NATIVE=OFF", "-DLLAVA_BUILD=OFF"]


def cpu_flags(cpuinfo: str) -> set[str]:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def build(flags: set[str]) -> tuple[str, list[str]]:
    """(key, cmake args): every feature the CPU has on, every other off; AVX-512 only with its base set."""
    have = {opt for flag, opt in FEATURES if flag in flags}
    if "GGML_AVX512" not in have:
        have -= {"GGML_AVX512_VBMI", "GGML_AVX512_VNNI", "GGML_AVX512_BF16"}
    args = COMMON + [f"-D{opt}={'ON' if opt in have else 'OFF'}" for _, opt in FEATURES]
    key = "-".join(flag.replace("_", "") for flag, opt in FEATURES if opt in have) or "generic"
    return key, args


def main() -> int:
    info = Path("/proc/cpuinfo")
    flags = cpu_flags(info.read_text()) if info.exists() else set()
    key, args = build(flags)
    print(key, " ".join(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
