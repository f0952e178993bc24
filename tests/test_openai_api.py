"""Paragraf as an OpenAI-compatible model: the `openai` SDK against the running app, streaming and not, and
the same answer and citations as `/ask`."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from gradio_client import Client
from openai import AuthenticationError, BadRequestError, OpenAI

from conftest import API_KEY
from openai_api import conversation

PRIPP = "Vem instämde i Sverigedemokraternas särskilda yttrande?"


@pytest.fixture(scope="module")
def sdk(app_server) -> OpenAI:
    return OpenAI(base_url=app_server.url + "/v1", api_key=API_KEY, max_retries=0, timeout=300)


def _ask(sdk: OpenAI, question: str, **kw):
    return sdk.chat.completions.create(model="paragraf", messages=[{"role": "user", "content": question}], **kw)


def test_models_lists_paragraf_and_wants_the_key(sdk, app_server):
    assert [m.id for m in sdk.models.list().data] == ["paragraf"]
    with pytest.raises(AuthenticationError, match="API-nyckel"):
        OpenAI(base_url=app_server.url + "/v1", api_key="fel", max_retries=0).models.list()
    with pytest.raises(urllib.error.HTTPError) as no_key:
        urllib.request.urlopen(urllib.request.Request(app_server.url + "/v1/chat/completions", method="POST",
                                                      data=json.dumps({"messages": []}).encode()), timeout=30)
    assert no_key.value.code == 401


def test_chat_completion_is_the_answer_of_ask_with_its_sources(sdk, app_server):
    got = _ask(sdk, PRIPP)
    content = got.choices[0].message.content
    citations = got.model_extra["citations"]
    ask = Client(app_server.url + "/", verbose=False).predict(PRIPP, api_name="/ask")
    assert "Anders Pripp" in content and got.choices[0].finish_reason == "stop"
    assert content.split("\n\nKällor:\n")[0] == ask["answer"]  # the same text, [n] markers and all
    assert [(c["n"], c["doc"], c["locator"], c["quote"]) for c in citations] == [
        (c["n"], c["doc"], c["locator"], c["quote"]) for c in ask["citations"]]
    assert any("Bilaga 13" in c["locator"] for c in citations)
    # the matter the cited § is a step of: its way through the meetings, in the API and under the sources
    assert got.model_extra["paragraf"]["arende"]["dnr"] == ask["arende"]["dnr"] == ["STK-2024-1374"]
    assert "Ärendets gång (STK-2024-1374):" in content and "Kommunfullmäktige § 8" in content
    for c in citations:  # each source is listed under 'Källor' and its link opens the document at it
        assert f"[{c['n']}] {c['locator']}" in content and c["url"] in content
        with urllib.request.urlopen(c["url"], timeout=30) as page:
            assert page.status == 200 and 'id="stycke"' in page.read().decode()


def test_streamed_answer_equals_the_whole_one(sdk):
    whole = _ask(sdk, PRIPP)
    pieces, last = [], None
    for event in _ask(sdk, PRIPP, stream=True):
        pieces.append(event.choices[0].delta.content or "")
        last = event
    assert len(pieces) > 3 and "".join(pieces) == whole.choices[0].message.content
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] == whole.model_extra["citations"]


def test_refusal_and_bad_requests(sdk):
    refused = _ask(sdk, "Vad kostar ett busskort för ungdomar i Malmö?")
    assert refused.choices[0].message.content == "Det framgår inte av dokumenten."
    assert refused.model_extra["citations"] == [] and refused.model_extra["paragraf"]["refused"]
    with pytest.raises(BadRequestError, match="sista meddelandet"):
        sdk.chat.completions.create(model="paragraf", messages=[{"role": "assistant", "content": "Hej"}])
    with pytest.raises(BadRequestError, match="Från datum"):
        _ask(sdk, PRIPP, extra_body={"paragraf": {"date_from": "7 januari"}})
    with pytest.raises(BadRequestError, match="Frågan är för lång"):
        _ask(sdk, "Vem? " * 1000)
    assert "Anders Pripp" in _ask(sdk, PRIPP).choices[0].message.content  # and it serves on


def test_earlier_turns_are_the_conversation_without_their_source_lists():
    question, history = conversation([
        {"role": "system", "content": "Du är en hjälpsam assistent."},
        {"role": "user", "content": PRIPP},
        {"role": "assistant", "content": "Anders Pripp (SD) instämde. [1]\n\nKällor:\n[1] Kommunstyrelsen § 16"},
        {"role": "user", "content": [{"type": "text", "text": "Vilket parti tillhör han?"}]},
    ], turns=3)
    assert question == "Vilket parti tillhör han?"
    assert history == [(PRIPP, "Anders Pripp (SD) instämde. [1]")]


def _post(url: str, body: object, authorization: bytes | str = f"Bearer {API_KEY}") -> tuple[int, dict]:
    """A raw request (the SDK would refuse to send most of these); the status and the parsed error body."""
    import http.client
    from urllib.parse import urlparse

    where = urlparse(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Authorization": authorization}
    conn.request("POST" if body is not None else "GET", where.path, body=data if body is not None else None,
                 headers=headers)
    reply = conn.getresponse()
    status, payload = reply.status, reply.read()
    conn.close()
    return status, json.loads(payload or b"{}")


@pytest.mark.parametrize("body, param", [
    ({"messages": [{"role": "user", "content": PRIPP}], "paragraf": {"organ": 5}}, "paragraf.organ"),
    ({"messages": [{"role": "user", "content": PRIPP}], "paragraf": {"date_from": 20250101}}, "paragraf.date_from"),
    ({"messages": [{"role": "user", "content": PRIPP}], "paragraf": {"doc": ["malmo"]}}, "paragraf.doc"),
    ({"messages": [{"role": "user", "content": PRIPP}], "paragraf": {"klarsprak": "ja"}}, "paragraf.klarsprak"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": {"text": PRIPP}}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": PRIPP}], "paragraf": {"organ": "Kommun\x00styrelsen"}}, "paragraf"),
])
def test_wrongly_typed_fields_are_a_bad_request_naming_the_field(app_server, body, param):
    status, reply = _post(app_server.url + "/v1/chat/completions", body)
    assert status == 400 and reply["error"]["param"] == param and reply["error"]["type"] == "invalid_request_error"
    assert reply["error"]["message"] and "\n" not in reply["error"]["message"]


def test_a_key_with_other_than_ascii_is_a_wrong_key(app_server):
    for path, body in (("/v1/chat/completions", {"messages": [{"role": "user", "content": PRIPP}]}),
                       ("/v1/models", None)):
        status, reply = _post(app_server.url + path, body, authorization="Bearer nyckel-åäö".encode())
        assert status == 401 and reply["error"]["code"] == "invalid_api_key"


def test_a_nul_in_a_filter_is_a_bad_request_on_postgres(pg_app_server):
    """The database takes no NUL: the filter is refused with its reason before any query runs."""
    body = {"messages": [{"role": "user", "content": PRIPP}], "paragraf": {"organ": "Kommun\x00styrelsen"}}
    status, reply = _post(pg_app_server.url + "/v1/chat/completions", body)
    assert status == 400 and "styrtecken" in reply["error"]["message"]
    status, _ = _post(pg_app_server.url + "/v1/chat/completions", {"messages": [{"role": "user", "content": PRIPP}]})
    assert status == 200  # and it serves on
