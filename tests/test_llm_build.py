"""The llama.cpp the set-up built runs on this CPU and uses what it offers: every instruction set the build
enabled is one /proc/cpuinfo reports, and every one scripts/llama_build.py chose for it is enabled."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from llama_build import FEATURES, IN_RODATA, MMQ, ON_STACK, RECIPE, build, cpu_flags, patch  # noqa: E402

# llama.cpp's system info name -> the CPU flag it needs
NEEDS = {"SSE3": "pni", "SSSE3": "ssse3", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma", "BMI2": "bmi2",
         "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi", "AVX512_VNNI": "avx512_vnni",
         "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8"}

pytestmark = pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="reads the CPU's flags from /proc")


def test_the_build_uses_only_and_all_the_instructions_this_cpu_has():
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    built = {name for name, on in re.findall(r"(\w+) = (\d+)", info) if on == "1"}
    flags = cpu_flags(Path("/proc/cpuinfo").read_text())
    assert {b for b in built if b in NEEDS and NEEDS[b] not in flags} == set(), info
    _, args = build(flags)
    chosen = {opt.removeprefix("GGML_") for _, opt in FEATURES if f"-D{opt}=ON" in args}
    assert chosen & NEEDS.keys() <= built, (chosen - built, info)  # the system info names AMX by AMX_INT8
    assert "OPENMP" not in built, info  # ggml's own thread pool
    installed = (ROOT / ".venv" / ".llama-build")
    assert not installed.exists() or installed.read_text().strip() == build(flags)[0]


def test_a_cpu_without_avx512_gets_no_avx512():
    key, args = build({"avx", "avx2", "fma", "f16c", "avx512_vnni"})  # VNNI reported without its base set
    assert "-DGGML_AVX512=OFF" in args and "-DGGML_AVX512_VNNI=OFF" in args and "-DGGML_AVX2=ON" in args
    assert key == f"avx-avx2-fma-f16c-{RECIPE}"
    assert build(set())[0] == f"generic-{RECIPE}"
    script = subprocess.run([sys.executable, str(ROOT / "scripts" / "llama_build.py")], capture_output=True, text=True,
                            check=True)
    assert script.stdout.split(" ", 1)[0] == build(cpu_flags(Path("/proc/cpuinfo").read_text()))[0]


def test_amx_only_with_its_tiles_int8_kernels_and_avx512_and_the_source_mended_once(tmp_path):
    base = {"avx", "avx2", "fma", "f16c", "avx512f"}
    assert "-DGGML_AMX_TILE=OFF" in build(base | {"amx_tile"})[1]  # tiles without the int8 kernels
    assert "-DGGML_AMX_INT8=OFF" in build({"avx", "avx2", "amx_tile", "amx_int8"})[1]  # no AVX-512 to fall back on
    key, args = build(base | {"amx_tile", "amx_int8"})
    assert "-DGGML_AMX_INT8=ON" in args and "-DGGML_AMX_TILE=ON" in args and "amxint8" in key
    assert "-DGGML_OPENMP=OFF" in args  # ggml's own thread pool
    source = tmp_path / "llama_cpp_python-0.3.36"
    (source / MMQ).parent.mkdir(parents=True)
    (source / MMQ).write_text(f"// ggml\n{ON_STACK}\n")
    patch(source)
    patch(source)  # mended once
    mended = (source / MMQ).read_text()
    assert ON_STACK not in mended and mended.count(IN_RODATA) == 1
    (source / MMQ).write_text("// another ggml\n")
    with pytest.raises(SystemExit, match="mmq.cpp"):
        patch(source)
