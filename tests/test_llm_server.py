"""The OpenAI-compatible backend against a real llama.cpp server on loopback, serving the test model."""
import pytest

from helpers import llama_server
from rag.asking.reply import REFUSAL
from rag.asking.answer import Answerer
from rag.models.llm import OpenAICompatibleLLM
from rag.models.catalog import resolve


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with llama_server(resolve("smollm2-135m"), tmp_path_factory.mktemp("server"), "--n_ctx", "4096",
                      "--model_alias", "smollm2") as url:
        yield url


def test_openai_compatible_stream(server):
    llm = OpenAICompatibleLLM(server, "smollm2")
    pieces = list(llm.stream([{"role": "user", "content": "Säg hej."}], max_tokens=16))
    assert pieces and "".join(pieces).strip()


def test_answerer_over_http_backend(server, corpus_index):
    answerer = Answerer(corpus_index, OpenAICompatibleLLM(server, "smollm2"))
    fact = answerer.ask("Vem instämde i Sverigedemokraternas särskilda yttrande?")
    assert "Anders Pripp" in fact.answer and "@ http://127.0.0.1" in fact.models["llm"]
    assert answerer.ask("Vad kostar ett busskort för ungdomar i Malmö?").answer == REFUSAL


def test_openai_compatible_json_follows_the_schema(server):
    llm = OpenAICompatibleLLM(server, "smollm2")
    schema = {"type": "object", "required": ["meningar"], "properties": {"meningar": {
        "type": "array", "maxItems": 2, "items": {"type": "integer", "enum": [1, 2, 3]}}}}
    got = llm.json([{"role": "user", "content": "Vilka meningar handlar om skolan? [1] Skolan byggs. [2] Vägen lagas."}],
                   schema, max_tokens=30)
    assert isinstance(got, dict) and isinstance(got["meningar"], list) and set(got["meningar"]) <= {1, 2, 3}
