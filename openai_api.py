"""Paragraf as an OpenAI-compatible "model": `POST /v1/chat/completions` (JSON, or SSE with `stream`) and
`GET /v1/models` on the web app, so the openai SDK and chat front ends (Open WebUI, LibreChat, an intranet
bot) can ask it like any model.

The last user message is the question, earlier user/assistant turns the conversation. The answer is the
one `/ask` gives: the text with its [n] markers and a "Källor" list, and the full citations (document,
locator, quote, link to the document view) in the response's `citations` field. A streamed answer is sent
once its citations are checked (the checks read the whole answer), in pieces, with SSE comments while it
is being worked out so that proxies keep the connection open. Optional filters come in a `paragraf`
object of the request body (the SDK's `extra_body`): organ, date_from, date_to, doc, beteckning, klarsprak.
"""
from __future__ import annotations

import hmac
import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from rag.asking import Answer, Citation
from rag.service import Paragraf, make_filters

MODEL_ID = "paragraf"
MAX_WAITING = 8  # questions waiting for the LLM's one slot, beyond which a client is told to come back
HEARTBEAT_S = 2.0
_SOURCES = re.compile(r"\n\nKällor:\n.*\Z", re.S)  # an earlier answer's source list, as this endpoint wrote it


class ApiError(Exception):
    """A refused request, answered as OpenAI's API does: status, `error.message`, `error.type`, `error.param`."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.body()}, status_code=self.status)

    def body(self) -> dict:
        return {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}


FILTER_FIELDS = ("organ", "date_from", "date_to", "doc", "beteckning")


def router(service: Paragraf, api_key: str | None, history_turns: int) -> APIRouter:
    api = APIRouter(prefix="/v1")
    waiting = threading.BoundedSemaphore(MAX_WAITING)

    def authorise(request: Request) -> None:
        # bytes, not str: a header with other than ASCII in it is a wrong key, not an error of the comparison
        given = request.headers.get("authorization", "").encode("utf-8", "surrogateescape")
        if api_key and not hmac.compare_digest(given, f"Bearer {api_key}".encode()):
            raise ApiError(401, "Fel eller saknad API-nyckel (Authorization: Bearer …).", code="invalid_api_key")

    @api.get("/models")
    def models(request: Request):
        try:
            authorise(request)
        except ApiError as exc:
            return exc.response()
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "paragraf"}]}

    @api.post("/chat/completions")
    async def chat_completions(request: Request):
        try:
            authorise(request)
            body = await _json(request)
            question, history = conversation(body.get("messages"), history_turns)
            options = _options(body.get("paragraf"))
            filters = make_filters(*(options.get(k) for k in FILTER_FIELDS))
        except ApiError as exc:
            return exc.response()
        except ValueError as exc:  # a filter's Swedish reason
            return ApiError(400, str(exc), param="paragraf").response()
        if not waiting.acquire(blocking=False):
            return ApiError(429, "Paragraf har för många frågor i kö just nu. Försök igen om en stund.",
                            kind="rate_limit_error").response()

        released = threading.Event()

        def release() -> None:  # once, whether the answer ran, failed or the client left before it began
            if not released.is_set():
                released.set()
                waiting.release()

        def answer() -> Answer:
            try:
                return service.ask(question, history=history, klarsprak=bool(options.get("klarsprak")), filters=filters)
            finally:
                release()

        base = str(request.base_url)
        if body.get("stream"):
            return StreamingResponse(_sse(answer, base, release), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        from starlette.concurrency import run_in_threadpool

        try:
            got = await run_in_threadpool(answer)
        except (ValueError, RuntimeError) as exc:  # the question's or the service's Swedish reason
            return ApiError(400 if isinstance(exc, ValueError) else 503, str(exc)).response()
        return completion(got, base)

    return api


async def _json(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ApiError(400, "Begäran är inte giltig JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Begäran ska vara ett JSON-objekt.")
    return body


def _options(options: object) -> dict:
    """The `paragraf` object: each filter a string (or null), klarsprak a boolean."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ApiError(400, "Fältet 'paragraf' ska vara ett objekt med filter.", param="paragraf")
    for key in FILTER_FIELDS:
        if options.get(key) is not None and not isinstance(options[key], str):
            raise ApiError(400, f"Fältet 'paragraf.{key}' ska vara en text, till exempel \"2025-01-01\" för ett "
                                f"datum.", param=f"paragraf.{key}")
    if options.get("klarsprak") is not None and not isinstance(options["klarsprak"], bool):
        raise ApiError(400, "Fältet 'paragraf.klarsprak' ska vara true eller false.", param="paragraf.klarsprak")
    return options


def conversation(messages: object, turns: int) -> tuple[str, list[tuple[str, str]]]:
    """(the question, the last `turns` earlier question/answer pairs) from OpenAI chat messages."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "Fältet 'messages' ska vara en lista med minst ett meddelande.", param="messages")
    said = [(m.get("role"), _text(m.get("content"), f"messages[{i}].content"))
            for i, m in enumerate(messages) if isinstance(m, dict)]
    if not said or said[-1][0] != "user" or not said[-1][1].strip():
        raise ApiError(400, "Det sista meddelandet ska vara användarens fråga.", param="messages")
    pairs, asked = [], None
    for role, content in said[:-1]:
        if role == "user":
            asked = content
        elif role == "assistant" and asked is not None:
            pairs.append((asked, _SOURCES.sub("", content)))
            asked = None
    return said[-1][1], pairs[-turns:] if turns else []


def _text(content: object, field: str) -> str:
    """A message's text: a string, or the text parts of a list of parts (each text a string)."""
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise ApiError(400, f"Fältet '{field}' ska vara en text eller en lista med delar.", param=field)
    texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
    if not all(isinstance(t, str) for t in texts):
        raise ApiError(400, f"En textdel i '{field}' ska ha en text i fältet 'text'.", param=field)
    return "\n".join(texts)


def doc_link(base: str, c: Citation) -> str:
    return f"{base}dokument?doc={quote(c.doc)}&stycke={quote(c.chunk_id)}#stycke"


def citations(answer: Answer, base: str) -> list[dict]:
    return [{"n": c.n, "doc": c.doc, "locator": c.locator, "quote": c.quote, "chunk_id": c.chunk_id,
             "url": doc_link(base, c)} for c in answer.citations]


def completion(answer: Answer, base: str) -> dict:
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": MODEL_ID,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": answer.with_sources(lambda c: doc_link(base, c))}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": citations(answer, base), "paragraf": {"refused": answer.refused, "route": answer.route, "arende": answer.arende}}


def _sse(answer, base: str, release) -> Iterator[str]:
    """The answer as chat.completion.chunk events: the role at once, SSE comments while it is worked out,
    then the checked text in pieces, and a last chunk with the citations."""
    try:
        yield from _events(answer, base)
    finally:
        release()


def _events(answer, base: str) -> Iterator[str]:
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        event = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    with ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(answer)
        while True:
            try:
                got = job.result(timeout=HEARTBEAT_S)
                break
            except TimeoutError:
                yield ": Paragraf söker i dokumenten\n\n"
            except Exception as exc:  # the client's SDK raises it as an APIError
                message = str(exc) if isinstance(exc, (ValueError, RuntimeError)) else \
                    f"Frågan kunde inte besvaras just nu ({type(exc).__name__}). Försök igen."
                yield f"data: {json.dumps({'error': ApiError(400, message).body()}, ensure_ascii=False)}\n\n"
                yield "data: [DONE]\n\n"
                return
    for piece in re.findall(r"\S+\s*|\s+", got.with_sources(lambda c: doc_link(base, c))):
        yield chunk({"content": piece})
    yield chunk({}, "stop", citations=citations(got, base), paragraf={"refused": got.refused, "route": got.route, "arende": got.arende})
    yield "data: [DONE]\n\n"
