"""Paragraf web chat: `python app.py` serves it on http://127.0.0.1:7860.

The page only calls the library (`rag.service.Paragraf`). Everything that comes
from a document or a user passes through `text()` before it reaches HTML, so a
document containing markup is shown as the characters it contains.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: never phone home
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402
from fastapi import FastAPI, Query, Request  # noqa: E402
from fastapi.responses import HTMLResponse, PlainTextResponse  # noqa: E402

import openai_api  # noqa: E402
import page_sv  # noqa: E402
from rag import is_index_url, settings  # noqa: E402
from rag.asking import REFUSAL, Answer, Preview, answer_with_sources  # noqa: E402
from rag.asking import cited_spans  # noqa: E402
from rag.records import PLANTED_NOTE  # noqa: E402
from rag.store import DatabaseAway  # noqa: E402
from rag.asking import MAX_QUESTION  # noqa: E402
from rag.reading import ReadError  # noqa: E402
from rag.service import Paragraf, make_filters  # noqa: E402
from rag.staff import LoginRefused, StaffDoor  # noqa: E402

EXAMPLES = [
    "Vilka partier lämnade särskilda yttranden?",
    "Vem instämde i Sverigedemokraternas särskilda yttrande?",
    "Hur slutade omröstningen om tiggeriförbudet?",
    "Vem var ordförande på sammanträdet?",
    "Vad hette kraftsamlande insatser tidigare?",
]
STAFF_COOKIE = "paragraf_staff"
# the last answer with its sources to the clipboard; without the Clipboard API (a plain-http address other
# than localhost) through a selected text area
COPY_JS = """(t) => {
  if (!t) return;
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(t); return; }
  const area = document.createElement('textarea'); area.value = t; document.body.appendChild(area);
  area.select(); document.execCommand('copy'); area.remove();
}"""
WAITING = "Söker i dokumenten"
ANSWER_SLOTS = 32  # questions answered at once: code answers in parallel; the model's own lock queues the rest
HISTORY_TURNS = 3
ALL = "Alla"

CSS = """
.pg-answer p { margin: 0 0 .5em 0; }
.pg-refusal { border-left: 4px solid #b45309; background: #fffbeb; padding: .5em .8em; border-radius: 4px; }
.pg-refusal strong { color: #78350f; }
.pg-error { border-left: 4px solid #b91c1c; background: #fef2f2; padding: .5em .8em; border-radius: 4px; }
.pg-sources { margin-top: .8em; border-top: 1px solid #d1d5db; padding-top: .4em; font-size: .92em; }
.pg-source { margin: .5em 0; padding: .4em .6em; background: #f9fafb; border-radius: 4px; }
.pg-source:target { outline: 2px solid #2563eb; }
.pg-locator { font-weight: 600; }
.pg-quote { max-height: 9em; overflow-y: auto; margin: .3em 0; color: #1f2937; }
.pg-side-title h2 { font-size: 1.1em; margin: 0; }
.pg-quote mark { background: #fde68a; padding: 0 1px; }
.pg-marker { text-decoration: none; font-weight: 600; }
.pg-status { padding: .4em .8em; border-radius: 4px; background: #eff6ff; }
.pg-status.pg-ready { background: #f0fdf4; }
.pg-bar { height: 6px; background: #dbeafe; border-radius: 3px; margin-top: .3em; }
.pg-bar > div { height: 6px; background: #2563eb; border-radius: 3px; }
"""


# ---------------------------------------------------------------------------------------------- rendering
_HTML_CHARS = {c: html.escape(c, quote=True) for c in "&<>\"'"}
_HTML = str.maketrans(_HTML_CHARS)
# one pass, so that an entity written for one character is never escaped again ('&#x27;' -> '&&#35;x27;')
_MD = str.maketrans({**{c: f"&#{ord(c)};" for c in "[]()*_`#|~\\!{}+-"}, **_HTML_CHARS})


def text(value: object, markdown: bool = True) -> str:
    """Any document or user text as inert HTML: no tag or entity survives, nor Markdown syntax where the
    HTML still passes through a Markdown renderer (the chat)."""
    return str(value).translate(_MD if markdown else _HTML).replace("\n", "<br>")


def _marked(quote_text: str, answer: str) -> str:
    quote_text = re.sub(r"[ \t]*\n\s*", "\n", quote_text.replace("\f", "\n")).strip()  # PDF lines, not blank gaps
    out, pos = [], 0
    for start, end in cited_spans(quote_text, answer):
        out += [text(quote_text[pos:start]), "<mark>", text(quote_text[start:end]), "</mark>"]
        pos = end
    out.append(text(quote_text[pos:]))
    return "".join(out)


def _doc_link(doc: str, chunk_id: str) -> str:
    href = f"dokument?doc={quote(doc)}&amp;stycke={quote(chunk_id)}#stycke"
    return f'<a href="{href}" target="_blank" rel="noopener">Öppna dokumentet vid stycket ↗</a>'


def _source(item: dict, anchor: str, label: str, answer: str) -> str:
    return (f'<div class="pg-source" id="{anchor}"><span class="pg-locator">{label} {text(item["locator"])}</span>'
            f'<div class="pg-quote" tabindex="0">{_marked(item["quote"], answer)}</div>'
            f'<small>{text(item["doc"])} · {_doc_link(item["doc"], item["chunk_id"])}</small></div>')


def render_answer(answer: dict, turn: str) -> str:
    """The checked answer with clickable markers, then its sources (or, for a refusal, the closest passages)."""
    if answer["refused"]:
        closest = [{"locator": r["locator"], "quote": r["text"], "doc": r["doc"], "chunk_id": r["id"]}
                   for r in answer["retrieved"][:3]]
        body = (f'<div class="pg-refusal"><strong>{text(REFUSAL)}</strong>'
                + (f" {text(answer['answer'])}" if answer["answer"] != REFUSAL else "") + "</div>")
        if closest:
            body += ('<div class="pg-sources"><strong>Närmast i dokumenten</strong> (svarar inte på frågan):'
                     + "".join(_source(c, f"pg-{turn}-n{i}", "•", "") for i, c in enumerate(closest, 1)) + "</div>")
        return body
    shown = {c["n"] for c in answer["citations"]}
    marked = text(answer["answer"])
    for n in sorted(shown, reverse=True):  # "[12]" before "[1]"
        marked = marked.replace(f"&#91;{n}&#93;", f'<a class="pg-marker" href="#pg-{turn}-{n}">[{n}]</a>')
    sources = "".join(_source(c, f"pg-{turn}-{c['n']}", f"[{c['n']}]", answer["answer"]) for c in answer["citations"])
    return (f'<div class="pg-answer">{marked}</div>'
            + (f'<div class="pg-sources"><strong>Källor</strong>{sources}</div>' if sources else "")
            + render_matter(answer.get("arende")))


def render_matter(matter: dict | None) -> str:
    """'Ärendets gång': the matter's steps in date order, each with what was decided and a link to it."""
    if not matter:
        return ""
    items = []
    for s in matter["steps"]:
        head = text(f"{s['date']} · {s['organ']} · § {s['paragraf']}")
        if s["mentioned_in"] or not s["doc"]:
            done = f" · {text(s['decision'])}" if s["decision"] else ""  # 'Bordlagt', as the later step says
            items.append(f"<li>{head}{done} <small>(nämns i {text(s['mentioned_in'] or '')})</small></li>")
            continue
        decided = f"<br><small>{text(s['decision'])}</small>" if s["decision"] else ""
        items.append(f"<li>{head} · {_doc_link(s['doc'], s['chunk_id'])}{decided}</li>")
    name = " ".join(matter["dnr"][:1]) or matter["title"]
    return (f'<div class="pg-matter"><strong>Ärendets gång</strong> <small>{text(name)}</small>'
            f'<ol>{"".join(items)}</ol></div>')


def render_streaming(partial: str) -> str:
    return f'<div class="pg-answer">{text(partial)} …</div>'


def render_error(message: str) -> str:
    return f'<div class="pg-error"><strong>Något gick fel.</strong> {text(message)}</div>'


def render_status(service: Paragraf) -> str:
    s = service.status
    if s.error:
        return f'<div class="pg-error"><strong>Paragraf kunde inte starta.</strong> {text(s.error)}</div>'
    bar = (f'<div class="pg-bar"><div style="width:{int(100 * s.progress)}%"></div></div>'
           if s.progress is not None else "")
    return f'<div class="pg-status{" pg-ready" if s.ready else ""}">{text(s.message)}{bar}</div>'


def render_document(service: Paragraf, doc: str, chunk_id: str) -> tuple[str, int]:
    """The page and its HTTP status: 404 for a document that is not in the index or cannot be shown."""
    try:
        src = service.source(doc)
    except (ReadError, RuntimeError) as exc:  # not in the index (404), or its database away for now (503)
        return _page("Dokumentet kan inte visas", f"<p>{text(exc, False)}</p>"), 503 if isinstance(exc, DatabaseAway) else 404
    chunk = service.chunk(chunk_id)
    chunk = chunk if chunk and chunk.doc == doc else None
    body = src.text
    if chunk:
        # the link's #stycke focuses the passage on opening (tabindex), so a screen reader starts there (no
        # script: the page's CSP allows none); hidden words say where it starts and ends
        parts = [text(body[: chunk.start], False), '<span class="sr-only">Det citerade stycket börjar.</span>',
                 f'<mark id="stycke" tabindex="-1">{text(body[chunk.start: chunk.end], False)}</mark>',
                 '<span class="sr-only">Det citerade stycket slutar.</span>', text(body[chunk.end:], False)]
    else:
        parts = [text(body, False)]
    page_break = '<hr title="sidbrytning">'
    head = f"<h1>{text(doc, False)}</h1>" + (
        f'<p><strong>{text(chunk.locator, False)}</strong> · <a href="#stycke">Gå till det citerade stycket</a></p>'
        if chunk else "")
    return _page(doc, head + f'<div class="doc">{"".join(parts).replace(chr(12), page_break)}</div>'), 200


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{text(title, False)} – Paragraf</title>'
            "<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.5}"
            ".doc{white-space:normal;overflow-wrap:anywhere}mark{background:#fde68a;scroll-margin-top:30vh}"
            ":focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}mark:focus{outline:none;text-decoration:underline 2px #1d4ed8}"
            ".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
            "</style></head>"
            f"<body><main>{body}</main></body></html>")


# ---------------------------------------------------------------------------------------------- the page
def build(service: Paragraf, door: StaffDoor | None) -> gr.Blocks:
    with gr.Blocks(title="Paragraf") as demo:
        gr.Markdown("# Paragraf\nFrågor om kommunala protokoll, besvarade med hänvisningar till paragraf och bilaga.")
        status = gr.HTML(render_status(service), elem_id="pg-status")
        timer = gr.Timer(1.0)
        turns = gr.State([])  # this conversation only: [{"question", "answer": Answer.to_dict()}]
        with gr.Tab("Fråga"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Samtal", show_label=False, height=620, elem_id="pg-chat", buttons=["copy"],
                        placeholder="**Ställ en fråga om protokollen**, eller välj ett exempel nedan.",
                        examples=[{"text": q} for q in EXAMPLES], feedback_options=("Like", "Dislike"),
                    )
                    with gr.Row():
                        question = gr.Textbox(label="Din fråga", show_label=False, placeholder="Skriv din fråga …", scale=6,
                                              max_length=MAX_QUESTION, elem_id="pg-question", submit_btn=False)
                        send = gr.Button("Fråga", variant="primary", scale=1, elem_id="pg-send")
                    with gr.Row():
                        new = gr.Button("Ny konversation", size="sm")
                        copy = gr.Button("Kopiera svar med källor", size="sm", elem_id="pg-copy")
                        klarsprak = gr.Checkbox(label="Klarspråk (enklare svar, ord förklaras)", value=False)
                    copy_text = gr.Textbox(visible=False)  # the last answer as plain text with its sources
                    feedback_note = gr.Markdown(elem_id="pg-feedback-note")
                    with gr.Accordion("Synpunkt på senaste svaret", open=False):
                        comment = gr.Textbox(label="Kommentar (frivillig)", lines=2, max_length=2000)
                        send_comment = gr.Button("Skicka synpunkt", size="sm")
                with gr.Column(scale=1, min_width=220):
                    gr.Markdown("## Avgränsa sökningen", elem_classes="pg-side-title")
                    organ = gr.Dropdown([ALL], value=ALL, label="Organ", elem_id="pg-organ")
                    date_from = gr.Textbox(label="Från datum", placeholder="ÅÅÅÅ-MM-DD")
                    date_to = gr.Textbox(label="Till datum", placeholder="ÅÅÅÅ-MM-DD")
                    doc = gr.Dropdown([ALL], value=ALL, label="Dokument", elem_id="pg-doc")
                    # shown when the index holds Riksdagen's committee reports
                    bet = gr.Dropdown([ALL], value=ALL, label="Betänkande (beteckning)", visible=False)
        staff_events = staff_tab(service, door) if door else []

        def refresh():
            ready = service.status.ready or service.status.error is not None
            organs = [ALL, *service.organs]
            docs = [ALL, *sorted(service.documents())]
            bets = service.beteckningar
            return (render_status(service), gr.Timer(active=not ready), gr.Dropdown(choices=organs),
                    gr.Dropdown(choices=docs), gr.Dropdown(choices=[ALL, *bets], visible=bool(bets)))

        timer.tick(refresh, outputs=[status, timer, organ, doc, bet], queue=False, show_progress="hidden")
        demo.load(refresh, outputs=[status, timer, organ, doc, bet], queue=False)
        for event in staff_events:  # an upload, re-index or removal: the filters offer what the index now holds
            event.then(refresh, outputs=[status, timer, organ, doc, bet], queue=False, show_progress="hidden")
        for menu in (organ, doc):  # another user's upload: the menus are current when opened
            menu.focus(refresh, outputs=[status, timer, organ, doc, bet], queue=False, show_progress="hidden",
                       api_visibility="private")

        pending = gr.State("")  # the question between showing it and answering it

        def enqueue(q: str, chat: list):
            """Show the question at once; only an answer the model must write waits for it (and says so)."""
            q = (q or "").strip()[:MAX_QUESTION]
            if not q:
                return gr.update(), chat, ""
            return "", [*chat, {"role": "user", "content": text(q)},
                        {"role": "assistant", "content": render_streaming(WAITING)}], q

        def respond(q: str, chat: list, past: list, plain: bool, organ_v: str, from_v: str, to_v: str, doc_v: str,
                    bet_v: str = ALL):
            if not q:
                return
            chat = [*chat[:-1], {"role": "assistant", "content": render_streaming("Söker i dokumenten")}]
            yield chat, past
            try:
                filters = make_filters(None if organ_v == ALL else organ_v, from_v, to_v,
                                       None if doc_v == ALL else doc_v, None if bet_v == ALL else bet_v)
                history = [(t["question"], t["answer"]["answer"]) for t in past if t["answer"]][-HISTORY_TURNS:]
                streamed, final = "", None
                for part in service.stream(q, history=history, klarsprak=plain, filters=filters):
                    if isinstance(part, Answer):
                        final = part
                    else:
                        streamed = part if isinstance(part, Preview) else streamed + part
                        chat[-1] = {"role": "assistant", "content": render_streaming(streamed)}
                        yield chat, past
            except Exception as exc:  # the request fails, the app and the conversation go on
                service.say(f"fel i en fråga: {type(exc).__name__}: {exc}")
                chat[-1] = {"role": "assistant", "content": render_error(_swedish_error(exc))}
                yield chat, [*past, {"question": q, "answer": None}]  # keeps turn i at messages 2i, 2i+1
                return
            answer = final.to_dict()
            chat[-1] = {"role": "assistant", "content": render_answer(answer, uuid.uuid4().hex[:8])}
            yield chat, [*past, {"question": q, "answer": answer}]

        settings_in = [klarsprak, organ, date_from, date_to, doc, bet]

        def answered(past: list) -> str:
            return answer_with_sources(past[-1]["answer"]) if past and past[-1]["answer"] else ""

        def answer_after(event) -> None:
            event.then(respond, [pending, chatbot, turns, *settings_in], [chatbot, turns], concurrency_id="answer",
                       concurrency_limit=ANSWER_SLOTS, api_visibility="private").then(
                answered, [turns], [copy_text], queue=False, api_visibility="private")

        for trigger in (send.click, question.submit):
            answer_after(trigger(enqueue, [question, chatbot], [question, chatbot, pending], queue=False,
                                 api_visibility="private"))

        def example(evt: gr.SelectData, chat: list):
            return enqueue(evt.value["text"], chat)

        answer_after(chatbot.example_select(example, [chatbot], [question, chatbot, pending], queue=False,
                                            api_visibility="private"))

        def linked(chat: list, request: gr.Request):
            """A link to a question (`/?fraga=…`) opens the chat with it asked."""
            asked = (request.query_params.get("fraga") or "") if request else ""
            return enqueue(asked, chat) if asked.strip() else (gr.update(), chat, "")

        answer_after(demo.load(linked, [chatbot], [question, chatbot, pending], queue=False, api_visibility="private"))
        copy.click(None, [copy_text], None, api_visibility="private", js=COPY_JS)
        new.click(lambda: ("", [], [], "", ""), outputs=[question, chatbot, turns, feedback_note, copy_text],
                  queue=False, api_visibility="private")
        chatbot.clear(lambda: ([], ""), outputs=[turns, feedback_note], queue=False, api_visibility="private")

        def like(evt: gr.LikeData, past: list, request: gr.Request):
            answer_no = evt.index // 2 if isinstance(evt.index, int) else evt.index[0] // 2
            if answer_no >= len(past):
                return "Svaret håller fortfarande på att skrivas."
            turn = past[answer_no]
            if not turn["answer"]:
                return "Det svaret blev ett fel; det sparas inte som bedömning."
            if evt.liked not in (True, False):  # the thumb was clicked again: nothing to save
                return ""
            rating = "upp" if evt.liked else "ner"
            service.feedback.add(rating, turn["question"], turn["answer"], session=request.session_hash or "")
            return "Tack! Din bedömning är sparad. Skriv gärna en kommentar nedan."

        chatbot.like(like, [turns], feedback_note, queue=False, api_visibility="private")

        def send_feedback(note: str, past: list, request: gr.Request):
            if not past or not past[-1]["answer"]:
                return "Ställ en fråga först.", note
            if not note.strip():
                return "Skriv en kommentar först.", note
            service.feedback.add("kommentar", past[-1]["question"], past[-1]["answer"], comment=note,
                                 session=request.session_hash or "")
            return "Tack! Kommentaren är sparad.", ""

        send_comment.click(send_feedback, [comment, turns], [feedback_note, comment], queue=False,
                           api_visibility="private")

        def ask(question: str, klarsprak: bool = False, organ: str = "", date_from: str = "", date_to: str = "",
                doc: str = "", beteckning: str = "") -> dict:
            """Answer one question; returns the same JSON as `python -m rag ask --json`."""
            try:  # the library checks the question and the filters, with Swedish reasons
                filters = make_filters(organ, date_from, date_to, doc, beteckning)
                return service.ask(question or "", klarsprak=klarsprak, filters=filters).to_dict()
            except Exception as exc:
                raise gr.Error(_swedish_error(exc)) from None

        gr.api(ask, api_name="ask", concurrency_id="answer", concurrency_limit=ANSWER_SLOTS)
    return demo


def _swedish_error(exc: Exception) -> str:
    """Our own errors (bad filters, not started yet) carry Swedish messages; anything else gets a generic one."""
    if isinstance(exc, (ValueError, RuntimeError)):
        return str(exc)
    return f"Frågan kunde inte besvaras just nu ({type(exc).__name__}). Försök igen."


def staff_tab(service: Paragraf, door: StaffDoor) -> list:
    """Upload, list, re-index and remove documents; every action checks this session's login on the server."""
    columns = ["Dokument", "Organ", "Datum", "§§", "Bilagor", "Sidor", "OCR", "Stycken", "Varning"]

    def table():
        rows = []
        for doc_id, d in sorted(service.documents().items()):
            ocr = f"skannad, brus {d.get('ocr_noise', 0):.2f}" if d.get("ocr") else f"text, brus {d.get('ocr_noise', 0):.2f}"
            rows.append([doc_id, d.get("organ") or "", d.get("date") or "", ", ".join(d.get("paragrafer", [])[:30]),
                         ", ".join(d.get("bilagor", [])[:20]), d.get("pages") or "", ocr, d.get("chunks", ""),
                         f"{PLANTED_NOTE}: {d['planted'][0]}" if d.get("planted") else ""])
        return rows

    with gr.Tab("Personal", elem_id="pg-staff"):
        token = gr.State("")  # this session's login, checked on the server for every action
        # the same token in the page, so that the browser can send it with its uploads (as a cookie)
        cookie = gr.Textbox(visible=False, elem_id="pg-staff-token")
        with gr.Column(visible=True) as login_box:
            pw = gr.Textbox(label="Lösenord", type="password")
            login = gr.Button("Logga in")
            login_note = gr.Markdown()
        with gr.Column(visible=False) as panel:
            gr.Markdown("## Ladda upp dokument\nPDF, DOCX, Markdown, text eller HTML. "
                        f"Högst {service.max_upload_mb:g} MB per fil. Ett namn som redan finns ersätts inte.")
            files = gr.File(file_count="multiple", label="Filer", file_types=[".pdf", ".docx", ".md", ".txt",
                                                                             ".html", ".htm", ".markdown"])
            upload = gr.Button("Ladda upp och indexera", variant="primary")
            result = gr.Markdown()
            gr.Markdown("## Dokument i indexet")
            docs = gr.Dataframe(headers=columns, datatype="str", interactive=False, wrap=True)
            with gr.Row():
                reindex = gr.Button("Indexera om dokumentmappen")
                to_remove = gr.Dropdown([], label="Ta bort dokument", scale=3, elem_id="pg-remove")
                remove = gr.Button("Ta bort", variant="stop")

        def do_login(given: str, request: gr.Request):
            address = request.client.host if request and request.client else "?"
            try:
                issued = door.login(given or "", request.session_hash or "", address)
            except LoginRefused as exc:
                service.say(f"misslyckad inloggning i personalfliken från {address}: {exc}")
                return "", "", gr.Column(visible=True), gr.Column(visible=False), str(exc), gr.update(), gr.update()
            service.say(f"inloggning i personalfliken från {address}")
            return issued, issued, gr.Column(visible=False), gr.Column(visible=True), "", table(), \
                gr.Dropdown(choices=service.removable())

        for trigger in (login.click, pw.submit):  # Enter in the password field logs in too
            trigger(do_login, [pw], [token, cookie, login_box, panel, login_note, docs, to_remove],
                    api_visibility="private").then(
                None, [cookie], None, api_visibility="private",
                js=f"(t) => {{ if (t) document.cookie = '{STAFF_COOKIE}=' + t + '; path=/; SameSite=Strict'; }}")

        def guarded(action):
            def run(held: str, *args):
                if not door.valid(held):
                    return "Logga in först.", gr.update(), gr.update()
                try:
                    message = action(*args)
                except Exception as exc:
                    message = render_error(str(exc))
                return message, table(), gr.Dropdown(choices=service.removable(), value=None)
            return run

        def do_upload(paths):
            if not paths:
                return "Välj filer först."
            received = []
            for p in paths:  # out of gradio's temporary folder as soon as read: no copy stays downloadable
                received.append((Path(p).name, Path(p).read_bytes()))
                Path(p).unlink(missing_ok=True)
            lines = service.upload(received)
            return "<br>".join(text(line) for line in lines)

        def do_reindex():
            report = service.reindex()
            return "<br>".join(text(line) for line in report.lines())

        def do_remove(doc_id):
            if not doc_id:
                return "Välj ett dokument."
            service.remove(doc_id)
            report = service.reindex()
            return text(f"{doc_id} är borttaget. ") + "<br>".join(text(line) for line in report.lines())

        return [
            upload.click(guarded(do_upload), [token, files], [result, docs, to_remove], concurrency_id="staff",
                         api_visibility="private"),
            reindex.click(guarded(do_reindex), [token], [result, docs, to_remove], concurrency_id="staff",
                          api_visibility="private"),
            remove.click(guarded(do_remove), [token, to_remove], [result, docs, to_remove], concurrency_id="staff",
                         api_visibility="private"),
        ]


def create_app(service: Paragraf, staff_password: str | None = None, api_key: str | None = None) -> FastAPI:
    """The chat page, `/ask`, the document view, `/status` and the OpenAI-compatible `/v1` (with `api_key`,
    only for clients that send it)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    door = StaffDoor(staff_password) if staff_password else None
    app.include_router(openai_api.router(service, api_key, HISTORY_TURNS))

    @app.get("/dokument", response_class=HTMLResponse)
    def dokument(doc: str = Query(...), stycke: str = Query("")) -> HTMLResponse:
        page, code = render_document(service, doc, stycke)
        return HTMLResponse(page, status_code=code, headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "X-Content-Type-Options": "nosniff"})

    @app.get("/status")
    def status() -> dict:
        """For scripts and health checks: the index served and the model loaded, and the last failure."""
        st = service.status
        away = service.database_away() if st.ready else None  # a shared index whose database is restarting
        return {"ready": st.ready and not away, "message": away or st.message, "progress": st.progress,
                "error": st.error, "last_error": st.last_error, "warning": st.warning, "database": away}

    @app.middleware("http")
    async def swedish_page(request: Request, call_next):
        """The page as gradio serves it, with `lang="sv"` and HEAD at the top of its head."""
        response = await call_next(request)
        if request.method != "GET" or request.url.path != "/" or \
                not response.headers.get("content-type", "").startswith("text/html"):
            return response
        body = b"".join([part async for part in response.body_iterator]).decode("utf-8")
        body = body.replace('lang="en"', 'lang="sv"', 1).replace("<head>", "<head>\n" + page_sv.HEAD, 1)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return HTMLResponse(body, status_code=response.status_code, headers=headers)

    @app.middleware("http")
    async def uploads_by_staff_only(request: Request, call_next):
        """gradio's upload route is open to anyone by default; here only a logged-in staff browser may use
        it (its token comes with the login), a limited number of times."""
        if request.url.path.rstrip("/").endswith("/upload") and request.method == "POST":
            if door is None or not door.allow_upload(request.cookies.get(STAFF_COOKIE)):
                return PlainTextResponse("Uppladdning kräver inloggning i personalfliken.", status_code=403)
        return await call_next(request)

    return gr.mount_gradio_app(app, build(service, door).queue(default_concurrency_limit=4), path="/",
                               theme=page_sv.theme(), css=CSS + page_sv.FOCUS_CSS, i18n=page_sv.I18N,
                               footer_links=["api"],
                               max_file_size=f"{int(service.max_upload_mb)}mb")


def main(argv: list[str] | None = None) -> int:
    s = settings()
    p = argparse.ArgumentParser(description="Paragraf web chat")
    p.add_argument("--host", default=os.environ.get("PARAGRAF_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PARAGRAF_PORT", "7860")))
    p.add_argument("--index", default=str(s.index),
                   help="index folder (PARAGRAF_INDEX) or Postgres URL postgresql://… (PARAGRAF_INDEX_URL)")
    p.add_argument("--corpus", type=Path, default=s.corpus_dir, help="documents folder (PARAGRAF_CORPUS)")
    p.add_argument("--llm", default=os.environ.get("PARAGRAF_LLM"), help="registry key, GGUF path or openai:<model>")
    p.add_argument("--embed-model", default=s.embed_model, help="PARAGRAF_EMBED_MODEL")
    p.add_argument("--feedback", type=Path, default=os.environ.get("PARAGRAF_FEEDBACK"),
                   help="feedback file (default: feedback/feedback.jsonl beside the index)")
    p.add_argument("--staff", action="store_true", default=os.environ.get("PARAGRAF_STAFF") == "1",
                   help="enable the staff tab; the password is read from PARAGRAF_STAFF_PASSWORD")
    p.add_argument("--max-upload-mb", type=float, default=float(os.environ.get("PARAGRAF_MAX_UPLOAD_MB", "20")))
    p.add_argument("--trusted-proxy", action="append", metavar="ADRESS",
                   default=[a.strip() for a in os.environ.get("PARAGRAF_TRUSTED_PROXIES", "").split(",") if a.strip()],
                   help="a reverse proxy whose X-Forwarded-For is believed (PARAGRAF_TRUSTED_PROXIES, comma-separated); "
                        "none by default: the login lockout counts the connection's own address")
    args = p.parse_args(argv)
    password = None
    if args.staff:
        password = os.environ.get("PARAGRAF_STAFF_PASSWORD", "")
        if len(password) < 8:
            print("fel: personalfliken kräver ett lösenord på minst 8 tecken i PARAGRAF_STAFF_PASSWORD", file=sys.stderr)
            return 2
    index = args.index if is_index_url(args.index) else Path(args.index).absolute()
    service = Paragraf(args.corpus.absolute(), index, args.llm, args.embed_model,
                       args.feedback, max_upload_mb=args.max_upload_mb)
    service.start_in_background()
    import uvicorn

    print(f"Paragraf: http://{args.host}:{args.port}", flush=True)
    api_key = os.environ.get("PARAGRAF_API_KEY") or None
    # forwarding headers only from the proxies named: anyone else could pick an address for each guess
    uvicorn.run(create_app(service, password, api_key), host=args.host, port=args.port, log_level="warning",
                proxy_headers=bool(args.trusted_proxy), forwarded_allow_ips=",".join(args.trusted_proxy) or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
