"""Many app instances on one Postgres server (issue 34, part 3): three `python app.py` started as a user starts
them, on loopback, each in an empty folder with no index of its own, and one writer, `python -m rag ingest`,
adding a document while the three answer questions."""
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import psycopg
import pytest

import rag

from conftest import API_KEY, CORPUS, KF8, KS16, KSAU141, ROOT, launch_app, stop_app, wait_ready

NEW = "Vilka lämnade särskilt yttrande när kommunfullmäktige behandlade kraftsamlande insatser?"  # only in KF8
# all answered by code, not the LLM: the same text from every instance
QUESTIONS = [NEW, "Vem instämde i Sverigedemokraternas särskilda yttrande?", "Vilka reserverade sig mot beslutet?",
             "Vem var ordförande?", "Vilka partier lämnade särskilda yttranden?"]
READER = "paragraf_instances_reader"


@dataclass
class Asked:
    instance: int
    question: str
    began: float
    ended: float
    status: int
    reply: dict | str


def _ask(url: str, question: str) -> tuple[int, dict | str]:
    body = json.dumps({"messages": [{"role": "user", "content": question}]}).encode()
    request = urllib.request.Request(url + "/v1/chat/completions", data=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:  # refused, reset, timed out: the test reports it as a failed request
        return 0, f"{type(exc).__name__}: {exc}"


def _status(url: str) -> dict:
    with urllib.request.urlopen(url + "/status", timeout=10) as r:
        return json.load(r)


def _cites(reply: dict | str, doc: str) -> bool:
    return isinstance(reply, dict) and any(c["doc"] == doc for c in reply["citations"])


def _said(url: str, reply: dict) -> tuple:
    """What an instance answered, without its own address (the links to the document view carry it)."""
    return (reply["choices"][0]["message"]["content"].replace(url + "/", "<app>/"), reply["paragraf"]["route"],
            [(c["doc"], c["chunk_id"], c["locator"], c["quote"]) for c in reply["citations"]])


def _answers(apps: list[str]) -> list[dict[str, tuple]]:
    """Every question to every instance, one at a time."""
    out = []
    for url in apps:
        said = {}
        for question in QUESTIONS:
            status, reply = _ask(url, question)
            assert status == 200, (url, question, reply)
            assert reply["paragraf"]["route"] != "llm", (question, reply)  # code-written: the same on every instance
            said[question] = _said(url, reply)
        out.append(said)
    return out


def _written(url: str) -> list[tuple]:
    """What the index holds, row by row where a write would show."""
    with psycopg.connect(url) as conn:
        return [conn.execute(sql).fetchall() for sql in (
            "SELECT key, value::text FROM paragraf_meta ORDER BY key",
            "SELECT doc_id, sha256, revision, indexed_at FROM paragraf_documents ORDER BY doc_id",
            "SELECT count(*), sum(n_terms) FROM paragraf_chunks", "SELECT count(*), sum(df) FROM paragraf_terms")]


@pytest.fixture()
def reader_url(pg_url):
    """The database as a role that can only read, as on a read replica (every transaction read-only): an
    instance that wrote anything would fail."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)).fetchone():
            conn.execute(f"CREATE ROLE {READER} LOGIN")
        conn.execute(f"ALTER ROLE {READER} SET default_transaction_read_only = on")
        conn.execute(f"GRANT CONNECT ON DATABASE {pg_url.rsplit('/', 1)[1]} TO {READER}")
    yield pg_url.replace("//postgres@", f"//{READER}@")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {READER}")  # its grants in this database; the role goes with the last one
        conn.execute(f"REVOKE CONNECT ON DATABASE {pg_url.rsplit('/', 1)[1]} FROM {READER}")
        conn.execute(f"DROP ROLE {READER}")


def test_three_instances_and_a_writer_on_one_postgres(tmp_path, pg_url, reader_url, monkeypatch):
    """Three instances serve one index; a writer adds a document while they answer. Before the write none
    answers from it; while it is written every question to every instance is answered (HTTP 200, none
    fails); after it, each instance follows by itself, cites the new document, and all three give the same
    answers. The instances write nothing (they connect as a read-only role) and keep no index of their own."""
    seed = tmp_path / "seed"
    for doc in (KS16, KSAU141):
        (seed / doc).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / doc, seed / doc)
    assert not rag.ingest([seed], index_dir=pg_url).errors
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
    with psycopg.connect(reader_url) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("DELETE FROM paragraf_terms")
    before = _written(pg_url)
    apps, folders = [], []
    try:
        for n in range(3):
            folders.append(tmp_path / f"instance-{n}")
            folders[-1].mkdir()
            if n == 2:  # the third as a deployment starts it: the index URL in its environment
                monkeypatch.setenv("PARAGRAF_INDEX_URL", reader_url)
            apps.append(launch_app(folders[-1], folders[-1] / "corpus", None if n == 2 else reader_url))
        for app in apps:
            wait_ready(*app)
        urls = [url for _, url, _ in apps]
        with psycopg.connect(pg_url) as conn:  # each instance holds connections of its own, all as the reader
            users = conn.execute("SELECT usename, count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid() AND backend_type = 'client backend' GROUP BY 1").fetchall()
        assert [u for u, _ in users] == [READER] and users[0][1] >= 3, users
        statuses = [_status(url) for url in urls]
        assert all(s["ready"] and s["message"] == statuses[0]["message"] for s in statuses), statuses
        assert statuses[0]["message"].startswith("Klar: 2 dokument"), statuses

        # before the write: nobody answers from the new document, and all answer alike
        said = _answers(urls)
        assert said[1] == said[0] and said[2] == said[0]
        assert said[0][NEW][1] != "record" and not any(doc == KF8 for doc, *_ in said[0][NEW][2])
        assert "Wictorin" not in said[0][NEW][0]
        assert _written(pg_url) == before  # (and could not: their role only reads)

        # the writer adds KF8 while six askers (two per instance) keep asking; it holds the whole corpus (a
        # document whose file is not under the writer's --root is removed from the index)
        shutil.copy(CORPUS / KF8, seed / KF8)
        asked: list[Asked] = []
        stop = threading.Event()

        def asker(n: int, url: str, offset: int) -> None:
            i = offset
            while not stop.is_set():
                question = QUESTIONS[i % len(QUESTIONS)]
                began = time.monotonic()
                status, reply = _ask(url, question)
                asked.append(Asked(n, question, began, time.monotonic(), status, reply))
                i += 1
                stop.wait(0.05)  # busy, but the writer (nice 10) gets its turn on two cores

        askers = [threading.Thread(target=asker, args=(n, url, k), daemon=True)
                  for n, url in enumerate(urls) for k in (0, 2)]
        for t in askers:
            t.start()
        write_began = time.monotonic()
        writer = subprocess.run([sys.executable, "-m", "rag", "ingest", str(seed / KF8), "--root", str(seed),
                                 "--index", pg_url, "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        write_ended = time.monotonic()
        assert writer.returncode == 0, writer.stderr[-2000:]
        assert KF8 in [d for d, *_ in _written(pg_url)[1]]

        # each instance follows by itself (PARAGRAF_REFRESH_S, 2 s): the askers' next questions show it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            followed = {a.instance for a in list(asked) if a.question == NEW and _cites(a.reply, KF8)}
            if len(followed) == 3:
                break
            time.sleep(0.2)
        stop.set()
        for t in askers:
            t.join(timeout=150)
        assert not any(t.is_alive() for t in askers)
        failed = [(a.instance, a.question, a.status, a.reply) for a in asked if a.status != 200]
        assert not failed, failed[:3]
        assert followed == {0, 1, 2}, f"instances that cite {KF8}: {sorted(followed)}"
        firsts = []
        for n in range(3):  # every instance answered while the writer wrote, and never went back once it had followed
            mine = [a for a in asked if a.instance == n]
            assert sum(a.began < write_ended and a.ended > write_began for a in mine) >= 2, n
            firsts.append(min(a.ended for a in mine if a.question == NEW and _cites(a.reply, KF8)))
            assert all(_cites(a.reply, KF8) for a in mine if a.question == NEW and a.began > firsts[-1]), n
        print(f"writer {write_ended - write_began:.1f} s; {len(asked)} questions, "
              f"{sum(a.began < write_ended and a.ended > write_began for a in asked)} while it wrote; the last "
              f"instance cited it {max(firsts) - write_ended:+.1f} s after the writer ended")

        # after the write: all three cite the new document and answer every question alike
        said = _answers(urls)
        assert said[1] == said[0] and said[2] == said[0]
        assert said[0][NEW][1] == "record" and "Kay Wictorin" in said[0][NEW][0]
        assert {doc for doc, *_ in said[0][NEW][2]} == {KF8}
        statuses = [_status(url) for url in urls]
        chunks = _written(pg_url)[2][0][0]
        assert all(s["ready"] and s["message"] == f"Klar: 3 dokument, {chunks} stycken." for s in statuses), statuses
    finally:
        for proc, _, log in apps:
            stop_app(proc, log)
    for folder in folders:  # no index folder, no corpus folder, nothing but the log
        assert sorted(p.name for p in folder.iterdir()) == ["app.log"], folder
        log = (folder / "app.log").read_text()
        assert "Traceback" not in log and "paragraf: fel" not in log and "paragraf: obs" not in log, log[-2000:]
