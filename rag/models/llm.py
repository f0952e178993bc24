"""LLM adapters: a local GGUF through llama-cpp-python, or any OpenAI-compatible HTTP endpoint.

Both expose `stream(messages, max_tokens)` yielding text pieces, and `name`.
The local model is loaded once per process and keeps exactly the system prompt's
KV state between questions: it is not evaluated again, and each question's own text
is evaluated from the same position, so the same question gets the same answer
whatever was asked before it. Text inside messages is never read as control tokens.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Protocol

from .catalog import registry, resolve

Message = dict[str, str]

# the control-token spellings of the common chat templates (ChatML, Llama 2/3, Gemma, Mistral, Phi): text in
# a document or a question that looks like one must reach the model as text, never as a turn boundary
_CONTROL = re.compile(r"<\|[A-Za-z0-9_.:\-]{1,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>"
                      r"|<\|?(?:endoftext|eot_id|begin_of_text|start_header_id|end_header_id)\|?>")


def as_text(text: str, extra: frozenset[str] = frozenset()) -> str:
    """`text` with every control-token spelling (and the model's own, `extra`) broken by a zero-width space
    after its first character, so the tokenizer reads characters, not a special token."""
    text = _CONTROL.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], text)
    for token in extra:
        if token in text:
            text = text.replace(token, token[0] + "\u200b" + token[1:])
    return text


def _plain(messages: list[Message], extra: frozenset[str] = frozenset()) -> list[Message]:
    return [{**m, "content": as_text(m["content"], extra)} for m in messages]


class LLM(Protocol):
    name: str

    def stream(self, messages: list[Message], max_tokens: int = 400) -> Iterator[str]: ...

    def json(self, messages: list[Message], schema: dict, max_tokens: int = 120) -> dict | None: ...


@dataclass
class LlamaCppLLM:
    """llama-cpp-python with the chat template from the GGUF's own metadata, temperature 0."""

    path: Path
    n_ctx: int = 4096
    n_threads: int | None = None
    temperature: float = 0.0
    n_threads_batch: int | None = None  # the prompt's threads (generation: n_threads); both explicit

    def __post_init__(self) -> None:
        from llama_cpp import Llama

        self.name = self.path.name
        self.n_threads = self.n_threads or os.cpu_count()
        self.n_threads_batch = self.n_threads_batch or self.n_threads
        self._llama = Llama(model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                            n_threads_batch=self.n_threads_batch, n_batch=512, verbose=False, seed=0)
        self._lock = threading.Lock()  # one generation at a time per loaded model
        self.waiting = 0  # questions waiting for the lock (what the page tells those who wait for the model)
        atexit.register(self._llama.close)  # free while the library is still loaded, not in __del__ at exit
        self.control_tokens = self._control_tokens()
        self._system_cache: dict[str, list[int]] = {}

    def _control_tokens(self) -> frozenset[str]:
        """The model's own special tokens ('<|im_start|>', '<repo_name>' …): those that read as text only
        when special tokens are rendered."""
        llama, found = self._llama, set()
        for i in range(llama.n_vocab()):
            shown = llama.detokenize([i], special=True)
            if shown and shown != llama.detokenize([i], special=False):
                found.add(shown.decode("utf-8", errors="ignore"))
        return frozenset(t for t in found if len(t) > 1)

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def special_token_id(self, text: str) -> int | None:
        ids = self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else None

    def _render(self, messages: list[Message], generation_prompt: bool = True) -> list[int]:
        """Messages through the GGUF's own chat template, tokenised with the template's markers as special
        tokens (what llama-cpp-python does inside create_chat_completion)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llama.metadata.get("tokenizer.chat_template", "")
        formatter = Jinja2ChatFormatter(template, eos_token="", bos_token="", add_generation_prompt=generation_prompt)
        return self._llama.tokenize(formatter(messages=messages).prompt.encode("utf-8"), add_bos=False, special=True)

    def prompt_tokens(self, messages: list[Message]) -> list[int]:
        """The tokens the model reads for these messages: our template's markers are special tokens,
        everything inside a message is text."""
        return self._render(_plain(messages, self.control_tokens))

    def _system_tokens(self, messages: list[Message]) -> list[int]:
        if not messages or messages[0].get("role") != "system":
            return []
        key = messages[0]["content"]
        if key not in self._system_cache:  # one entry: the system prompt changes only with klarspråk or rephrasing
            self._system_cache = {key: self._render(messages[:1], generation_prompt=False)}
        return self._system_cache[key]

    def _pin_system_prompt(self, messages: list[Message]) -> None:
        """Keep exactly the system prompt's KV state, evaluated alone: every question's own text then starts
        at the same position in the same batches, so its answer does not depend on the previous question
        (a prefix shared by chance, evaluated in other batches, can tip a greedy choice). Called locked."""
        llama, system = self._llama, self._system_tokens(messages)
        if llama.n_tokens < len(system) or list(llama._input_ids[: len(system)]) != system:
            llama.reset()
            if system:
                llama.eval(system)
        llama.n_tokens = len(system)

    @contextmanager
    def _turn(self):
        """The model's one slot; `waiting` counts those in line for it."""
        self.waiting += 1
        try:
            self._lock.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._lock.release()

    def busy(self) -> bool:
        return self._lock.locked()

    def stream(self, messages: list[Message], max_tokens: int = 400) -> Iterator[str]:
        messages = _plain(messages, self.control_tokens)
        with self._turn():
            self._pin_system_prompt(messages)
            for part in self._llama.create_chat_completion(
                messages=messages, temperature=self.temperature, top_p=1.0, top_k=1, repeat_penalty=1.05,
                max_tokens=max_tokens, stream=True,
            ):
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta


    def json(self, messages: list[Message], schema: dict, max_tokens: int = 120) -> dict | None:
        """Output constrained to the JSON schema by llama.cpp's grammar: a choice, not prose to repair."""
        messages = _plain(messages, self.control_tokens)
        with self._turn():
            self._pin_system_prompt(messages)
            out = self._llama.create_chat_completion(
                messages=messages, temperature=self.temperature, top_p=1.0, top_k=1, max_tokens=max_tokens,
                response_format={"type": "json_object", "schema": schema})
        return _parse(out["choices"][0]["message"].get("content"))


@dataclass
class OpenAICompatibleLLM:
    """A llama.cpp server, vLLM or Ollama: the way to run a bigger model on a shared GPU server."""

    base_url: str
    model: str
    api_key: str = "not-needed"
    temperature: float = 0.0

    def __post_init__(self) -> None:
        from openai import OpenAI

        self.name = f"{self.model} @ {self.base_url}"
        self._client = OpenAI(base_url=self.base_url, api_key=self.api_key)

    def count_tokens(self, text: str) -> int:
        return len(text) // 4

    def stream(self, messages: list[Message], max_tokens: int = 400) -> Iterator[str]:
        messages = _plain(messages)  # the server's tokenizer would read them as turn boundaries too
        response = self._client.chat.completions.create(
            model=self.model, messages=messages, temperature=self.temperature, max_tokens=max_tokens, stream=True)
        for part in response:
            delta = part.choices[0].delta.content if part.choices else None
            if delta:
                yield delta


    def json(self, messages: list[Message], schema: dict, max_tokens: int = 120) -> dict | None:
        """OpenAI's, vLLM's and llama.cpp's 'json_schema'; llama-cpp-python's server knows only
        'json_object' with a schema, so that is the second try."""
        from openai import APIStatusError

        messages = _plain(messages)

        def ask(response_format: dict):
            return self._client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature, max_tokens=max_tokens,
                response_format=response_format)

        try:  # a server that does not know the format answers 400, 422 or (llama-cpp-python) 500
            response = ask({"type": "json_schema", "json_schema": {"name": "svar", "schema": schema, "strict": True}})
        except APIStatusError:
            response = ask({"type": "json_object", "schema": schema})
        return _parse(response.choices[0].message.content if response.choices else None)


def _parse(content: str | None) -> dict | None:
    try:
        value = json.loads(content or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@lru_cache(maxsize=2)
def load_llm(model: str | None = None, n_ctx: int = 4096, n_threads: int | None = None) -> LLM:
    """`model`: a registry key, a GGUF path, or 'openai:<model>' (with PARAGRAF_OPENAI_BASE_URL)."""

    model = model or os.environ.get("PARAGRAF_LLM", "qwen2.5-coder-1.5b")
    if model.startswith("openai:"):
        return OpenAICompatibleLLM(os.environ.get("PARAGRAF_OPENAI_BASE_URL", "http://127.0.0.1:8080/v1"),
                                   model.removeprefix("openai:"), os.environ.get("PARAGRAF_OPENAI_API_KEY", "not-needed"))
    path = resolve(model, fetch_missing=True) if model in registry() else Path(model)
    if not path.exists():
        raise FileNotFoundError(f"LLM file not found: {path}")
    threads = n_threads or int(os.environ.get("PARAGRAF_LLM_THREADS", "0")) or None
    batch = int(os.environ.get("PARAGRAF_LLM_THREADS_BATCH", "0")) or None
    return LlamaCppLLM(path, n_ctx=int(os.environ.get("PARAGRAF_LLM_CTX", n_ctx)), n_threads=threads,
                       n_threads_batch=batch)
