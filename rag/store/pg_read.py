"""What an app instance reads of the Postgres index: at open, the documents and their profiles (never
the passages); on a question, its passages by id, a § whole, the records of a kind, the documents whose
scope text holds a name — each in one round trip."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..parsing import Chunk
from ..records import DocumentSteps, Fact, Profile
from .postgres import SCHEMA_VERSION, manifest, schema_version
from .protocol import IndexError_


@dataclass
class PgContents:
    """What an app instance keeps of the database: the manifest and each document's profile."""

    manifest: dict
    profiles: dict[str, Profile]  # doc id -> its profile, by doc id
    revisions: dict[str, int] = field(default_factory=dict)  # doc id -> the revision its rows were read at
    terms: dict[str, int] = field(default_factory=dict)  # doc id -> words in its chunks (BM25's lengths)
    steps: dict[str, DocumentSteps] = field(default_factory=dict)  # doc id -> its steps, once a question read them

    @property
    def revision(self) -> tuple[int, int]:
        """As `revision(conn)` says of the database when nothing has changed since this was read."""
        return max(self.revisions.values(), default=0), len(self.revisions)

    @property
    def avgdl(self) -> float:
        """BM25's average chunk length, kept per document so that a change does not recount the table."""
        return sum(self.terms.values()) / self.size if self.size else 0.0

    @property
    def size(self) -> int:
        """Chunks in the index."""
        return sum(p.chunks for p in self.profiles.values())

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]


def load(conn, previous: PgContents | None = None) -> PgContents:
    """The documents and their profiles, in one snapshot. Given what was loaded before, only the documents
    added or replaced since are read: a change to a million-chunk index reads one document's row."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        meta = manifest(conn)
        if meta and schema_version(meta) < SCHEMA_VERSION:
            raise IndexError_(f"the Postgres index has schema version {schema_version(meta)}, this Paragraf reads "
                              f"{SCHEMA_VERSION}: run `python -m rag ingest --index URL <corpus>` once on the primary")
        revisions = dict(conn.execute("SELECT doc_id, revision FROM paragraf_documents").fetchall()) if meta else {}
        kept = {d for d, rev in (previous.revisions if previous else {}).items() if revisions.get(d) == rev}
        changed = [d for d in revisions if d not in kept]
        rows = conn.execute("SELECT doc_id, sha256, summary, n_terms, profile FROM paragraf_documents "
                            "WHERE doc_id = ANY(%s)", (changed,)).fetchall()
    docs = {d: {**summary, "sha256": sha} for d, sha, summary, _, _ in rows}
    terms = {d: int(n) for d, _, _, n, _ in rows}
    profiles = {d: Profile.from_dict(p) for d, _, _, _, p in rows}
    for d in kept:
        docs[d], terms[d], profiles[d] = previous.documents[d], previous.terms[d], previous.profiles[d]
    order = sorted(revisions)
    profiles = {d: profiles[d] for d in order}
    return PgContents({**meta, "documents": {d: docs[d] for d in order}, "chunks": sum(p.chunks for p in profiles.values())},
                      profiles, revisions={d: int(r) for d, r in revisions.items()}, terms=terms,
                      steps={d: previous.steps[d] for d in kept if d in previous.steps})


def steps_of(conn, docs: list[str], revisions: dict[str, int]) -> dict[str, DocumentSteps]:
    """The documents' steps, as written at the revisions their profiles were read at (a document replaced since
    is left out: the next refresh reads it)."""
    with conn.transaction():
        rows = conn.execute("SELECT doc_id, revision, steps FROM paragraf_documents WHERE doc_id = ANY(%s)",
                            (docs,)).fetchall()
    return {d: DocumentSteps.from_dict(data) for d, rev, data in rows if revisions.get(d) == rev}


def chunks_of(conn, docs: list[str]) -> list[Chunk]:
    """Every chunk of the documents, by doc id then in order (for tools and tests; never on a question's path)."""
    return chunks_where(conn, ("doc_id = ANY(%s)", [docs]))


def chunks_where(conn, condition: tuple[str, list]) -> list[Chunk]:
    sql, params = condition
    with conn.transaction():
        rows = conn.execute(f"SELECT doc_id, ord, data FROM paragraf_chunks WHERE {sql}", params).fetchall()
    return [Chunk(**data) for _, _, data in sorted(rows, key=lambda r: (r[0], r[1]))]


def chunks_by_id(conn, ids: list[str]) -> dict[str, Chunk]:
    with conn.transaction():
        rows = conn.execute("SELECT id, data FROM paragraf_chunks WHERE id = ANY(%s)", (ids,)).fetchall()
    return {i: Chunk(**data) for i, data in rows}


def facts_where(conn, condition: str, *params) -> list[tuple[tuple[str, int], Fact]]:
    """Records with their place in the index ((doc, ord): their order in a folder index built alike)."""
    with conn.transaction():
        rows = conn.execute(f"SELECT doc_id, ord, data FROM paragraf_facts WHERE {condition}", params).fetchall()
    return sorted((((d, o), Fact(**data)) for d, o, data in rows), key=lambda x: x[0])


def facts_of(conn, kind: str) -> list[tuple[tuple[str, int], Fact]]:
    return facts_where(conn, "data->>'kind' = %s", kind)


def paragraf_chunks(conn, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[Chunk]]:
    with conn.transaction():
        rows = conn.execute("SELECT c.doc_id, c.paragraf, c.ord, c.data FROM paragraf_chunks c "
                            "JOIN unnest(%s::text[], %s::text[]) AS k(doc_id, paragraf) USING (doc_id, paragraf)",
                            ([d for d, _ in keys], [p for _, p in keys])).fetchall()
    out: dict[tuple[str, str], list[Chunk]] = {}
    for d, p, _, data in sorted(rows, key=lambda r: (r[0], r[2])):
        out.setdefault((d, p), []).append(Chunk(**data))
    return out


def stem_counts(conn) -> dict[str, int]:
    with conn.transaction():
        return dict(conn.execute("SELECT stem, df FROM paragraf_stems WHERE df > 0").fetchall())


def scope_matching(conn, pattern: str) -> set[str]:
    """The documents whose scope text the pattern finds something in (Postgres reads `\\y` for `\\b`)."""
    with conn.transaction():
        rows = conn.execute("SELECT doc_id FROM paragraf_documents WHERE scope_text ~ %s",
                            (re.sub(r"(?<!\\)\\b", r"\\y", pattern),)).fetchall()
    return {d for (d,) in rows}


def scope_texts(conn, docs: list[str]) -> dict[str, str]:
    with conn.transaction():
        rows = conn.execute("SELECT doc_id, scope_text FROM paragraf_documents WHERE doc_id = ANY(%s)",
                            (docs,)).fetchall()
    return {d: t for d, t in rows if t is not None}


def source(conn, doc_id: str) -> tuple[str, str] | None:
    with conn.transaction():
        row = conn.execute("SELECT source, sha256 FROM paragraf_documents WHERE doc_id = %s", (doc_id,)).fetchone()
    return row


def vector(conn, chunk_id: str) -> np.ndarray | None:
    with conn.transaction():
        row = conn.execute("SELECT embedding FROM paragraf_chunks WHERE id = %s", (chunk_id,)).fetchone()
    if row is None:
        return None
    value = row[0].to_numpy() if hasattr(row[0], "to_numpy") else row[0]  # pgvector's Vector, or an array
    return np.asarray(value, dtype=np.float32)
