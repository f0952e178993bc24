"""Searches over the Postgres index (postgres.py's tables): dense by pgvector's HNSW index (cosine, on
half-precision vectors, re-ordered by the exact distance), lexical by BM25 over the product's own terms (its
analyzer's, as the folder index's, kept as a tsvector for the GIN index), filters as SQL conditions of
the same query. Each function takes a connection first; pg_store.py calls them for a Store."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..genre import ORGAN_ABBREV, beteckning_key
from ..normalize import fold
from .lexical import SwedishAnalyzer
from .postgres import quoted
from .protocol import Filters

# pgvector's largest: at a million synthetic chunks the eval questions found 0.964 of the exact top-10 with it,
# 0.957 at 800 and 0.889 at 200, the dense search's p95 about 100 ms; filtered searches and Gaussian queries
# there stay below 0.95 even so (docs/benchmarks.md, "Postgres index")
HNSW_EF_SEARCH = 1000
# relaxed: with a filter, strict_order found fewer of the exact top-10 (docs/benchmarks.md, "Postgres index")
HNSW_ITERATIVE_SCAN = "relaxed_order"
# A filter that admits at most this many chunks (one nämnd, one month) is searched exactly: among 9,000-50,000
# of a million synthetic chunks HNSW's iterative scan found 0.64-0.78 of the exact top-10; the exact scan takes
# about 2.5 ms per thousand chunks, as long as the HNSW search at about 25,000 (docs/benchmarks.md, "Postgres index")
EXACT_SUBSET_LIMIT = 30_000
BM25_K1, BM25_B = 1.2, 0.75  # as the folder index's bm25s (Lucene's BM25)
# The question's words select BM25's candidates rarest first, while the chunks they are in add up to at most
# MATCH_ROWS; the commoner words only score those. A search then reads about as many rows at a million chunks
# as at a hundred thousand; in an index of a few thousand chunks (the bundled corpus) every word selects.
MATCH_ROWS = 5_000
MAX_YEARS = 12  # dates across more years than this are searched at once (the whole index's graph with the filter)


def year_bounds(year: int | str) -> tuple[str, str]:
    """A calendar year's first and last date, as a year's own index holds them and a search across years cuts."""
    return f"{year}-01-01", f"{year}-12-31"


class Condition(tuple):
    """(sql, params) over paragraf_chunks, as every search takes it; `years`: the same condition once per calendar
    year its dates span, when they span more than one (dense() searches each year on its own)."""

    years: tuple[Condition, ...] = ()


def where(f: Filters) -> Condition:
    """A Filters as an SQL condition over paragraf_chunks, with its parameters."""
    parts, params = ["TRUE"], []
    if f.organ:
        parts.append("organ_key = %s")
        params.append(fold(ORGAN_ABBREV.get(f.organ.lower(), f.organ)))
    if f.date_from:
        parts.append("date >= %s")
        params.append(f.date_from)
    if f.date_to:
        parts.append("date <= %s AND date <> ''")
        params.append(f.date_to)
    if f.doc:
        parts.append("strpos(doc_id, %s) > 0")
        params.append(f.doc)
    if f.paragraf:
        parts.append("paragraf = %s")
        params.append(f.paragraf.strip().lstrip("§").strip())
    if f.beteckning:
        parts.append("beteckning_key = %s")
        params.append(beteckning_key(f.beteckning))
    if f.docs is not None:
        parts.append("doc_id = ANY(%s)")
        params.append(list(f.docs))
    condition = Condition((" AND ".join(parts), params))
    first, last = (int(d[:4]) if d and d[:4].isdigit() else None for d in (f.date_from, f.date_to))
    if first is not None and last is not None and 0 < last - first < MAX_YEARS:
        condition.years = tuple(where(replace(f, date_from=max(f.date_from, start), date_to=min(f.date_to, end)))
                                for start, end in map(year_bounds, range(first, last + 1)))
    return condition


def dense(conn, q: np.ndarray, condition: tuple[str, list], n: int, exact: bool = False) -> list[str]:
    """Chunk ids nearest to `q`, nearest first: the n nearest by the HNSW index, ordered by the exact distance
    (the index compares half-precision vectors, and the relaxed iterative scan returns rows only roughly in
    order); with filters, the iterative scan keeps looking until n match. `exact` compares every chunk, as
    the folder index does below its FLAT_LIMIT; so does a filter that admits at most EXACT_SUBSET_LIMIT. Dates
    across years are searched a year at a time (each through its own index, or exactly), nearest of all kept."""
    parts = getattr(condition, "years", ()) if not exact else ()
    with conn.transaction():
        # a plan for the filter's values, so that an organ's or a year's own index (pg_store.index_large_parts) is taken
        conn.execute("SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', %s, true), "
                     "set_config('plan_cache_mode', 'force_custom_plan', true)",
                     [str(max(HNSW_EF_SEARCH, n)), HNSW_ITERATIVE_SCAN])
        branches, params = [], []
        for sql, values in parts or [condition]:
            admitted = _admitted(conn, sql, values) if not exact and sql != "TRUE" else None
            if admitted == 0:
                continue
            few = exact or (admitted is not None and admitted <= EXACT_SUBSET_LIMIT)
            branches.append(_nearest(sql, len(q), few))
            params += [*values, q, n]
        if not branches:
            return []
        rows = conn.execute(f"SELECT id FROM ({' UNION ALL '.join(branches)}) c ORDER BY embedding <=> %s LIMIT %s",
                            [*params, q, n]).fetchall()
    return [r[0] for r in rows]


def _admitted(conn, sql: str, params: list) -> int:
    """How many chunks a condition admits, counted up to one more than EXACT_SUBSET_LIMIT (by the organ/date index)."""
    return conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM paragraf_chunks WHERE {sql} LIMIT %s) a",
                        [*params, EXACT_SUBSET_LIMIT + 1]).fetchone()[0]


def _nearest(sql: str, dim: int, exact: bool) -> str:
    """One condition's n nearest: by the exact distance, which no index orders by (every admitted chunk is
    compared), or by the half-precision HNSW index's."""
    if exact:
        return f"(SELECT id, embedding FROM paragraf_chunks WHERE {sql} ORDER BY embedding <=> %s LIMIT %s)"
    half = f"halfvec({dim})"
    return f"(SELECT id, embedding FROM paragraf_chunks WHERE {sql} ORDER BY embedding::{half} <=> %s::{half} LIMIT %s)"


@dataclass
class Bm25Query:
    """A question's terms (the product's analyzer's, as the folder index's; a term twice counts twice, as in
    bm25s) with their BM25 idf."""

    terms: list[str]
    idf: list[float]
    match: str  # tsquery of the terms that select candidates
    avgdl: float


def bm25_query(conn, analyzer: SwedishAnalyzer, query: str, n_chunks: int, avgdl: float) -> Bm25Query | None:
    import math

    terms = analyzer(query, query=True)
    df = dict(conn.execute("SELECT lexeme, df FROM paragraf_terms WHERE lexeme = ANY(%s) AND df > 0",
                           (sorted(set(terms)),)).fetchall())
    conn.commit()
    terms = [t for t in terms if t in df]
    if not terms:
        return None
    idf = [math.log(1 + (n_chunks - df[t] + 0.5) / (df[t] + 0.5)) for t in terms]
    selecting, reads = [], 0
    for term in sorted(set(terms), key=lambda t: (df[t], t)):
        if selecting and reads + df[term] > MATCH_ROWS:
            break
        selecting.append(term)
        reads += df[term]
    match = " | ".join(map(quoted, selecting))
    return Bm25Query(terms, idf, match, max(avgdl, 1.0))


# Only the question's terms are unnested: setweight marks them 'A' in the chunk's tsvector (all others stay
# 'D', as bm25_terms writes them) and ts_filter keeps those, both in C, so a chunk yields a few rows, not
# one per word it holds.
_BM25 = f"""SELECT c.id, sum(q.idf * t.tf * {BM25_K1 + 1} / (t.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * c.n_terms / %s)))
FROM paragraf_chunks c
CROSS JOIN LATERAL (SELECT u.lexeme, coalesce(array_length(u.positions, 1), 1) AS tf
                    FROM unnest(ts_filter(setweight(c.tsv, 'A', %s::text[]), '{{{{a}}}}')) u) t
JOIN unnest(%s::text[], %s::float8[]) AS q(lexeme, idf) ON q.lexeme = t.lexeme
WHERE {{where}} GROUP BY c.id"""


def lexical(conn, bm: Bm25Query | None, condition: tuple[str, list], n: int) -> list[str]:
    """Chunk ids by BM25 (the folder index's formula and terms), filtered in the same query."""
    if bm is None:
        return []
    sql, params = condition
    rows = conn.execute(_BM25.format(where=f"c.tsv @@ %s::tsquery AND {sql}") + " ORDER BY 2 DESC, c.id LIMIT %s",
                        [bm.avgdl, bm.terms, bm.terms, bm.idf, bm.match, *params, n]).fetchall()
    conn.commit()
    return [r[0] for r in rows]


def scores(conn, q: np.ndarray | None, bm: Bm25Query | None, ids: list[str]) -> dict[str, tuple[float, float]]:
    """chunk id -> (cosine, BM25) for the fusion's candidates."""
    out = {i: [0.0, 0.0] for i in ids}
    if q is not None:
        for i, cos in conn.execute("SELECT id, 1 - (embedding <=> %s) FROM paragraf_chunks WHERE id = ANY(%s)", [q, ids]):
            out[i][0] = float(cos)
    if bm is not None:
        for i, score in conn.execute(_BM25.format(where="c.id = ANY(%s)"), [bm.avgdl, bm.terms, bm.terms, bm.idf, ids]):
            out[i][1] = float(score)
    conn.commit()
    return {i: (v[0], v[1]) for i, v in out.items()}
